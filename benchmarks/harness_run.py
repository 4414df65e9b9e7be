"""Run one `evalharness run` in a fresh process, as a user would, and return its report path.

Shared by the benchmarks that measure through the real CLI (aa, agreement, gate_aa)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_suite(suite: Path, output_dir: Path, *extra: str) -> Path:
    """`evalharness run SUITE --output-dir DIR --quiet EXTRA...`; its report, or exit with the
    run's output when it wrote none (exit 1 with a report, alerts or a failed variant, is kept)."""
    proc = subprocess.run([sys.executable, "-m", "evalharness", "run", str(suite), "--output-dir", str(output_dir),
                           "--quiet", *extra], capture_output=True, text=True, cwd=ROOT)
    if "report: " not in proc.stdout:
        raise SystemExit(f"evalharness run {suite.name} {' '.join(extra)} wrote no report "
                         f"(exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return Path(proc.stdout.split("report: ")[1].split()[0])
