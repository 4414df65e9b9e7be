"""The agreement check runs on every submission: `benchmarks/agreement.py --fast` (the harness
through its worker against a process that imports nothing from evalharness, on the embedded
Gemma) passes on this code and fails when the harness's timer is broken."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = re.compile(r"agreement: min ([0-9.]+) max ([0-9.]+)")

# Loaded by every Python process of the check through PYTHONPATH; it breaks the harness's timer
# only (independent.py never imports evalharness): TTFT read at the second token, not the first -
# the off-by-one a streamer that skips one `put` too many would make.
BROKEN_TIMER = '''
import importlib.abc, importlib.machinery, sys

class _Break(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "evalharness.measure.tokens":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            right = module.timing_of

            def timing_of(gen, n):
                times = gen.token_times_s[1:] + gen.token_times_s[-1:]
                return right(module.TimedGeneration(gen.prompt_tokens, gen.generated_ids, gen.start_s, times,
                                                    gen.end_s, gen.batch_size), n)
            module.timing_of = timing_of
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _Break())
'''


def _check(*extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "agreement.py"), "--fast", *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=1500)


def test_fast_agreement_check_passes():
    done = _check()
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    low, high = map(float, AGREEMENT.search(done.stdout).groups())
    assert 0.70 <= low <= high <= 1.30
    assert "fp32" in done.stdout and "int8-dynamic" in done.stdout


def test_fast_agreement_check_fails_on_a_broken_timer(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(BROKEN_TIMER))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = _check("--schemes", "fp32", "--rounds", "1", env=env)
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert "outside 1 +- 0.3" in done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("fp32"))
    assert float(row.split()[3]) > 1.3  # the TTFT ratio: one decode step too many


def test_the_slow_period_probe_compares_threads_with_one():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine_state import disturbed, parallel_slowdown

    assert parallel_slowdown(1) is None and not disturbed(None)
    assert disturbed(6.0) and not disturbed(0.8)
    assert parallel_slowdown(2, seconds=0.05) > 0
