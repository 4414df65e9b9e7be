"""Harness overhead: decode tokens/s measured by the harness *through its worker process* against
a bare loop in a fresh process of its own.

The harness side is a real `evalharness run` (the embedded Gemma 3 270M, fp32, CPU, its variant
in a worker process, N tokens forced, the samples' median decode tokens/s); the bare side is
`benchmarks/independent.py` (plain transformers, (N-1)/(t(N)-t(1)), importing nothing from
evalharness). The two alternate A-B / B-A over several rounds on the same prompt.

Prints per-round figures and, last, `ratio: X` = median harness decode tok/s / median bare
decode tok/s (1.0 = the harness costs nothing; target >= 0.97).

    .venv/bin/python benchmarks/overhead.py [--rounds 4] [--tokens 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import PROMPT, Settings, harness, independent, measure_calm  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--scheme", default="fp32")
    ap.add_argument("--tries", type=int, default=3, help="takes of a measurement a slow period may cost")
    args = ap.parse_args()
    through_worker: list[float] = []
    bare: list[float] = []
    s = Settings(PROMPT, args.tokens, args.repeats, None, "median")
    with tempfile.TemporaryDirectory(prefix="evalharness-overhead-") as tmp:
        for r in range(args.rounds):
            for side in (("harness", "bare") if r % 2 == 0 else ("bare", "harness")):
                fn, into = (harness, through_worker) if side == "harness" else (independent, bare)
                (figures, _), _ = measure_calm(fn, args.scheme, s, Path(tmp), args.tries)
                into.append(figures.figure("median")[1])
            print(f"round {r + 1}: harness (worker) {through_worker[-1]:.2f} tok/s, bare {bare[-1]:.2f} tok/s",
                  flush=True)
    h, b = statistics.median(through_worker), statistics.median(bare)
    print(f"{args.scheme}, {args.tokens} tokens forced, {args.repeats} repeats per side and round: "
          f"harness median {h:.2f} tok/s, bare median {b:.2f} tok/s")
    print(f"ratio: {h / b:.3f}")


if __name__ == "__main__":
    main()
