"""Drift detection on real data: false alarms on no-shift windows, detection on shifted ones, report cost.

    .venv/bin/python bench/drift.py [--windows 30] [--shifted-windows 10] [--window-rows 100]
                                    [--model-uri models:/emotion-model@champion]

Reference: the training split (platform splits, seed 13) of MELD text and RAVDESS speech, at most
1,000 rows per source, profiled with the model. Windows of ``--window-rows`` rows:

* no shift (30 windows): held-out examples of the same sources (MELD dev/test utterances, RAVDESS clips of
  held-out actors) in the reference's source proportions;
* shifted (10 windows of each kind): EmoDB (German acted speech, cut to 2 s), nEMO (Polish acted
  speech), and the no-shift mixture with its audio corrupted by white noise at 5 dB SNR.

Each window is judged by the platform's policy (K-S / chi-squared two-sample tests, Bonferroni,
share threshold) and, as the baseline, by Evidently's default DataDriftPreset. The model is the
registered one behind ``--model-uri`` when given; otherwise the shipped MiniLM encoder with an
untrained head and an acoustic SVM trained on the RAVDESS training actors (printed as such).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402
from machine import cpu_times, describe  # noqa: E402  (bench/machine.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from emotion_platform.lib.acoustic.dataset import load_clip  # noqa: E402
from emotion_platform.lib.acoustic.features import FEATURE_NAMES, feature_vector  # noqa: E402
from emotion_platform.lib.datasets.speech import load_speech  # noqa: E402
from emotion_platform.lib.datasets.splits import assign_splits  # noqa: E402
from emotion_platform.lib.datasets.text import load_text  # noqa: E402
from emotion_platform.lib.drift.columns import CATEGORICAL_COLUMNS, ProfileInput, profile_columns  # noqa: E402
from emotion_platform.lib.drift.inputs import inputs_from_examples  # noqa: E402
from emotion_platform.lib.drift.reference import build_reference  # noqa: E402
from emotion_platform.lib.drift.report import DriftPolicy, compare  # noqa: E402
from emotion_platform.lib.speech.training import train_speech_branch  # noqa: E402
from emotion_platform.settings import PlatformSettings  # noqa: E402

console = Console(width=130)


def stand_in_bundle(train: pd.DataFrame, cache: Path):
    import torch

    from emotion_platform.lib.bundle import EmotionBundle
    from emotion_platform.lib.text_model.encoder import minilm_dir
    from emotion_platform.lib.text_model.model import TextEmotionModel

    torch.manual_seed(0)  # the untrained head is the same in every run
    text = TextEmotionModel.untrained(minilm_dir())
    speech = train[train["modality"] == "speech"]
    branch, _ = train_speech_branch(speech, speech.iloc[:0], cache, PlatformSettings().cache_dir)
    return EmotionBundle(text, branch, None)


def noisy_features(clips: pd.DataFrame, cache: Path, snr_db: float, seed: int = 0) -> np.ndarray:
    """Descriptors of the clips with white noise added at ``snr_db`` (cached like clean features)."""
    key = hashlib.sha256(("\n".join(clips["example_id"]) + f"\nnoise{snr_db}-{seed}").encode()).hexdigest()[:16]
    path = cache / f"noisy-{key}.npy"
    if path.exists():
        return np.load(path)
    rng = np.random.default_rng(seed)
    rows = []
    for audio_path in clips["audio_path"]:
        audio = load_clip(audio_path)
        noise = rng.normal(size=audio.size).astype(np.float32)
        scale = np.sqrt(np.mean(audio**2) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
        rows.append(feature_vector(audio + scale * noise))
    features = np.stack(rows)
    np.save(path, features)
    return features


def profile_key(model_name: str, snr_db: float) -> str:
    """Profiles are reused while the model and the code that computes columns stay the same."""
    from emotion_platform.lib.drift import columns, inputs

    code = Path(columns.__file__).read_text() + Path(inputs.__file__).read_text()
    return hashlib.sha256(f"{model_name}\n{snr_db}\n{code}".encode()).hexdigest()[:12]


def profiles(
    bundle, data: pd.DataFrame, train: pd.DataFrame, datasets_dir: Path, cache: Path, snr_db: float, folder: Path
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Profile columns of the reference and of every pool windows are drawn from (cached in ``folder``)."""
    import json

    if (folder / "meta.json").exists():
        meta = json.loads((folder / "meta.json").read_text())
        return {name: pd.read_parquet(folder / f"{name}.parquet") for name in meta["frames"]}, meta["rows_per_source"]
    reference = build_reference(bundle, train, cache, model_name="bench", model_version="0")
    frames = {"reference": reference.frame}
    held_out = data[data["split"] != "train"]
    for source in reference.meta["rows_per_source"]:
        pool = held_out[held_out["source"] == source]
        pool = (pool.sample(1000, random_state=0) if len(pool) > 1000 else pool).reset_index(drop=True)
        rows = inputs_from_examples(pool, cache, bundle.speech)
        frames[f"pool-{source}"] = profile_columns(bundle, rows, reference.reducer)[0]
        if source == "ravdess_speech":
            noisy = ProfileInput(
                rows.texts, rows.contexts, noisy_features(pool, cache, snr_db), rows.groups, rows.speech
            )  # noisy descriptors; the speech embeddings stay the clean ones
            frames["noisy"] = profile_columns(bundle, noisy, reference.reducer)[0]
    other = load_speech(datasets_dir, ["emodb_2s", "nemo_pl"])
    other = pd.concat(
        [other[other["source"] == "emodb_2s"], other[other["source"] == "nemo_pl"].sample(400, random_state=0)]
    ).reset_index(drop=True)
    profiled = profile_columns(bundle, inputs_from_examples(other, cache, bundle.speech), reference.reducer)[0]
    for source in ("emodb_2s", "nemo_pl"):
        frames[source] = profiled[other["source"].to_numpy() == source].reset_index(drop=True)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    rows_per_source = reference.meta["rows_per_source"]
    (folder / "meta.json").write_text(json.dumps({"frames": list(frames), "rows_per_source": rows_per_source}))
    return frames, rows_per_source


def baseline_drift(reference: pd.DataFrame, current: pd.DataFrame) -> bool:
    """Evidently's defaults: automatic tests per column, p < 0.05 (or distance > 0.1), drift at share 0.5."""
    columns = [c for c in reference.columns if current[c].notna().sum() >= 2]
    definition = DataDefinition(
        numerical_columns=[c for c in columns if c not in CATEGORICAL_COLUMNS],
        categorical_columns=[c for c in columns if c in CATEGORICAL_COLUMNS],
    )
    snapshot = Report([DataDriftPreset(columns=columns)]).run(
        current_data=Dataset.from_pandas(current[columns].reset_index(drop=True), data_definition=definition),
        reference_data=Dataset.from_pandas(reference[columns].reset_index(drop=True), data_definition=definition),
    )
    count = next(m for m in snapshot.dict()["metrics"] if m["config"]["type"].endswith("DriftedColumnsCount"))
    return count["value"]["share"] >= 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=30, help="no-shift windows")
    parser.add_argument("--shifted-windows", type=int, default=10, help="windows per kind of shift")
    parser.add_argument("--window-rows", type=int, default=100)
    parser.add_argument("--model-uri", default=None, help="a registered model, e.g. models:/emotion-model@champion")
    parser.add_argument("--snr-db", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0, help="draws the windows")
    args = parser.parse_args()
    settings = PlatformSettings()
    cache = settings.cache_dir / "features"
    cache.mkdir(parents=True, exist_ok=True)
    policy = DriftPolicy()
    started, machine_before = time.perf_counter(), cpu_times()

    data = assign_splits(
        pd.concat(
            [load_text(settings.datasets_dir, ["meld"]), load_speech(settings.datasets_dir, ["ravdess_speech"])],
            ignore_index=True,
        ),
        seed=13,
    )
    train = data[data["split"] == "train"]
    if args.model_uri:
        from emotion_platform.lib.tracking import load_registered_bundle

        bundle, _ = load_registered_bundle(settings.tracking_uri, args.model_uri)
        model_name = args.model_uri
    else:
        bundle = stand_in_bundle(train, cache)
        model_name = "stand-in (shipped MiniLM, untrained head; acoustic SVM on RAVDESS training actors)"
    folder = cache.parent / "drift-bench" / f"profiles-{profile_key(model_name, args.snr_db)}"
    frames, rows_per_source = profiles(bundle, data, train, settings.datasets_dir, cache, args.snr_db, folder)
    ref = frames["reference"]
    console.print(f"model: {model_name}")
    console.print(f"reference: {len(ref)} rows {rows_per_source}, {len(ref.columns)} columns")
    proportions = {s: n / len(ref) for s, n in rows_per_source.items()}
    pool_profiles = {s: frames[f"pool-{s}"] for s in proportions}
    noisy_profile = frames["noisy"]
    sources = {"emodb_2s": frames["emodb_2s"], "nemo_pl": frames["nemo_pl"]}
    other_profile = pd.concat(sources.values(), ignore_index=True)
    console.print(f"profiles ready after {time.perf_counter() - started:.0f} s")

    rng = np.random.default_rng(args.seed)

    def mixture(profiles: dict[str, pd.DataFrame]) -> pd.DataFrame:
        parts = []
        for source, share in proportions.items():
            frame = profiles[source]
            n = round(args.window_rows * share)
            parts.append(frame.iloc[rng.choice(len(frame), n, replace=False)])
        return pd.concat(parts, ignore_index=True)

    def single(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[rng.choice(len(frame), args.window_rows, replace=False)].reset_index(drop=True)

    kinds = {
        "no shift (held-out MELD + held-out RAVDESS actors)": (False, lambda: mixture(pool_profiles)),
        "EmoDB (German, 2 s clips)": (True, lambda: single(sources["emodb_2s"])),
        "nEMO (Polish)": (True, lambda: single(sources["nemo_pl"])),
        f"held-out mixture, audio + white noise {args.snr_db:g} dB SNR": (
            True,
            lambda: mixture(pool_profiles | {"ravdess_speech": noisy_profile}),
        ),
    }
    table = Table(title=f"drift decisions, windows of {args.window_rows} rows")
    for col in ("windows", "shifted?", "flagged (ours)", "flagged (Evidently defaults)", "median drifted share (ours)"):
        table.add_column(col, justify="right")
    table.add_column("kind", justify="left")
    totals = {False: [0, 0, 0], True: [0, 0, 0]}
    reports = cache.parent / "drift-bench"
    reports.mkdir(parents=True, exist_ok=True)
    for number, (kind, (shifted, draw)) in enumerate(kinds.items()):
        ours = base = 0
        shares = []
        count = args.shifted_windows if shifted else args.windows
        for i in range(count):
            window = draw()
            snapshot, summary = compare(ref, window, policy)
            if i == 0 and snapshot is not None:
                snapshot.save_html(str(reports / f"window-kind{number}.html"))
            ours += summary.dataset_drift
            base += baseline_drift(ref, window)
            shares.append(summary.drifted_share)
        totals[shifted] = [totals[shifted][0] + count, totals[shifted][1] + ours, totals[shifted][2] + base]
        table.add_row(
            str(count),
            "yes" if shifted else "no",
            f"{ours}/{count}",
            f"{base}/{count}",
            f"{np.median(shares):.3f}",
            kind,
        )
    console.print(table)
    console.print(f"first report of each kind: {reports}/window-kind<0..{len(kinds) - 1}>.html")
    n0, fa, fa_base = totals[False]
    n1, det, det_base = totals[True]
    console.print(f"false-alarm rate: {fa / n0:.1%} ({fa}/{n0}); Evidently defaults {fa_base / n0:.1%}   target <= 5%")
    console.print(
        f"detection rate:   {det / n1:.1%} ({det}/{n1}); Evidently defaults {det_base / n1:.1%}   target >= 95%"
    )

    pooled = pd.concat([*pool_profiles.values(), noisy_profile, other_profile], ignore_index=True)
    big = pooled.iloc[rng.choice(len(pooled), 10_000, replace=True)].reset_index(drop=True)
    timings = {}
    for label, reference_frame in (
        ("window 10k rows vs reference", ref),
        (
            "window 10k rows vs reference of 10k rows",
            ref.iloc[rng.choice(len(ref), 10_000, replace=True)].reset_index(drop=True),
        ),
    ):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            snapshot, _ = compare(reference_frame, big, policy)
            snapshot.save_html(str(cache / "bench-drift.html"))
            best = min(best, time.perf_counter() - t0)
        timings[label] = best
        t0 = time.perf_counter()
        baseline_drift(reference_frame, big)
        console.print(
            f"seconds per report, {label} ({len(ref.columns)} columns, HTML included): {best:.2f} s "
            f"(Evidently defaults, no HTML: {time.perf_counter() - t0:.2f} s)   target <= 5 s"
        )
    console.print(
        f"bench wall time {time.perf_counter() - started:.0f} s; feature rows: {len(FEATURE_NAMES)} "
        f"descriptors per clip; {describe(machine_before)}"
    )


if __name__ == "__main__":
    main()
