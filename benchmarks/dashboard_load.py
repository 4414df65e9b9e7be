"""Dashboard load time on a large history: 200 runs, 5,000 samples in total.

Writes synthetic-but-valid reports (made by the real runner over the fake backend) into a temp
dir, then runs the real app with Streamlit's AppTest twice: the first run reads and validates
every report (cold cache), the second hits the cache keyed on file modification time.

    .venv/bin/python benchmarks/dashboard_load.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.runner import Runner, RunOptions  # noqa: E402
from evalharness.suite import load_suite  # noqa: E402
from tests.fakes import FakeBackend  # noqa: E402

SUITE = """
name: history
models: [{source: hf, id: org/m, name: m}]
quantizations: [fp32]
device: cpu
warmup: 0
repeats: 5
scorers: [factual, coherence, relevance]
cases:
""" + "".join(f"  - {{id: c{i}, prompt: 'question {i} about France', reference: Paris}}\n" for i in range(5))


def main() -> None:
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        suite = root / "s.yaml"
        suite.write_text(textwrap.dedent(SUITE))
        loaded = load_suite(suite)
        start = time.perf_counter()
        for i in range(200):
            Runner(loaded, RunOptions(output_dir=root / "results", isolation="none"),
                   factory=lambda p: FakeBackend(answers={})).run(run_id=f"run-{i:03d}")
        print(f"wrote 200 runs x 25 samples in {time.perf_counter() - start:.1f} s")
        os.environ["EVALHARNESS_RESULTS_DIR"] = str(root / "results")
        at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=300)
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        assert not at.exception, at.exception
        t0 = time.perf_counter()
        at.run()
        warm = time.perf_counter() - t0
        n = len(at.dataframe[0].value)
        print(f"runs shown: {n}")
        print(f"cold load (every report read and validated): {cold:.2f} s")
        print(f"warm rerun (cache keyed on mtime): {warm:.2f} s")


if __name__ == "__main__":
    main()
