"""The emotion model as one versioned unit: text branch, acoustic branch and fusion weights.

    <bundle>/text/            fine-tuned transformer + tokenizer + label map + temperature
    <bundle>/acoustic.joblib  the acoustic classifier (with its speaker normaliser)
    <bundle>/fusion.json      branch weights fitted on validation data

A champion is a bundle; ``models:/emotion-model@champion`` loads all three together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion_platform.lib.acoustic.features import feature_vector
from emotion_platform.lib.acoustic.model import AcousticClassifier
from emotion_platform.lib.fusion import fuse
from emotion_platform.lib.text_model.model import TextEmotionModel

TEXT_DIR, ACOUSTIC_FILE, FUSION_FILE = "text", "acoustic.joblib", "fusion.json"


@dataclass
class EmotionBundle:
    text: TextEmotionModel
    acoustic: AcousticClassifier | None
    weights: dict[str, float]

    @classmethod
    def load(cls, folder: Path, device: str = "cpu") -> EmotionBundle:
        folder = Path(folder)
        acoustic = AcousticClassifier.load(folder / ACOUSTIC_FILE) if (folder / ACOUSTIC_FILE).exists() else None
        weights = json.loads((folder / FUSION_FILE).read_text()) if (folder / FUSION_FILE).exists() else {"text": 1.0}
        return cls(TextEmotionModel.load(folder / TEXT_DIR, device=device), acoustic, weights)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.text.save(folder / TEXT_DIR)
        if self.acoustic is not None:
            self.acoustic.save(folder / ACOUSTIC_FILE)
        (folder / FUSION_FILE).write_text(json.dumps(self.weights, indent=2))
        return folder

    def predict_segments(self, texts: list[str | None], audios: list[np.ndarray | None],
                         group: str | None = None) -> dict[str, np.ndarray | None]:
        """Per-segment distributions of each branch and the fusion.

        ``texts[i]`` is None (or empty) where the segment has no words, ``audios[i]`` None where
        there is no audio; ``group`` names the speaker-normalisation group (the media file).
        """
        n = len(texts)
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
        fused = np.zeros((n, 7))
        for i in range(n):
            parts = {"text": None if text_p is None or np.isnan(text_p[i]).any() else text_p[i],
                     "acoustic": None if acoustic_p is None or np.isnan(acoustic_p[i]).any() else acoustic_p[i]}
            fused[i] = fuse(parts, self.weights)[0] if any(v is not None for v in parts.values()) else np.nan
        return {"text": text_p, "acoustic": acoustic_p, "fused": fused}
