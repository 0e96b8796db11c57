"""The text model's forward pass with prepacked linear layers against plain ``nn.Linear``, in process.

Usage: .venv/bin/python bench/prepacked_linear.py [--threads 1] [--rounds 5]

The shipped MiniLM encoder with a seven-way head (the champion's architecture), in bfloat16 on one
torch thread (a serving worker's share of a 2-core machine), classifies batches of real MELD
utterances of 1 to 32 at a time. Plain and prepacked copies run interleaved, round by round; each
prints its best round's milliseconds per batch, and the ratio. Outputs are compared too: prepacking
must not change a probability by more than 1e-3. Needs a CPU with native bfloat16 (AVX512-BF16 or
AMX), where the service runs the text model in bfloat16 and prepacks it.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from machine import cpu_times, describe  # noqa: E402  (bench/machine.py)
from serving import meld_utterances  # noqa: E402  (bench/serving.py)

from emotion_platform.lib.text_model.encoder import minilm_dir  # noqa: E402
from emotion_platform.lib.text_model.model import TextEmotionModel  # noqa: E402
from emotion_platform.serving.model import cpu_has_native_bfloat16  # noqa: E402
from emotion_platform.serving.prepacked import prepack_linears  # noqa: E402

BATCH_SIZES = (1, 4, 8, 16, 32)


def ms_per_batch(text: TextEmotionModel, batches: list[list[str]]) -> float:
    text.predict_proba(batches[0], [""] * len(batches[0]))  # warm the kernels for this shape range
    started = time.perf_counter()
    for batch in batches:
        text.predict_proba(batch, [""] * len(batch))
    return (time.perf_counter() - started) / len(batches) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--batches", type=int, default=30, help="batches per round and batch size")
    args = parser.parse_args()
    if not cpu_has_native_bfloat16():
        print("This CPU has no native bfloat16: the service runs float32 here and does not prepack.")
        return 0
    torch.set_num_threads(args.threads)
    before = cpu_times()
    plain = TextEmotionModel.untrained(minilm_dir())
    plain.model = plain.model.to(torch.bfloat16)
    packed = copy.copy(plain)
    packed.model = copy.deepcopy(plain.model)
    layers = prepack_linears(packed.model)
    texts = meld_utterances()
    rng = random.Random(0)
    print(
        f"MiniLM-L6 + 7-way head, bfloat16, {args.threads} torch thread(s), {layers} linear layers prepacked; "
        f"best of {args.rounds} interleaved rounds of {args.batches} batches"
    )
    print(f"{'batch':>5} {'plain ms':>9} {'prepacked ms':>13} {'speed-up':>9} {'max |dp|':>9}")
    with torch.inference_mode():
        for size in BATCH_SIZES:
            batches = [rng.sample(texts, size) for _ in range(args.batches)]
            times = {"plain": [], "packed": []}
            for _ in range(args.rounds):
                times["plain"].append(ms_per_batch(plain, batches))
                times["packed"].append(ms_per_batch(packed, batches))
            gap = max(
                float(np.abs(plain.predict_proba(b, [""] * size) - packed.predict_proba(b, [""] * size)).max())
                for b in batches[:5]
            )
            best_plain, best_packed = min(times["plain"]), min(times["packed"])
            print(f"{size:>5} {best_plain:>9.2f} {best_packed:>13.2f} {best_plain / best_packed:>8.2f}x {gap:>9.5f}")
            if gap > 1e-3:
                print(f"prepacked probabilities differ by {gap:.5f} at batch {size}", file=sys.stderr)
                return 1
    print(describe(before))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
