"""The emotion model as one versioned unit: text, acoustic and face branches and fusion weights.

    <bundle>/text/            fine-tuned transformer + tokenizer + label map + temperature
    <bundle>/acoustic.joblib  the acoustic classifier (with its speaker normaliser)
    <bundle>/fusion.json      text/acoustic weights fitted on validation data
    <bundle>/face.json        the face branch: which shipped expression model (package, file, SHA-256)
                              and its prior fusion weight (see :mod:`emotion_platform.lib.face.branch`)

A champion is a bundle; ``models:/emotion-model@champion`` loads them together. Bundles saved
before the face branch existed have no ``face.json`` and load with ``face=None``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emotion_platform.lib.acoustic.features import feature_vector
from emotion_platform.lib.acoustic.model import AcousticClassifier
from emotion_platform.lib.face.branch import FACE_FILE, FaceBranch
from emotion_platform.lib.fusion import fuse
from emotion_platform.lib.text_model.model import TextEmotionModel

TEXT_DIR, ACOUSTIC_FILE, FUSION_FILE = "text", "acoustic.joblib", "fusion.json"


@dataclass
class EmotionBundle:
    """The branches and their fusion weights. A new bundle gets the shipped face branch by default;
    ``face=None`` is a bundle without one (as every bundle saved before it existed)."""

    text: TextEmotionModel
    acoustic: AcousticClassifier | None
    weights: dict[str, float]
    face: FaceBranch | None = field(default_factory=FaceBranch)

    @classmethod
    def load(cls, folder: Path, device: str = "cpu") -> EmotionBundle:
        folder = Path(folder)
        acoustic = AcousticClassifier.load(folder / ACOUSTIC_FILE) if (folder / ACOUSTIC_FILE).exists() else None
        weights = json.loads((folder / FUSION_FILE).read_text()) if (folder / FUSION_FILE).exists() else {"text": 1.0}
        face = FaceBranch.read(folder / FACE_FILE, device=device) if (folder / FACE_FILE).exists() else None
        return cls(TextEmotionModel.load(folder / TEXT_DIR, device=device), acoustic, weights, face)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.text.save(folder / TEXT_DIR)
        if self.acoustic is not None:
            self.acoustic.save(folder / ACOUSTIC_FILE)
        (folder / FUSION_FILE).write_text(json.dumps(self.weights, indent=2))
        if self.face is not None:
            (folder / FACE_FILE).write_text(json.dumps(self.face.to_dict(), indent=2))
        return folder

    @property
    def fusion_weights(self) -> dict[str, float]:
        """The fitted speech weights plus the face branch's prior weight (when the bundle has one)."""
        return self.weights | ({"face": self.face.weight} if self.face is not None else {})

    def predict_segments(self, texts: list[str | None], audios: list[np.ndarray | None],
                         group: str | None = None,
                         faces: list[np.ndarray | None] | None = None) -> dict[str, np.ndarray | None]:
        """Per-segment distributions of each branch and the fusion.

        ``texts[i]`` is None (or empty) where the segment has no words, ``audios[i]`` None where
        there is no audio, ``faces[i]`` None where no face was seen (or no video); otherwise it is
        the face branch's (7,) distribution for the segment's time span
        (:meth:`FaceBranch.distribution`). ``group`` names the speaker-normalisation group (the
        media file). Any subset of branches fuses; a segment with none gets a NaN row.
        """
        n = len(texts)
        if len(audios) != n or (faces is not None and len(faces) != n):
            raise ValueError(f"one entry per segment expected: {n} texts, {len(audios)} audios, "
                             f"{'no' if faces is None else len(faces)} face distributions")
        text_p = acoustic_p = None
        with_text = [i for i, t in enumerate(texts) if t and t.strip()]
        if with_text:
            contexts = ["" if i == 0 else (texts[i - 1] or "") for i in with_text]
            text_p = np.full((n, 7), np.nan)
            text_p[with_text] = self.text.predict_proba([texts[i] for i in with_text], contexts)
        with_audio = [i for i, a in enumerate(audios) if a is not None and a.size]
        if with_audio and self.acoustic is not None:
            feats = np.stack([feature_vector(audios[i]) for i in with_audio])
            groups = np.array([group or "single"] * len(with_audio)) if group else None
            acoustic_p = np.full((n, 7), np.nan)
            acoustic_p[with_audio] = self.acoustic.predict_proba(feats, groups)
        face_p = None
        with_face = [i for i, f in enumerate(faces or []) if f is not None]
        if with_face and self.face is not None:
            face_p = np.full((n, 7), np.nan)
            face_p[with_face] = np.stack([np.asarray(faces[i], dtype=float) for i in with_face])
        branches = {"text": text_p, "acoustic": acoustic_p, "face": face_p}
        weights = self.fusion_weights
        fused = np.zeros((n, 7))
        for i in range(n):
            parts = {k: None if p is None or np.isnan(p[i]).any() else p[i] for k, p in branches.items()}
            fused[i] = fuse(parts, weights)[0] if any(v is not None for v in parts.values()) else np.nan
        return branches | {"fused": fused}
