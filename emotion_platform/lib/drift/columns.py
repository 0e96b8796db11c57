"""The columns drift is measured on, computed by one function for training examples and new media alike.

:func:`profile_columns` turns :class:`ProfileInput` rows (text or None, acoustic descriptors and a
speech embedding, or NaN rows where there is no voice) into a table with, in this order:

* ``emb_01`` … ``emb_K``: the model's text embedding (mean-pooled last layer of the fine-tuned
  encoder) projected on the first K principal components of the reference (:class:`EmbeddingReducer`);
* acoustic scalars (:data:`ACOUSTIC_COLUMNS`): duration, loudness, pitch statistics, speech rate …;
* transcript length: ``words`` and ``words_per_second``;
* the model's output: ``predicted_label`` (categorical) and ``confidence`` (top fused probability).

A value a row cannot have (no words, no audio) is NaN; each column is compared only over the rows
that have it. The reference and every window go through the same function, so columns match by
construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import numpy as np
import pandas as pd

from emotion_platform.lib.acoustic.features import FEATURE_NAMES
from emotion_platform.lib.labels import EMOTIONS

ACOUSTIC_COLUMNS: dict[str, str] = {
    "duration_s": "duration_s",
    "loudness_db": "rms_mean",
    "loudness_range_db": "rms_range",
    "pitch_mean_st": "f0_mean",
    "pitch_std_st": "f0_std",
    "pitch_range_st": "f0_range",
    "voiced_fraction": "voiced_fraction",
    "speech_rate_onsets_s": "onset_rate",
    "spectral_flatness": "flatness_mean",
    "active_fraction": "active_fraction",
}
"""Profile column -> acoustic descriptor (:data:`FEATURE_NAMES`) it is read from."""
TEXT_COLUMNS = ("words", "words_per_second")
PREDICTION_COLUMNS = ("predicted_label", "confidence")
CATEGORICAL_COLUMNS = ("predicted_label",)
_FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def embedding_columns(k: int) -> list[str]:
    return [f"emb_{i + 1:02d}" for i in range(k)]


@dataclass
class ProfileInput:
    """Rows to profile: ``texts[i]`` None/empty without words; ``features[i]`` (descriptors) and
    ``speech[i]`` (speech embedding, any width) all-NaN without voice; ``groups[i]`` the speaker or file."""

    texts: list[str | None]
    contexts: list[str]
    features: np.ndarray
    groups: list[str]
    speech: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.texts)
        if self.speech is None:
            self.speech = np.full((n, 0), np.nan)
        if not (len(self.contexts) == len(self.groups) == self.features.shape[0] == self.speech.shape[0] == n):
            raise ValueError(
                f"profile input lengths differ: texts {n}, contexts {len(self.contexts)}, "
                f"groups {len(self.groups)}, features {self.features.shape[0]}, "
                f"speech {self.speech.shape[0]}"
            )
        if self.features.ndim != 2 or self.features.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"features must be (n, {len(FEATURE_NAMES)}), got {self.features.shape}")

    def __len__(self) -> int:
        return len(self.texts)

    @staticmethod
    def concat(parts: list[ProfileInput]) -> ProfileInput:
        speeches = [np.full((len(p), 0), np.nan) if p.speech is None else p.speech for p in parts]
        width = max((s.shape[1] for s in speeches), default=0)
        speech = [s if s.shape[1] == width else np.full((len(s), width), np.nan) for s in speeches]
        return ProfileInput(
            [t for p in parts for t in p.texts],
            [c for p in parts for c in p.contexts],
            np.concatenate([p.features for p in parts]) if parts else np.zeros((0, len(FEATURE_NAMES))),
            [g for p in parts for g in p.groups],
            np.concatenate(speech) if parts else np.zeros((0, 0)),
        )


@dataclass
class EmbeddingReducer:
    """PCA of the text embeddings, fitted on the reference and stored with it."""

    mean: np.ndarray
    components: np.ndarray

    @classmethod
    def fit(cls, embeddings: np.ndarray, k: int) -> EmbeddingReducer:
        from sklearn.decomposition import PCA

        if embeddings.shape[0] < 2:
            raise ValueError(f"need at least 2 texts to fit the embedding reduction, got {embeddings.shape[0]}")
        k = min(k, embeddings.shape[0] - 1, embeddings.shape[1])
        pca = PCA(n_components=k, random_state=0).fit(embeddings)
        return cls(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))

    @property
    def k(self) -> int:
        return self.components.shape[0]

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return (embeddings - self.mean) @ self.components.T

    def save(self, path: Path) -> Path:
        with open(path, "wb") as handle:
            np.savez(handle, mean=self.mean, components=self.components)
        return path

    @classmethod
    def load(cls, path: Path) -> EmbeddingReducer:
        data = np.load(path)
        return cls(data["mean"], data["components"])


def _has_text(text: str | None) -> TypeGuard[str]:
    return bool(text and text.strip())


def text_embeddings(text_model, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Mean-pooled last hidden layer of the text branch's encoder, one row per text."""
    import torch

    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = text_model.encode(texts[start : start + batch_size])
            hidden = text_model.model(**batch, output_hidden_states=True).hidden_states[-1].float()
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            rows.append(((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).cpu().numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def profile_columns(
    bundle, rows: ProfileInput, reducer: EmbeddingReducer | None = None, n_components: int = 16
) -> tuple[pd.DataFrame, EmbeddingReducer]:
    """The profile table of ``rows`` under ``bundle`` (an :class:`EmotionBundle`).

    Without ``reducer`` (the reference case) the embedding PCA is fitted here on these rows'
    texts, with ``n_components`` components; with one (a window) the stored reduction is applied.
    """
    n = len(rows)
    with_text = [i for i, t in enumerate(rows.texts) if _has_text(t)]
    embeddings = text_embeddings(bundle.text, [t for t in rows.texts if _has_text(t)])
    if reducer is None:
        reducer = EmbeddingReducer.fit(embeddings, n_components)
    reduced = np.full((n, reducer.k), np.nan)
    if with_text:
        # Rounded far above float noise: the same sentence padded in another batch must give the same value.
        reduced[with_text] = np.round(reducer.transform(embeddings), 4)
    frame = pd.DataFrame(reduced, columns=embedding_columns(reducer.k))
    for column, feature in ACOUSTIC_COLUMNS.items():
        frame[column] = rows.features[:, _FEATURE_INDEX[feature]].astype(float)
    words = np.array([len(t.split()) if _has_text(t) else np.nan for t in rows.texts], dtype=float)
    frame["words"] = words
    duration = frame["duration_s"].to_numpy()
    frame["words_per_second"] = np.where(duration > 0, words / np.where(duration > 0, duration, 1.0), np.nan)
    fused = bundle.predict_segments(rows.texts, rows.speech, contexts=rows.contexts)["fused"]
    scored = ~np.isnan(fused).any(axis=1)
    frame["predicted_label"] = pd.Series(
        [EMOTIONS[int(np.argmax(p))] if ok else None for p, ok in zip(fused, scored, strict=True)], dtype=object
    )
    frame["confidence"] = np.where(scored, np.nan_to_num(fused).max(axis=1), np.nan)
    return frame, reducer
