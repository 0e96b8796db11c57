"""Interpretable acoustic descriptors of a speech recording, computed with librosa.

:func:`acoustic_features` returns a fixed vector (:data:`FEATURE_NAMES`):

* pitch (YIN, 65-500 Hz, voiced frames only, in semitones re 55 Hz): mean, std, 5th/95th
  percentile, range, voiced fraction, mean absolute slope;
* energy (RMS, dB): mean, std, max, 90th-10th percentile range;
* spectrum: centroid, bandwidth, roll-off, flatness and zero-crossing rate (mean, std), spectral
  contrast per band (mean);
* timbre: MFCC 1-20 mean and std, delta-MFCC std;
* timing: duration, onset rate (a speech-rate proxy), share of frames above the energy floor.

Silent or empty audio gives zeros (never NaN): the classifier sees "no voice" as a vector too.
:func:`log_mel_stats` is the simple baseline representation (64-band log-mel mean and std).
"""

from __future__ import annotations

import numpy as np

from emotion_platform.lib.audio import SAMPLE_RATE

SR = SAMPLE_RATE
HOP = 160  # 10 ms
N_MFCC = 20
_BASE = [
    "f0_mean",
    "f0_std",
    "f0_p05",
    "f0_p95",
    "f0_range",
    "voiced_fraction",
    "f0_slope",
    "rms_mean",
    "rms_std",
    "rms_max",
    "rms_range",
    "centroid_mean",
    "centroid_std",
    "bandwidth_mean",
    "bandwidth_std",
    "rolloff_mean",
    "rolloff_std",
    "flatness_mean",
    "flatness_std",
    "zcr_mean",
    "zcr_std",
    *[f"contrast_{i}" for i in range(7)],
    *[f"mfcc{i}_mean" for i in range(1, N_MFCC + 1)],
    *[f"mfcc{i}_std" for i in range(1, N_MFCC + 1)],
    *[f"dmfcc{i}_std" for i in range(1, N_MFCC + 1)],
    "duration_s",
    "onset_rate",
    "active_fraction",
]
FEATURE_NAMES: tuple[str, ...] = tuple(_BASE)
FEATURE_VERSION = 1


def _stats(x: np.ndarray) -> tuple[float, float]:
    return (float(np.mean(x)), float(np.std(x))) if x.size else (0.0, 0.0)


def acoustic_features(audio: np.ndarray, sr: int = SR) -> dict[str, float]:
    """The descriptors of one recording (16 kHz mono float32)."""
    import librosa

    audio = np.asarray(audio, dtype=np.float32)
    if audio.size < sr // 10 or not np.any(audio):
        return dict.fromkeys(FEATURE_NAMES, 0.0)
    rms = librosa.feature.rms(y=audio, frame_length=400, hop_length=HOP)[0]
    rms_db = 20 * np.log10(np.maximum(rms, 1e-5))
    active = rms_db > (rms_db.max() - 35)
    f0 = librosa.yin(audio, fmin=65, fmax=500, sr=sr, frame_length=1024, hop_length=HOP)
    n = min(len(f0), len(active))
    voiced = f0[:n][active[:n]]
    semitones = 12 * np.log2(voiced / 55.0) if voiced.size else np.zeros(0)
    f = {}
    f["f0_mean"], f["f0_std"] = _stats(semitones)
    f["f0_p05"] = float(np.percentile(semitones, 5)) if semitones.size else 0.0
    f["f0_p95"] = float(np.percentile(semitones, 95)) if semitones.size else 0.0
    f["f0_range"] = f["f0_p95"] - f["f0_p05"]
    f["voiced_fraction"] = float(voiced.size / max(n, 1))
    f["f0_slope"] = float(np.mean(np.abs(np.diff(semitones)))) if semitones.size > 1 else 0.0
    act = rms_db[active]
    f["rms_mean"], f["rms_std"] = _stats(act)
    f["rms_max"] = float(rms_db.max())
    f["rms_range"] = float(np.percentile(act, 90) - np.percentile(act, 10)) if act.size else 0.0
    stft = np.abs(librosa.stft(audio, n_fft=512, hop_length=HOP))
    for name, values in (
        ("centroid", librosa.feature.spectral_centroid(S=stft, sr=sr)[0]),
        ("bandwidth", librosa.feature.spectral_bandwidth(S=stft, sr=sr)[0]),
        ("rolloff", librosa.feature.spectral_rolloff(S=stft, sr=sr)[0]),
        ("flatness", librosa.feature.spectral_flatness(S=stft)[0]),
        ("zcr", librosa.feature.zero_crossing_rate(audio, frame_length=400, hop_length=HOP)[0]),
    ):
        values = values[: len(active)][active[: len(values)]]
        f[f"{name}_mean"], f[f"{name}_std"] = _stats(values)
    contrast = librosa.feature.spectral_contrast(S=stft, sr=sr, fmin=100.0)
    for i in range(7):
        f[f"contrast_{i}"] = float(contrast[i].mean())
    mel = librosa.feature.melspectrogram(S=stft**2, sr=sr, n_mels=40)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC + 1)[1:]
    delta = librosa.feature.delta(mfcc) if mfcc.shape[1] >= 9 else np.zeros_like(mfcc)
    for i in range(N_MFCC):
        f[f"mfcc{i + 1}_mean"], f[f"mfcc{i + 1}_std"] = _stats(mfcc[i])
        f[f"dmfcc{i + 1}_std"] = float(delta[i].std())
    f["duration_s"] = audio.size / sr
    onsets = librosa.onset.onset_detect(y=audio, sr=sr, hop_length=HOP)
    f["onset_rate"] = len(onsets) / max(f["duration_s"], 1e-3)
    f["active_fraction"] = float(active.mean())
    return {name: float(np.nan_to_num(f[name])) for name in FEATURE_NAMES}


def feature_vector(audio: np.ndarray, sr: int = SR) -> np.ndarray:
    values = acoustic_features(audio, sr)
    return np.array([values[name] for name in FEATURE_NAMES], dtype=np.float32)


def log_mel_stats(audio: np.ndarray, sr: int = SR, n_mels: int = 64) -> np.ndarray:
    """Mean and standard deviation of each log-mel band (the simple baseline)."""
    import librosa

    if audio.size < 512:
        return np.zeros(2 * n_mels, dtype=np.float32)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(y=audio, sr=sr, n_mels=n_mels, hop_length=HOP))
    return np.concatenate([mel.mean(axis=1), mel.std(axis=1)]).astype(np.float32)
