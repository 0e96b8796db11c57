"""Dialogue lines spoken by a speech synthesiser: speech whose *words* carry the emotion label.

The speech corpora are acted with emotionally neutral sentences, so on them only the voice is
informative. To fit and test fusion where the words are the informative branch, MELD utterances
are spoken with ``espeak-ng`` (flat, rule-based prosody that carries no emotion) and keep MELD's
labels. Several voices, rates and pitches are used so that no single synthetic voice is learnt.
Each recording is cached by what determines it (text, voice, rate, pitch, espeak-ng version) and
written atomically as 16 kHz mono WAV.

    clips = spoken_examples(meld_rows, cache_dir / "spoken")   # + audio_path, voice columns
"""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from emotion_platform.lib import atomic
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.errors import ToolMissing
from emotion_platform.lib.progress import beat

ESPEAK = "espeak-ng"
VOICES = ("en-us", "en-us+f2", "en-gb+m3", "en-gb-x-rp+f4", "en-029+m2", "en-gb-scotland+f3")
RATES = (145, 165, 185)  # words per minute
PITCHES = (35, 50, 65)  # espeak-ng's 0-99 scale


class SynthesizerMissing(ToolMissing):
    """espeak-ng is not installed (``apt-get install espeak-ng``; ``make setup`` does it)."""


@functools.cache
def espeak_version() -> str:
    if shutil.which(ESPEAK) is None:
        raise SynthesizerMissing(f"{ESPEAK} is not on PATH: install the Debian package espeak-ng (make setup)")
    return subprocess.run([ESPEAK, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def synthesize(text: str, voice: str = "en-us", rate: int = 165, pitch: int = 50) -> np.ndarray:
    """``text`` spoken by espeak-ng, as 16 kHz mono float32."""
    import soxr

    espeak_version()
    if not text.strip():
        raise ValueError("nothing to speak: the text is empty")
    done = subprocess.run(
        [ESPEAK, "-v", voice, "-s", str(rate), "-p", str(pitch), "--stdout", "--stdin"],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    audio, rate_hz = sf.read(io.BytesIO(done.stdout), dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate_hz, SAMPLE_RATE).astype(np.float32)


def spoken_path(text: str, voice: str, rate: int, pitch: int, cache_dir: Path) -> Path:
    """The cached recording of ``text`` in that voice (synthesised on first use)."""
    key = hashlib.sha256(f"{espeak_version()}\n{voice}\n{rate}\n{pitch}\n{text}".encode()).hexdigest()[:20]
    dest = Path(cache_dir) / key[:2] / f"{key}.wav"
    if not dest.exists():
        beat("speaking lines with espeak-ng")
        with atomic.atomic_path(dest) as tmp:
            sf.write(tmp, synthesize(text, voice, rate, pitch), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return dest


def spoken_examples(examples: pd.DataFrame, cache_dir: Path, seed: int = 0) -> pd.DataFrame:
    """``examples`` (text rows) with ``audio_path`` and ``voice``: each line spoken in a seeded voice."""
    rng = np.random.default_rng(seed)
    out = examples.reset_index(drop=True).copy()
    voices = rng.integers(len(VOICES), size=len(out))
    rates, pitches = rng.integers(len(RATES), size=len(out)), rng.integers(len(PITCHES), size=len(out))
    out["voice"] = [f"{VOICES[v]} s{RATES[r]} p{PITCHES[p]}" for v, r, p in zip(voices, rates, pitches, strict=True)]
    out["audio_path"] = [
        str(spoken_path(t, VOICES[v], RATES[r], PITCHES[p], cache_dir))
        for t, v, r, p in zip(out["text"], voices, rates, pitches, strict=True)
    ]
    return out


FLAT_VOICE_SOURCE = "espeak_ng"


def flat_voice_examples(lines: pd.DataFrame, cache_dir: Path, seed: int = 0) -> pd.DataFrame:
    """Synthesised lines labelled *neutral* for the speech branch: the synthesiser's flat prosody carries
    no emotion whatever the words say, so the voice should read as neutral (and leave the words to
    decide in fusion). Their own ``source``, so corpus balancing gives them one corpus's weight."""
    return spoken_examples(lines, cache_dir, seed).assign(label="neutral", source=FLAT_VOICE_SOURCE, modality="speech")
