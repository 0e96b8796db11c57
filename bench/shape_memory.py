"""Resident memory of the served text model under batches of varied shape, in one process (no server).

Usage: .venv/bin/python bench/shape_memory.py [--batches 1500] [--max-batch 32] [--precision auto|float32]
                                             [--no-prepack]

Loads the text model the service would serve (``load_from_registry``: the champion, bfloat16 and
prepacked where the CPU allows, one torch thread as each serving worker on 2 cores) and classifies
real MELD utterances in batches of random size 1..``--max-batch`` (the shapes adaptive batching
makes: batch size x padded length), printing RSS every 250 batches; ``--max-batch 1`` is the
one-utterance baseline. bench/soak.py found the workers' RSS growing under text load with adaptive
batching on and not with it off; this reproduces that without BentoML. Run it with
``MALLOC_MMAP_THRESHOLD_=65536`` (glibc: large blocks always from mmap) to see what allocator
fragmentation adds, or ``ONEDNN_PRIMITIVE_CACHE_CAPACITY=0`` for oneDNN's per-shape cache.
"""

from __future__ import annotations

import argparse
import os
import random
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import psutil  # noqa: E402
import torch  # noqa: E402
from serving import meld_utterances  # noqa: E402  (bench/serving.py)

from emotion_platform.lib.text_model import model as text_model  # noqa: E402
from emotion_platform.serving.model import load_from_registry  # noqa: E402
from emotion_platform.settings import get_settings  # noqa: E402

MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=1500)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--precision", choices=("auto", "float32"), default="auto")
    parser.add_argument("--no-prepack", action="store_true")
    parser.add_argument(
        "--no-buckets", action="store_true", help="run each batch at its own shape (the service buckets shapes)"
    )
    parser.add_argument(
        "--length-step",
        type=int,
        default=text_model.LENGTH_STEP,
        help="padded lengths are multiples of this many tokens",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = get_settings()
    model = load_from_registry(
        settings.tracking_uri, settings.registered_model, "champion", "cpu", args.precision, not args.no_prepack
    )
    model.bundle.text.bucket_shapes = not args.no_buckets
    text_model.LENGTH_STEP = args.length_step
    texts, rng, process = meld_utterances(), random.Random(0), psutil.Process()
    start, started, utterances = process.memory_info().rss / MB, time.perf_counter(), 0
    buckets = "off" if args.no_buckets else f"on (lengths in steps of {args.length_step})"
    print(
        f"{model.describe()}; shape buckets {buckets}; RSS {start:.0f} MiB; MALLOC_MMAP_THRESHOLD_="
        f"{os.environ.get('MALLOC_MMAP_THRESHOLD_', '-')}, ONEDNN_PRIMITIVE_CACHE_CAPACITY="
        f"{os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY', '-')}",
        flush=True,
    )
    for i in range(1, args.batches + 1):
        batch = rng.sample(texts, rng.randint(1, args.max_batch))
        model.bundle.text.predict_proba(batch, [""] * len(batch))
        utterances += len(batch)
        if i % 250 == 0 or i == args.batches:
            print(
                f"  {i:>5} batches, {utterances:>6} utterances, {time.perf_counter() - started:>4.0f} s: RSS "
                f"{process.memory_info().rss / MB:.0f} MiB",
                flush=True,
            )
    elapsed = time.perf_counter() - started
    print(
        f"growth: {process.memory_info().rss / MB - start:+.0f} MiB; {1000 * elapsed / utterances:.2f} ms per "
        "utterance",
        flush=True,
    )


if __name__ == "__main__":
    main()
