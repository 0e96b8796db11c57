"""What progress reporting costs training: the same fine-tune with reports going nowhere and with
reports after every batch (the worst case; the platform reports at most every 30 s).

Usage: .venv/bin/python bench/progress_overhead.py [--examples 1600] [--repeats 5]

A small real fine-tune (a 2-layer BERT with MiniLM's tokenizer on MELD training lines, 1 epoch),
run alternately without reporting (the baseline) and with every batch reported to a run-log-like
list, plain lines on a discarded stream, and a heartbeat thread; prints each run's seconds and the
ratio of the medians. Target: reporting costs nothing measurable (ratio within the run-to-run spread).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import cpu_times, describe  # noqa: E402  (bench/machine.py)

from emotion_platform.lib.datasets.text import load_meld  # noqa: E402
from emotion_platform.lib.progress import Heartbeat, TerminalReporter, reporting_to  # noqa: E402
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir  # noqa: E402
from emotion_platform.lib.text_model.train import TextTrainConfig, train_text_classifier  # noqa: E402
from emotion_platform.settings import PlatformSettings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1600)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    before = cpu_times()
    meld = load_meld(PlatformSettings().datasets_dir)
    train = meld[meld["official_split"] == "train"].sample(args.examples, random_state=0)
    validation = meld[meld["official_split"] == "dev"].sample(64, random_state=0)
    config = TextTrainConfig(learning_rate=1e-3, epochs=1, batch_size=16, max_length=48)
    with tempfile.TemporaryDirectory() as tmp:
        encoder = tiny_encoder_dir(Path(tmp) / "tiny")
        seconds: dict[str, list[float]] = {"no reporting": [], "every batch reported": []}
        reported = 0
        for _ in range(args.repeats):
            for mode in seconds:
                run_log: list = []
                reporters = [] if mode == "no reporting" else [run_log.append, TerminalReporter(io.StringIO())]
                heartbeat = None if mode == "no reporting" else Heartbeat(600, lambda stage, quiet: None)
                started = time.perf_counter()
                with reporting_to(reporters, heartbeat):
                    train_text_classifier(train, validation, encoder, config, report_every_s=0.0)
                seconds[mode].append(time.perf_counter() - started)
                reported = max(reported, len(run_log))
    base, reporting = (statistics.median(v) for v in seconds.values())
    for mode, values in seconds.items():
        runs = ", ".join(f"{v:.2f} s" for v in values)
        print(f"{mode:>22}: {runs}  (median {statistics.median(values):.2f} s)")
    spread = max(seconds["no reporting"]) / min(seconds["no reporting"])
    print(
        f"{reported} reports per run; ratio reporting / baseline (medians): {reporting / base:.3f}; "
        f"baseline run-to-run spread (max/min): {spread:.3f}"
    )
    print(describe(before))


if __name__ == "__main__":
    main()
