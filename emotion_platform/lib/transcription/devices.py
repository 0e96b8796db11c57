"""Choosing where a model runs: ``auto`` means the GPU when one is usable, else the CPU."""

from __future__ import annotations


def torch_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but torch sees no CUDA GPU")
    return requested


def ctranslate2_device(requested: str) -> str:
    import ctranslate2

    has_gpu = ctranslate2.get_cuda_device_count() > 0
    if requested == "auto":
        return "cuda" if has_gpu else "cpu"
    if requested == "cuda" and not has_gpu:
        raise RuntimeError("device 'cuda' was requested but CTranslate2 sees no CUDA GPU")
    return requested
