"""Dashboard load time on a large history: `--runs N` realistic reports of 100 samples each.

One run is made by the real runner over the fake backend (2 variants x 10 cases x 5 repeats,
three scorers, an alert rule); the other N-1 are that report with another run id, start time
and every timing scaled by a random factor, written as JSON like a run writes them (with a
samples log beside each). The results store's index is then brought up to date (as the runs
themselves keep it), and the real app runs under Streamlit's AppTest: a first load (a fresh app
session, nothing of the app cached, after Streamlit's own one-time start) and a rerun (what
every widget click costs).

    .venv/bin/python benchmarks/dashboard_load.py --runs 10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.reports.store import ResultsStore  # noqa: E402
from evalharness.runner import Runner, RunOptions  # noqa: E402
from evalharness.suite import load_suite  # noqa: E402
from tests.fakes import FakeBackend  # noqa: E402

SUITE = """
name: history
models: [{source: hf, id: org/m, name: m}]
quantizations: [fp32, int8-dynamic]
device: cpu
warmup: 0
repeats: 5
scorers: [factual, coherence, relevance]
alerts:
  - {name: slow, metric: latency_s, aggregation: p95, op: ">", threshold: 0.9, severity: warning}
cases:
""" + "".join(f"  - {{id: c{i}, prompt: 'question {i} about France', reference: Paris}}\n" for i in range(10))
TIMINGS = ("latency_s", "ttft_s", "prefill_tokens_per_s", "decode_tokens_per_s", "inter_token_latency_s")


def template(root: Path) -> dict:
    suite = root / "s.yaml"
    suite.write_text(textwrap.dedent(SUITE))
    answers = {f"c{i}": "Paris is the capital of France ." for i in range(10)}
    outcome = Runner(load_suite(suite), RunOptions(output_dir=root / "template", isolation="none"),
                     factory=lambda p: FakeBackend(answers=answers)).run(run_id="20260101-000000-0000")
    return json.loads(outcome.report_path.read_text())


def write_history(results: Path, base: dict, runs: int, seed: int = 0) -> int:
    """N reports (and a samples log beside each) shaped like `base`; returns the samples written."""
    rng = random.Random(seed)
    folder = results / base["suite"]["name"]
    folder.mkdir(parents=True, exist_ok=True)
    start = time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, 0))
    samples = 0
    for i in range(runs):
        stamp = time.gmtime(start + 3600 * i)
        run_id = time.strftime("%Y%m%d-%H%M%S", stamp) + f"-{i % 65536:04x}"
        report = dict(base, run_id=run_id, started_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", stamp),
                      finished_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", stamp))
        factor = rng.uniform(0.8, 1.25)
        report["samples"] = [{**s, **{k: s[k] * factor for k in TIMINGS if s.get(k) is not None}}
                             for s in base["samples"]]
        report["variants"] = [_scaled_variant(v, factor) for v in base["variants"]]
        samples += len(report["samples"])
        (folder / f"{run_id}.json").write_text(json.dumps(report))
        (folder / f"{run_id}.samples.jsonl").write_text(json.dumps({"kind": "header", "run_id": run_id}) + "\n")
    return samples


def _scaled_variant(v: dict, factor: float) -> dict:
    summary = {}
    for field, s in v["summary"].items():
        if field in TIMINGS:
            s = {k: (x * factor if isinstance(x, float) and k not in ("stable",) else x) for k, x in s.items()}
        summary[field] = s
    return {**v, "summary": summary}


def main() -> None:
    from streamlit.testing.v1 import AppTest

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="write the history into DIR and keep it; an existing one is reused as it is")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        results = root / "results"
        samples = args.runs * 100
        if not results.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            base = template(root)
            t0 = time.perf_counter()
            samples = write_history(results, base, args.runs)
            print(f"wrote {args.runs:,} runs, {samples:,} samples in {time.perf_counter() - t0:.1f} s")
        built = ResultsStore(results).refresh()
        print(f"index: {built.added:,} reports read in {built.seconds:.1f} s (once; later refreshes read "
              "only new or changed reports)")
        again = ResultsStore(results).refresh()
        print(f"index: an unchanged history checked in {again.seconds:.3f} s")
        os.environ["EVALHARNESS_RESULTS_DIR"] = str(results)
        # Streamlit's own one-time start (component discovery, ~1 s here) is a server start, not
        # a page load: it is paid by an empty app first
        AppTest.from_string("import streamlit as st\nst.text('server up')").run()
        at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=600)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        assert not at.exception, at.exception
        t0 = time.perf_counter()
        at.run()
        rerun = time.perf_counter() - t0
        assert not at.exception, at.exception
        shown = len(at.dataframe[0].value)
        assert shown == args.runs, (shown, args.runs)
        print(f"runs shown: {shown:,}")
        print(f"dashboard: first {first:.2f} s, rerun {rerun:.2f} s, {args.runs} runs, {samples} samples")


if __name__ == "__main__":
    main()
