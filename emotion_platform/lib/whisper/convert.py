"""Converting a CTranslate2 Whisper model into an openai-whisper checkpoint.

The two formats hold the same tensors under different names; CTranslate2 fuses the
self-attention query/key/value projections (the key has no bias in Whisper) and the
cross-attention key/value projections, which are split back here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import torch

from emotion_platform.lib import atomic
from emotion_platform.lib.whisper.ct2_format import read_ct2_model


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _linear(out: dict, name: str, v: dict, src: str, bias: bool = True) -> None:
    out[f"{name}.weight"] = _tensor(v[f"{src}/weight"])
    if bias:
        out[f"{name}.bias"] = _tensor(v[f"{src}/bias"])


def _norm(out: dict, name: str, v: dict, src: str) -> None:
    out[f"{name}.weight"] = _tensor(v[f"{src}/gamma"])
    out[f"{name}.bias"] = _tensor(v[f"{src}/beta"])


def _fused(out: dict, names: list[str], v: dict, src: str, bias_names: list[str]) -> None:
    weights = np.split(v[f"{src}/weight"], len(names), axis=0)
    biases = np.split(v[f"{src}/bias"], len(names), axis=0)
    for name, weight, b in zip(names, weights, biases, strict=True):
        out[f"{name}.weight"] = _tensor(weight)
        if name in bias_names:
            out[f"{name}.bias"] = _tensor(b)
        elif np.abs(b).max() > 1e-3:
            raise ValueError(f"{src}: expected a zero bias for {name}, found max |b| = {np.abs(b).max():.3g}")


def _layers(v: dict, stack: str) -> int:
    return len({k.split("/")[1] for k in v if re.match(rf"{stack}/layer_\d+/", k)})


def _block(out: dict, v: dict, dst: str, src: str, cross: bool) -> None:
    _fused(
        out,
        [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"],
        v,
        f"{src}/self_attention/linear_0",
        bias_names=[f"{dst}.attn.query", f"{dst}.attn.value"],
    )
    _linear(out, f"{dst}.attn.out", v, f"{src}/self_attention/linear_1")
    _norm(out, f"{dst}.attn_ln", v, f"{src}/self_attention/layer_norm")
    if cross:
        _linear(out, f"{dst}.cross_attn.query", v, f"{src}/attention/linear_0")
        _fused(
            out,
            [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"],
            v,
            f"{src}/attention/linear_1",
            bias_names=[f"{dst}.cross_attn.value"],
        )
        _linear(out, f"{dst}.cross_attn.out", v, f"{src}/attention/linear_2")
        _norm(out, f"{dst}.cross_attn_ln", v, f"{src}/attention/layer_norm")
    _linear(out, f"{dst}.mlp.0", v, f"{src}/ffn/linear_0")
    _linear(out, f"{dst}.mlp.2", v, f"{src}/ffn/linear_1")
    _norm(out, f"{dst}.mlp_ln", v, f"{src}/ffn/layer_norm")


def convert_ct2_to_openai_whisper(ct2_dir: Path) -> dict:
    """An openai-whisper checkpoint dict (``dims``, ``model_state_dict``, ``alignment_heads``)."""
    model = read_ct2_model(Path(ct2_dir) / "model.bin")
    if model.spec != "WhisperSpec":
        raise ValueError(f"{ct2_dir}: spec is {model.spec!r}, not a Whisper model")
    v = model.variables
    n_audio_layer, n_text_layer = _layers(v, "encoder"), _layers(v, "decoder")
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    state: dict[str, torch.Tensor] = {}
    for conv in ("conv1", "conv2"):
        _linear(state, f"encoder.{conv}", v, f"encoder/{conv}")
    state["encoder.positional_embedding"] = _tensor(v["encoder/position_encodings/encodings"])
    for i in range(n_audio_layer):
        _block(state, v, f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    _norm(state, "encoder.ln_post", v, "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = _tensor(v["decoder/embeddings/weight"])
    state["decoder.positional_embedding"] = _tensor(v["decoder/position_encodings/encodings"])
    for i in range(n_text_layer):
        _block(state, v, f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    _norm(state, "decoder.ln", v, "decoder/layer_norm")
    config = json.loads((Path(ct2_dir) / "config.json").read_text())
    return {"dims": dims, "model_state_dict": state, "alignment_heads": config.get("alignment_heads", [])}


def save_checkpoint(checkpoint: dict, dest: Path) -> Path:
    """Write the checkpoint atomically (readers never see a partial file)."""
    with atomic.atomic_path(dest) as tmp:
        torch.save(checkpoint, tmp)
    return dest


def load_checkpoint(path: Path, device: str = "cpu"):
    """A ready ``whisper.model.Whisper`` (eval mode, alignment heads set for word timestamps)."""
    from whisper.model import ModelDimensions, Whisper

    checkpoint = torch.load(path, map_location=device, weights_only=True)
    dims = ModelDimensions(**checkpoint["dims"])
    model = Whisper(dims)
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    heads = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
    for layer, head in checkpoint["alignment_heads"]:
        heads[layer, head] = True
    model.register_buffer("alignment_heads", heads.to_sparse(), persistent=False)
    return model.to(device).eval()
