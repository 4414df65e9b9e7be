"""Harness overhead: the harness's measured generation against a bare `model.generate` loop.

Same model (embedded Gemma 3 270M, fp32, CPU), same prompt, same fixed token count (greedy,
min_new_tokens == max_new_tokens), in one process, alternating A-B / B-A over several rounds.
The harness path is exactly what the runner does per sample: token-clock streamer inside
`generate`, background RSS sampler, EOS trimming and timing maths.

Prints per-round figures and, last, `ratio: X` = median bare wall time / median harness wall
time for identical work, i.e. harness throughput as a fraction of bare throughput (1.0 = free).

    .venv/bin/python benchmarks/overhead.py [--rounds 8] [--tokens 32]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import GenerationConfig

from evalharness.measure.sample import measure_generation
from evalharness.runtimes import GenParams
from evalharness.runtimes.transformers import load_backend
from evalharness.suite.schema import Case


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--source", default="embedded")
    ap.add_argument("--model-id", default="gemma3-270m")
    args = ap.parse_args()

    backend = load_backend(args.source, args.model_id, None, "fp32", "cpu")
    ids = backend.encode(Case(id="bench", prompt="The capital of France is"))
    params = GenParams(max_new_tokens=args.tokens, min_new_tokens=args.tokens, do_sample=False,
                       temperature=1.0, top_p=1.0, seed=0)
    bare_config = GenerationConfig(max_new_tokens=args.tokens, min_new_tokens=args.tokens,
                                   do_sample=False, temperature=None, top_p=None, top_k=None,
                                   eos_token_id=sorted(backend.eos_ids), pad_token_id=backend.pad_id)
    input_ids = torch.tensor([ids])
    attention = torch.ones_like(input_ids)

    def bare() -> float:
        with torch.inference_mode():
            start = time.perf_counter()
            out = backend.model.generate(input_ids=input_ids, attention_mask=attention,
                                         generation_config=bare_config)
            wall = time.perf_counter() - start
        assert out.shape[1] - len(ids) == args.tokens
        return wall

    decode_rates: list[float] = []

    def harness() -> float:
        start = time.perf_counter()
        m = measure_generation(lambda: backend.timed_generate(ids, params), backend.eos_ids)
        wall = time.perf_counter() - start
        if m.timing.decode_tokens_per_s is not None:
            decode_rates.append(m.timing.decode_tokens_per_s)
        return wall

    bare()  # warm-up, unmeasured
    harness()
    decode_rates.clear()
    bare_s: list[float] = []
    harness_s: list[float] = []
    for r in range(args.rounds):
        order = (bare, harness) if r % 2 == 0 else (harness, bare)
        for fn in order:
            (bare_s if fn is bare else harness_s).append(fn())
        print(f"round {r + 1}: bare {args.tokens / bare_s[-1]:.2f} tok/s, "
              f"harness {args.tokens / harness_s[-1]:.2f} tok/s (wall, {args.tokens} tokens)")
    b, h = statistics.median(bare_s), statistics.median(harness_s)
    print(f"bare median wall {b:.3f} s ({args.tokens / b:.2f} tok/s end to end)")
    print(f"harness median wall {h:.3f} s ({args.tokens / h:.2f} tok/s end to end); "
          f"harness-reported decode tok/s median {statistics.median(decode_rates):.2f}")
    print(f"ratio: {b / h:.3f}")


if __name__ == "__main__":
    main()
