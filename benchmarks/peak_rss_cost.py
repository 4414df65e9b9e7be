"""What measuring a generation's peak RSS costs the generation: decode tokens/s with no memory
measurement, with the kernel's high-water mark reset and read around it (what the harness uses
on Linux), and with a sampler thread reading RSS every 10 ms (the fallback, and what the harness
used before). One process, one loaded model, the three alternated in rotating order, so the
machine's state is shared; also the peaks each method reports (the kernel's is exact).

    .venv/bin/python benchmarks/peak_rss_cost.py [--scheme int8-dynamic-head] [--rounds 8] [--tokens 32]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import PROMPT  # noqa: E402

from evalharness.measure import memory  # noqa: E402
from evalharness.measure.tokens import timing_of  # noqa: E402
from evalharness.runtimes.base import GenParams  # noqa: E402
from evalharness.runtimes.transformers import load_backend  # noqa: E402

METHODS = {
    "none": contextlib.nullcontext,
    "kernel high-water mark": memory.KernelPeakRSS,
    "10 ms sampler": lambda: memory.PeakRSSSampler(interval_s=0.01),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scheme", default="int8-dynamic-head")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=32)
    args = ap.parse_args()
    if type(memory.peak_rss()) is not memory.KernelPeakRSS:
        raise SystemExit("this kernel does not let a process reset its high-water mark: nothing to compare")
    backend = load_backend("embedded", "gemma3-270m", None, args.scheme, "cpu")
    ids = backend.tokenizer(PROMPT)["input_ids"]
    params = GenParams(args.tokens, args.tokens, False, 1.0, 1.0, 0)
    backend.timed_generate(ids, params)  # warm-up
    rates: dict[str, list[float]] = {m: [] for m in METHODS}
    peaks: dict[str, list[float]] = {m: [] for m in METHODS}
    names = list(METHODS)
    for r in range(args.rounds):
        for name in names[r % 3:] + names[:r % 3]:
            with METHODS[name]() as probe:
                gen = backend.timed_generate(ids, params)
            rates[name].append(timing_of(gen, len(gen.generated_ids)).decode_tokens_per_s)
            if probe is not None:
                peaks[name].append(probe.peak_mb)
    base = statistics.median(rates["none"])
    print(f"{args.scheme}, prompt {len(ids)} tokens, {args.tokens} tokens, {args.rounds} rounds alternated")
    for name in names:
        rate = statistics.median(rates[name])
        peak = f", peak RSS median {statistics.median(peaks[name]):.1f} MB" if peaks[name] else ""
        print(f"{name:24} decode {rate:7.2f} tok/s  ratio to none {rate / base:.3f}{peak}")


if __name__ == "__main__":
    main()
