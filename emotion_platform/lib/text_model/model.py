"""Loading, running and saving a fine-tuned text emotion classifier."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.metrics import softmax

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

META_FILE = "emotion_model.json"
# Shape buckets (``bucket_shapes``): a batch of n rows runs as chunks of power-of-two rows (see
# :func:`row_chunks`), each padded to a multiple of LENGTH_STEP tokens.
LENGTH_STEP = 16


def row_chunks(rows: int) -> list[int]:
    """The power-of-two chunk sizes a batch of ``rows`` runs as, largest first: 23 -> [16, 4, 2, 1].

    Every chunk is a real row (no padding rows, no wasted compute), and a batch of at most 64 rows has
    only seven chunk sizes.
    """
    return [1 << bit for bit in reversed(range(rows.bit_length())) if rows >> bit & 1]


@dataclass
class TextEmotionModel:
    """A sequence classifier over (utterance, previous utterance) pairs, with its tokenizer.

    ``predict_proba`` returns calibrated probabilities in :data:`EMOTIONS` order. With ``bucket_shapes``
    every forward pass has one of a few dozen shapes: the rows, sorted by length, run in power-of-two
    chunks (:func:`row_chunks`), each padded to a multiple of :data:`LENGTH_STEP` tokens. A serving
    process under adaptive batching otherwise sees a new shape with nearly every batch, and the
    allocator's and oneDNN's per-shape state grows its memory (docs/benchmarks.md, soak).
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
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
        meta = {
            "labels": list(EMOTIONS),
            "max_length": self.max_length,
            "use_context": self.use_context,
            "temperature": self.temperature,
        }
        (model_dir / META_FILE).write_text(json.dumps(meta, indent=2))
        return model_dir

    def tokenize(self, texts: list[str], contexts: list[str] | None = None) -> list[dict[str, list[int]]]:
        """Token ids of each (utterance, previous utterance) pair, truncated to ``max_length``, unpadded."""
        pairs = [c or "" for c in contexts] if (self.use_context and contexts is not None) else None
        encoded = self.tokenizer(list(texts), pairs, truncation="longest_first", max_length=self.max_length)
        return [{key: encoded[key][row] for key in encoded} for row in range(len(texts))]

    def pad(self, rows: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        """A batch of tokenized rows as tensors on the model's device (lengths in steps of LENGTH_STEP
        with ``bucket_shapes``)."""
        step = LENGTH_STEP if self.bucket_shapes else None
        batch = self.tokenizer.pad(rows, padding=True, pad_to_multiple_of=step, return_tensors="pt")
        return {key: value.to(self.device) for key, value in batch.items()}

    def encode(self, texts: list[str], contexts: list[str] | None = None) -> dict[str, torch.Tensor]:
        return self.pad(self.tokenize(texts, contexts))

    def _forward(self, rows: list[dict[str, list[int]]]) -> np.ndarray:
        return self.model(**self.pad(rows)).logits.float().cpu().numpy()

    def _forward_bucketed(self, rows: list[dict[str, list[int]]]) -> np.ndarray:
        """Logits of ``rows`` in their order, run shortest first in power-of-two chunks."""
        order = sorted(range(len(rows)), key=lambda row: len(rows[row]["input_ids"]))
        logits = np.zeros((len(rows), len(EMOTIONS)), dtype=np.float32)
        start = 0
        for size in sorted(row_chunks(len(rows))):
            chunk = order[start : start + size]
            logits[chunk] = self._forward([rows[row] for row in chunk])
            start += size
        return logits

    @torch.inference_mode()
    def logits(self, texts: list[str], contexts: list[str] | None = None, batch_size: int = 64) -> np.ndarray:
        tokenized = self.tokenize(texts, contexts) if texts else []
        forward = self._forward_bucketed if self.bucket_shapes else self._forward
        out = [forward(tokenized[start : start + batch_size]) for start in range(0, len(tokenized), batch_size)]
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
