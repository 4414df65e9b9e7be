"""Timing suites and one `evalharness run` in a fresh process, as a user would.

Shared by the benchmarks that measure through the real CLI (aa, agreement, gate_aa)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED = "{source: embedded, id: gemma3-270m}"
# six short factual prompts: case-level units for the comparison statistics
FACT_CASES = """\
  - {id: france, prompt: "The capital of France is"}
  - {id: water, prompt: "Water boils at a temperature of"}
  - {id: planets, prompt: "The largest planet in the solar system is"}
  - {id: ocean, prompt: "The largest ocean on Earth is the"}
  - {id: author, prompt: "Romeo and Juliet was written by"}
  - {id: speed, prompt: "The speed of light in vacuum is about"}
"""


def timing_suite(name: str, variants: str, tokens: int, repeats: int, model: str = EMBEDDED,
                 cases: str = FACT_CASES) -> str:
    """Suite YAML that measures timings only: `variants` (a `quantizations:` or `matrix:` block),
    CPU, greedy with exactly `tokens` new tokens, one warm-up, no scorers, no default alerts."""
    return (f"name: {name}\nmodels: [{model}]\n{variants}\ndevice: cpu\n"
            f"generation: {{max_new_tokens: {tokens}, min_new_tokens: {tokens}}}\n"
            f"warmup: 1\nrepeats: {repeats}\nscorers: []\ndefault_alerts: false\ncases:\n{cases}")


def run_suite(suite: Path, output_dir: Path, *extra: str) -> Path:
    """`evalharness run SUITE --output-dir DIR --quiet EXTRA...`; its report, or exit with the
    run's output when it wrote none (exit 1 with a report, alerts or a failed variant, is kept)."""
    proc = subprocess.run([sys.executable, "-m", "evalharness", "run", str(suite), "--output-dir", str(output_dir),
                           "--quiet", *extra], capture_output=True, text=True, cwd=ROOT)
    if "report: " not in proc.stdout:
        raise SystemExit(f"evalharness run {suite.name} {' '.join(extra)} wrote no report "
                         f"(exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return Path(proc.stdout.split("report: ")[1].split()[0])
