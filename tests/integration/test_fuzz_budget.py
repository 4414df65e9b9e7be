"""A short run of benchmarks/fuzz.py in CI: every reader of untrusted input, 0 tracebacks."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_fuzz_finds_no_traceback_in_a_fixed_budget():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz.py"), "--inputs", "1200", "--seed", "7"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "fuzz: 1200 inputs, 0 tracebacks", out.stdout[-3000:]
