"""Does the gate stay quiet on A/A and catch real regressions? Measured on the real model.

Runs the embedded Gemma 3 270M (fp32, CPU) several times with the same suite (A/A pairs), once
with a forced single thread (a real slowdown), and once with answers cut to 3 tokens (a real
quality loss), then compares them with `evalharness compare`'s engine and prints:
the A/A false-alarm rate over timing verdicts, and whether each regression was caught.

    .venv/bin/python benchmarks/gate_check.py [--aa-runs 3]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from evalharness.compare.engine import compare_reports
from evalharness.reports import load_report

SUITE = """
name: gate-check
models: [{{source: embedded, id: gemma3-270m}}]
quantizations: [fp32]
device: cpu
generation: {{max_new_tokens: {tokens}, min_new_tokens: {min_tokens}}}
warmup: 1
repeats: 3
scorers: [relevance, factual]
cases:
  - {{id: france, prompt: "The capital of France is", reference: "Paris"}}
  - {{id: water, prompt: "Water boils at a temperature of", reference: "100 degrees Celsius"}}
  - {{id: planets, prompt: "The largest planet in the solar system is", reference: "Jupiter"}}
  - {{id: ocean, prompt: "The largest ocean on Earth is the", reference: "Pacific Ocean"}}
  - {{id: author, prompt: "Romeo and Juliet was written by", reference: "William Shakespeare"}}
  - {{id: speed, prompt: "The speed of light in vacuum is about", reference: "300,000 kilometres per second"}}
"""
TIMING = ("latency_p50", "latency_p95", "ttft_p50", "decode_tokens_per_s")


def run(suite: Path, out: Path, *extra: str) -> Path:
    proc = subprocess.run([sys.executable, "-m", "evalharness", "run", str(suite), "--output-dir",
                           str(out), "--quiet", *extra], capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr)
    return Path(proc.stdout.split("report: ")[1].split()[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--aa-runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        normal = tmpdir / "normal.yaml"
        normal.write_text(textwrap.dedent(SUITE.format(tokens=16, min_tokens=16)))
        short = tmpdir / "short.yaml"
        short.write_text(textwrap.dedent(SUITE.format(tokens=3, min_tokens=3)))
        aa = [load_report(run(normal, tmpdir / "out")) for _ in range(args.aa_runs)]
        slow = load_report(run(normal, tmpdir / "out", "--threads", "1"))
        worse = load_report(run(short, tmpdir / "out"))
    verdicts, alarms = 0, 0
    for a, b in itertools.combinations(aa, 2):
        cmp = compare_reports(a, b)
        for r in cmp.rows:
            if r.metric in TIMING:
                verdicts += 1
                alarms += r.verdict in ("regression", "improvement")
                print(f"A/A {a.run_id} vs {b.run_id}: {r.metric} {r.change:+.1%} "
                      f"[{r.ci_low:+.1%}, {r.ci_high:+.1%}] {r.verdict}")
    print(f"A/A false alarms: {alarms} of {verdicts} timing verdicts ({alarms / verdicts:.0%})")
    cmp = compare_reports(aa[0], slow)
    for r in cmp.rows:
        if r.metric in TIMING:
            print(f"2 threads -> 1 thread: {r.metric} {r.change:+.1%} "
                  f"[{r.ci_low:+.1%}, {r.ci_high:+.1%}] {r.verdict}")
    caught = [r.metric for r in cmp.rows if r.metric in TIMING and r.verdict == "regression"]
    print(f"single-thread regression caught on: {', '.join(caught) or 'nothing'}")
    cmp = compare_reports(aa[0], worse)
    for r in cmp.rows:
        if r.metric.startswith("scores."):
            print(f"answers cut to 3 tokens: {r.metric} {r.change:+.3f} "
                  f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}] {r.verdict}")


if __name__ == "__main__":
    main()
