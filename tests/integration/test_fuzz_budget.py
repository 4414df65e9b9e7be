"""A short run of benchmarks/fuzz.py in CI: every reader of untrusted input and a hostile
server, 0 tracebacks, 0 hangs, 0 leaks, under 1 GB. A server session counts as a hang 8 s past
its deadline here (2 s in the benchmark's own bar): a CI machine busy with other work once
stretched one past 2 s; a session the client does not end runs 20 s, so a real hang still shows."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_fuzz_finds_no_traceback_in_a_fixed_budget():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz.py"), "--inputs", "1200", "--seed", "7",
                          "--grace", "8"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"fuzz: 1200 inputs, 0 tracebacks, 0 hangs, (\d+) max MB, 0 leaks", last)
    assert m and int(m.group(1)) < 1024, out.stdout[-3000:]
    assert re.search(r"server: (\d+) inputs", out.stdout) and int(re.search(r"server: (\d+) inputs",
                                                                              out.stdout).group(1)) >= 40
