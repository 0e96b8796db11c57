"""Transcription speed and accuracy: openai-whisper (reference) vs faster-whisper (fast path).

Usage: .venv/bin/python bench/transcription.py [--repeats 3] [--model tiny.en]

On the same real clips in one run (five LibriVox read-speech clips with reference transcripts,
and the 30 s two-speaker conversation from pyannote-audio), prints the real-time factor (wall time
/ audio time, best of --repeats) and the corpus WER of:
  * openai-whisper, one recording at a time (the reference),
  * faster-whisper, one recording at a time,
  * faster-whisper, all recordings in one call (speech packed into shared 30 s windows),
and each one's speed-up over the reference. Target: fast path >= 3x faster with WER no worse.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from emotion_platform.lib.audio import SAMPLE_RATE  # noqa: E402
from emotion_platform.lib.media.decode import decode_audio, load_audio  # noqa: E402
from emotion_platform.lib.media.probe import probe  # noqa: E402
from emotion_platform.lib.samples import conversation_reference, gather_wheel_samples, librivox_clips  # noqa: E402
from emotion_platform.lib.transcription import build_transcriber  # noqa: E402
from emotion_platform.lib.wer import word_error_rate  # noqa: E402
from emotion_platform.settings import PlatformSettings  # noqa: E402


def load_corpus(cache: Path) -> tuple[list, list[str]]:
    samples = gather_wheel_samples(cache / "samples", ["conversation.wav", "conversation.stm"])
    paths = [c.path for c in librivox_clips()] + [samples["conversation.wav"]]
    refs = [c.reference for c in librivox_clips()] + [conversation_reference(samples["conversation.stm"])]
    audios = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            out = Path(tmp) / f"{path.stem}.wav"
            decode_audio(path, out, probe(path).duration_s)
            audios.append(load_audio(out))
    return audios, refs


def timed(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    cache = PlatformSettings().cache_dir
    audios, refs = load_corpus(cache)
    audio_s = sum(len(a) for a in audios) / SAMPLE_RATE
    librivox_n = len(refs) - 1

    reference = build_transcriber("openai-whisper", args.model, cache, device=args.device)
    fast = build_transcriber("faster-whisper", args.model, cache, device=args.device, batch_size=8)
    for t in (reference, fast):  # warm up (first call loads kernels)
        t.transcribe(audios[0])
    runs = {
        "openai-whisper, per recording (reference)": lambda: [reference.transcribe(a) for a in audios],
        "faster-whisper, per recording": lambda: [fast.transcribe(a) for a in audios],
        "faster-whisper, batched (packed windows)": lambda: fast.transcribe_many(audios),
    }
    rows = []
    for name, fn in runs.items():
        wall, transcripts = timed(fn, args.repeats)
        hyps = [t.text for t in transcripts]
        rows.append(
            (
                name,
                wall,
                word_error_rate(refs[:librivox_n], hyps[:librivox_n]),
                word_error_rate(refs[librivox_n:], hyps[librivox_n:]),
            )
        )
    base_wall = rows[0][1]
    table = Table(
        title=f"Whisper {args.model} on {args.device}, {len(audios)} real recordings, "
        f"{audio_s:.1f} s of audio, best of {args.repeats}"
    )
    for col in ("backend", "wall s", "RTF", "speed-up vs reference", "WER LibriVox", "WER conversation"):
        table.add_column(col)
    for name, wall, wer_lv, wer_conv in rows:
        table.add_row(
            name, f"{wall:.2f}", f"{wall / audio_s:.4f}", f"{base_wall / wall:.2f}x", f"{wer_lv:.3f}", f"{wer_conv:.3f}"
        )
    Console(width=140).print(table)
    best = rows[2]
    verdict = "met" if base_wall / best[1] >= 3 and best[2] <= rows[0][2] else "NOT met"
    print(
        f"target (fast path >= 3x faster, LibriVox WER no worse): {verdict} "
        f"({base_wall / best[1]:.2f}x, WER {best[2]:.3f} vs {rows[0][2]:.3f})"
    )


if __name__ == "__main__":
    main()
