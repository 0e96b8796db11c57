"""Loading, running and saving a fine-tuned text emotion classifier."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.metrics import softmax

META_FILE = "emotion_model.json"
# Shape buckets (``bucket_shapes``): padded lengths are multiples of LENGTH_STEP tokens, and a batch of n
# rows runs as the smallest ROW_BUCKETS entry >= n (empty rows fill it; their outputs are dropped).
LENGTH_STEP = 16
ROW_BUCKETS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64)


def bucketed_rows(rows: int) -> int:
    """The number of rows a batch of ``rows`` runs as: the smallest bucket that holds it."""
    return next((bucket for bucket in ROW_BUCKETS if bucket >= rows), rows)


@dataclass
class TextEmotionModel:
    """A sequence classifier over (utterance, previous utterance) pairs, with its tokenizer.

    ``predict_proba`` returns calibrated probabilities in :data:`EMOTIONS` order. With ``bucket_shapes``
    every forward pass has one of a few dozen shapes (rows x padded length, see :func:`bucketed_rows`):
    a serving process under adaptive batching otherwise sees a new shape with nearly every batch, and
    the allocator's and oneDNN's per-shape state grows its memory (docs/benchmarks.md, soak).
    """

    model: torch.nn.Module
    tokenizer: object
    max_length: int = 96
    use_context: bool = True
    temperature: float = 1.0
    device: str = "cpu"
    bucket_shapes: bool = False

    @classmethod
    def load(cls, model_dir: Path, device: str = "cpu") -> TextEmotionModel:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        meta = json.loads((Path(model_dir) / META_FILE).read_text())
        if tuple(meta["labels"]) != EMOTIONS:
            raise ValueError(f"{model_dir}: label order {meta['labels']} differs from {list(EMOTIONS)}")
        model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).to(device).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        return cls(model, tokenizer, meta["max_length"], meta["use_context"], meta.get("temperature", 1.0), device)

    def save(self, model_dir: Path) -> Path:
        model_dir.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(model_dir))
        self.tokenizer.save_pretrained(str(model_dir))
        meta = {"labels": list(EMOTIONS), "max_length": self.max_length, "use_context": self.use_context,
                "temperature": self.temperature}
        (model_dir / META_FILE).write_text(json.dumps(meta, indent=2))
        return model_dir

    def encode(self, texts: list[str], contexts: list[str] | None = None) -> dict[str, torch.Tensor]:
        pairs = contexts if (self.use_context and contexts is not None) else None
        if pairs is not None:
            pairs = [c or "" for c in pairs]
        texts = list(texts)
        if self.bucket_shapes:
            filler = bucketed_rows(len(texts)) - len(texts)
            texts += [""] * filler
            pairs = pairs + [""] * filler if pairs is not None else None
        batch = self.tokenizer(texts, pairs, truncation="longest_first", max_length=self.max_length,
                               padding=True, pad_to_multiple_of=LENGTH_STEP if self.bucket_shapes else None,
                               return_tensors="pt")
        return {k: v.to(self.device) for k, v in batch.items()}

    @torch.inference_mode()
    def logits(self, texts: list[str], contexts: list[str] | None = None, batch_size: int = 64) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            ctx = contexts[start : start + batch_size] if contexts is not None else None
            rows = texts[start : start + batch_size]
            batch = self.encode(rows, ctx)
            out.append(self.model(**batch).logits[: len(rows)].float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(EMOTIONS)), dtype=np.float32)

    def predict_proba(self, texts: list[str], contexts: list[str] | None = None, batch_size: int = 64) -> np.ndarray:
        return softmax(self.logits(texts, contexts, batch_size), self.temperature)

    def probability_gap(self, other: TextEmotionModel, texts: list[str], contexts: list[str] | None = None) -> float:
        """The largest difference between this model's probabilities and ``other``'s on ``texts``."""
        return float(np.abs(self.predict_proba(texts, contexts) - other.predict_proba(texts, contexts)).max())

    @classmethod
    def untrained(cls, encoder_dir: Path, max_length: int = 96) -> TextEmotionModel:
        """``encoder_dir``'s encoder with a new, untrained seven-way head: the architecture's cost without
        a trained model (benchmarks)."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model = AutoModelForSequenceClassification.from_pretrained(str(encoder_dir), num_labels=len(EMOTIONS))
        return cls(model.eval(), AutoTokenizer.from_pretrained(str(encoder_dir)), max_length=max_length)
