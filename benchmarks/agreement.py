"""Do the harness's TTFT and decode tokens/s agree with an independent measurement?

For each CPU scheme of `suites/quantization-matrix.yaml`, alternately (A-B, then B-A):
- the harness: `evalharness run` of a one-case suite (the variant in its worker process, the same
  prompt, N tokens forced, R repeats), medians of the samples' `ttft_s` and `decode_tokens_per_s`;
- `benchmarks/independent.py` in a fresh process that imports nothing from evalharness (plain
  library calls; t(1) and (N-1)/(t(N)-t(1)) like optimum-benchmark; llama.cpp's own counters for
  gguf-native).

Prints one row per scheme, then `agreement: min X max Y` over the ratios harness/independent of
decode tok/s and TTFT (target 0.90 <= X <= Y <= 1.10).

    .venv/bin/python benchmarks/agreement.py [--schemes fp32,bf16] [--rounds 2] [--tokens 32]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness_run import ROOT, run_suite, timing_suite

# ~110 tokens: long enough that TTFT is mostly prefill, not call overhead
PROMPT = ("The history of the printing press begins in the fifteenth century, when Johannes Gutenberg "
          "combined movable metal type, oil-based ink and a wooden screw press into a system that could "
          "produce books far faster than scribes. Within fifty years printing shops had spread to more "
          "than two hundred cities across Europe, and the price of books fell sharply. Scholars argue "
          "about how much the press changed religion, science and politics, but most agree that it "
          "made the rapid exchange of ideas possible for the first time. In a few sentences, the main "
          "consequence of the printing press was")


@dataclass
class Side:
    ttft: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    prompt_tokens: set[int] = field(default_factory=set)


def harness(scheme: str, tokens: int, repeats: int, work: Path, threads: int | None) -> tuple[float, float, int]:
    suite = work / f"{scheme}.yaml"
    suite.write_text(timing_suite("agreement", f"quantizations: [{scheme}]", tokens, repeats,
                                  cases=f"  - id: press\n    prompt: {json.dumps(PROMPT)}\n"))
    extra = ["--threads", str(threads)] if threads else []
    report = json.loads(run_suite(suite, work / "results", *extra).read_text())
    samples = [s for s in report["samples"] if s["success"]]
    if not samples:
        raise SystemExit(f"{scheme}: no successful sample: {report['variants'][0].get('error')}")
    return (statistics.median(s["ttft_s"] for s in samples),
            statistics.median(s["decode_tokens_per_s"] for s in samples), samples[0]["prompt_tokens"])


def independent(scheme: str, tokens: int, repeats: int, threads: int | None) -> tuple[float, float, int]:
    from evalharness.models import embedded

    model = str(embedded.gguf_path() if scheme == "gguf-native" else embedded.ensure_converted())
    cmd = [sys.executable, str(ROOT / "benchmarks" / "independent.py"), scheme, model, "--text", PROMPT,
           "--tokens", str(tokens), "--repeats", str(repeats)] + (["--threads", str(threads)] if threads else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")  # cwd: not the project
    if proc.returncode != 0:
        raise SystemExit(f"independent run of {scheme} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["ttft_s"], out["decode_tokens_per_s"], out["prompt_tokens"]


def cpu_schemes() -> list[str]:
    from evalharness.quantization import SCHEMES
    from evalharness.suite import load_suite

    matrix = load_suite(ROOT / "suites" / "quantization-matrix.yaml").suite
    return [q for q in matrix.quantizations if SCHEMES.get(q).unsupported_reason("cpu") is None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schemes", help="comma-separated (default: every CPU scheme of the matrix)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    schemes = args.schemes.split(",") if args.schemes else cpu_schemes()
    ratios: list[float] = []
    print(f"{'scheme':16} {'TTFT harness':>12} {'indep.':>8} {'ratio':>6}   {'decode harness':>14} "
          f"{'indep.':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="evalharness-agreement-") as tmp:
        for scheme in schemes:
            h, i = Side(), Side()
            for r in range(args.rounds):
                order = ((h, harness), (i, independent)) if r % 2 == 0 else ((i, independent), (h, harness))
                for side, fn in order:
                    extra = (Path(tmp),) if fn is harness else ()
                    ttft, decode, prompt_tokens = fn(scheme, args.tokens, args.repeats, *extra, args.threads)
                    side.ttft.append(ttft)
                    side.decode.append(decode)
                    side.prompt_tokens.add(prompt_tokens)
            if h.prompt_tokens != i.prompt_tokens:
                raise SystemExit(f"{scheme}: the two sides saw different prompts: "
                                 f"{h.prompt_tokens} vs {i.prompt_tokens} tokens")
            ht, it = statistics.median(h.ttft), statistics.median(i.ttft)
            hd, idd = statistics.median(h.decode), statistics.median(i.decode)
            ratios += [ht / it, hd / idd]
            print(f"{scheme:16} {ht:12.4f} {it:8.4f} {ht / it:6.3f}   {hd:14.2f} {idd:8.2f} {hd / idd:6.3f}",
                  flush=True)
    print(f"prompt {sorted(h.prompt_tokens)[0]} tokens, {args.tokens} tokens forced, {args.repeats} repeats "
          f"x {args.rounds} rounds per side")
    print(f"agreement: min {min(ratios):.3f} max {max(ratios):.3f}")


if __name__ == "__main__":
    main()
