"""The CTranslate2 reader, the converter to openai-whisper and the hash-checked model store, on real weights."""

import shutil
from pathlib import Path

import pytest
import torch

from emotion_platform.lib.whisper import WHISPER_MODELS, ModelIntegrityError, ctranslate2_model_dir
from emotion_platform.lib.whisper.convert import convert_ct2_to_openai_whisper, load_checkpoint
from emotion_platform.lib.whisper.ct2_format import read_ct2_model
from emotion_platform.lib.whisper.models import openai_whisper_checkpoint


@pytest.fixture(scope="module")
def tiny_dir(model_cache: Path) -> Path:
    return ctranslate2_model_dir("tiny.en", model_cache)


def test_reader_parses_the_shipped_model(tiny_dir: Path) -> None:
    model = read_ct2_model(tiny_dir / "model.bin")
    assert model.spec == "WhisperSpec"
    assert int(model.variables["encoder/num_heads"]) == 6
    assert model.variables["decoder/embeddings/weight"].shape == (51864, 384)


@pytest.mark.parametrize("cut", [0, 3, 1000])
def test_reader_rejects_truncated_or_foreign_files(tiny_dir: Path, tmp_path: Path, cut: int) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes((tiny_dir / "model.bin").read_bytes()[:cut] if cut else b"GGUF\x03\x00\x00\x00")
    with pytest.raises(ValueError, match=str(bad)):
        read_ct2_model(bad)


def test_converted_state_dict_matches_openai_whisper_exactly(tiny_dir: Path) -> None:
    from whisper.model import ModelDimensions, Whisper

    checkpoint = convert_ct2_to_openai_whisper(tiny_dir)
    reference = Whisper(ModelDimensions(**checkpoint["dims"])).state_dict()
    ours = checkpoint["model_state_dict"]
    assert set(ours) == set(reference)
    assert all(ours[k].shape == reference[k].shape for k in reference)
    assert checkpoint["dims"]["n_audio_layer"] == 4 and checkpoint["dims"]["n_text_head"] == 6


@pytest.mark.slow
def test_converted_model_transcribes_real_speech_with_word_times(model_cache: Path, librivox) -> None:
    import whisper

    from emotion_platform.lib.wer import word_error_rate

    model = load_checkpoint(openai_whisper_checkpoint("tiny.en", model_cache))
    clip = librivox[4]  # "he might even have been made amiable himself"
    result = whisper.transcribe(model, str(clip.path), fp16=False, word_timestamps=True, language="en")
    assert word_error_rate([clip.reference], [result["text"]]) <= 0.15
    starts = [w["start"] for s in result["segments"] for w in s["words"]]
    assert starts == sorted(starts) and len(starts) >= 7
    assert model.alignment_heads.to_dense().sum().item() == 8


def test_checkpoint_is_converted_once(model_cache: Path) -> None:
    first = openai_whisper_checkpoint("tiny.en", model_cache)
    mtime = first.stat().st_mtime_ns
    assert openai_whisper_checkpoint("tiny.en", model_cache) == first
    assert first.stat().st_mtime_ns == mtime
    assert isinstance(torch.load(first, weights_only=True)["dims"], dict)


def test_base_model_is_assembled_from_its_parts(model_cache: Path) -> None:
    folder = ctranslate2_model_dir("base", model_cache)
    assert (folder / "model.bin").stat().st_size == 2 * 72608766
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}


def test_tampered_weights_are_refused(tiny_dir: Path, tmp_path: Path, monkeypatch) -> None:
    fake_pkg = tmp_path / "pkg" / "model"
    shutil.copytree(tiny_dir, fake_pkg)
    data = bytearray((fake_pkg / "model.bin").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (fake_pkg / "model.bin").write_bytes(bytes(data))
    monkeypatch.setattr("emotion_platform.lib.whisper.models._package_dir", lambda pkg, folder: fake_pkg)
    with pytest.raises(ModelIntegrityError, match=WHISPER_MODELS["tiny.en"].sha256):
        ctranslate2_model_dir("tiny.en", tmp_path / "cache")


def test_unknown_model_names_are_listed() -> None:
    with pytest.raises(ValueError, match="tiny.en, base"):
        ctranslate2_model_dir("large-v3", Path("/nonexistent"))
