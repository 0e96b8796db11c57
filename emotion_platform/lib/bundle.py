"""The emotion model as one versioned unit: text, speech and face branches and how they are fused.

    <bundle>/text/            fine-tuned transformer + tokenizer + label map + temperature
    <bundle>/speech/          the speech branch: Whisper encoder spec (+ weights' SHA-256) and its head
    <bundle>/fusion.json      the words/voice fusion (a gated pool) fitted on validation data (lib/fusion.py)
    <bundle>/face.json        the face branch: which shipped expression model (package, file, SHA-256)
                              and its prior fusion weight (see :mod:`emotion_platform.lib.face.branch`)
    <bundle>/bundle.json      the bundle format

A champion is a bundle; ``models:/emotion-model@champion`` loads them together. Bundles of the first
format (a librosa-descriptor SVM as the acoustic branch) are refused with a clear message: that
branch is no longer served, retrain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emotion_platform.lib import atomic
from emotion_platform.lib.errors import ModelFileError
from emotion_platform.lib.face.branch import FACE_FILE, FaceBranch
from emotion_platform.lib.fusion import WordsVoiceFusion, fuse_segment
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.speech.branch import SpeechBranch
from emotion_platform.lib.text_model.model import TextEmotionModel

TEXT_DIR, SPEECH_DIR, FUSION_FILE, FORMAT_FILE = "text", "speech", "fusion.json", "bundle.json"
BUNDLE_FORMAT = 2


class OutdatedBundle(ModelFileError):
    """A bundle saved by an earlier platform version whose branches are no longer served."""


@dataclass
class EmotionBundle:
    """The branches and their fusion. A new bundle gets the shipped face branch by default;
    ``face=None`` is a bundle without one."""

    text: TextEmotionModel
    speech: SpeechBranch | None
    fusion: WordsVoiceFusion | None
    face: FaceBranch | None = field(default_factory=FaceBranch)

    @classmethod
    def load(cls, folder: Path, device: str = "cpu", cache_dir: Path | None = None) -> EmotionBundle:
        folder = Path(folder)
        if (folder / "acoustic.joblib").exists() or not (folder / FORMAT_FILE).exists():
            raise OutdatedBundle(
                f"{folder} is a bundle of the first format (acoustic descriptor SVM), which is no "
                "longer served: train a new model (emotion-platform train)"
            )
        speech = SpeechBranch.load(folder / SPEECH_DIR, cache_dir, device) if (folder / SPEECH_DIR).exists() else None
        fusion = WordsVoiceFusion.load(folder / FUSION_FILE) if (folder / FUSION_FILE).exists() else None
        face = FaceBranch.read(folder / FACE_FILE, device=device) if (folder / FACE_FILE).exists() else None
        return cls(TextEmotionModel.load(folder / TEXT_DIR, device=device), speech, fusion, face)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.text.save(folder / TEXT_DIR)
        if self.speech is not None:
            self.speech.save(folder / SPEECH_DIR)
        if self.fusion is not None:
            self.fusion.save(folder / FUSION_FILE)
        if self.face is not None:
            atomic.write_text(folder / FACE_FILE, json.dumps(self.face.to_dict(), indent=2))
        atomic.write_text(folder / FORMAT_FILE, json.dumps({"format": BUNDLE_FORMAT, "classes": list(EMOTIONS)}))
        return folder

    @property
    def face_weight(self) -> float:
        return self.face.weight if self.face is not None else 0.0

    def describe(self) -> dict:
        """What a model card or ``/model_info`` says about the branches."""
        return {
            "speech_encoder": self.speech.spec.to_dict() if self.speech else None,
            "fusion": "gated log-linear pool of words and voice" if self.fusion else "single branch",
            "face_model": self.face.model_name if self.face else None,
            "face_weight": self.face_weight,
        }

    def predict_segments(
        self,
        texts: list[str | None],
        speech: np.ndarray | None = None,
        faces: np.ndarray | None = None,
        contexts: list[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Per-segment (n, 7) distributions of each branch and the fusion (NaN rows where absent).

        ``texts[i]`` is None (or empty) where the segment has no words; ``speech`` is the segments'
        (n, dim) speech embeddings with NaN rows where there is no voice; ``faces`` the (n, 7) face
        distributions (:meth:`FaceBranch.distribution`) with NaN rows where no face was seen.
        ``contexts[i]`` is the text branch's dialogue context (default: the previous segment's words).
        """
        n = len(texts)
        for name, rows in (("speech embeddings", speech), ("face distributions", faces)):
            if rows is not None and len(rows) != n:
                raise ValueError(f"one row per segment expected: {n} texts, {len(rows)} {name}")
        text_p = np.full((n, len(EMOTIONS)), np.nan)
        with_text = [i for i, t in enumerate(texts) if t and t.strip()]
        if with_text:
            if contexts is None:
                contexts = ["" if i == 0 else (texts[i - 1] or "") for i in range(n)]
            text_p[with_text] = self.text.predict_proba(
                [texts[i] or "" for i in with_text], [contexts[i] for i in with_text]
            )
        speech_p = np.full((n, len(EMOTIONS)), np.nan)
        with_voice = (
            [] if speech is None or not speech.shape[1] else [i for i in range(n) if not np.isnan(speech[i]).any()]
        )
        if with_voice and speech is not None and self.speech is not None:
            speech_p[with_voice] = self.speech.predict_proba(speech[with_voice])
        face_p = np.full((n, len(EMOTIONS)), np.nan) if faces is None else np.asarray(faces, dtype=float)
        if self.face is None:
            face_p = np.full((n, len(EMOTIONS)), np.nan)
        fused = np.full((n, len(EMOTIONS)), np.nan)
        for i in range(n):
            text_row, speech_row, face_row = (
                None if np.isnan(p[i]).any() else p[i] for p in (text_p, speech_p, face_p)
            )
            row = fuse_segment(text_row, speech_row, face_row, self.fusion, self.face_weight)
            if row is not None:
                fused[i] = row
        return {"text": text_p, "speech": speech_p, "face": face_p, "fused": fused}
