"""Fixture reports for the dashboard, made by the real runner over a fake backend."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evalharness.reports.reader import read_samples_log
from evalharness.reports.schema import Sample
from evalharness.reports.writer import SamplesLog
from evalharness.runner import Runner, RunOptions
from evalharness.suite import load_suite
from tests.fakes import FakeBackend

XSS_SCRIPT = "<script>document.title='PWNED'</script>"
XSS_IMG = "<img src=x onerror=\"document.title='PWNED2'\">"

SUITE = """
name: {name}
models:
  - {{source: hf, id: org/alpha, name: alpha}}
quantizations: [fp32, bf16]
device: cpu
repeats: 2
warmup: 0
scorers: [factual, coherence]
alerts:
  - {{name: any-latency, metric: latency_s, op: ">", threshold: 0, severity: info}}
cases:
  - {{id: paris, prompt: "Capital of France?", reference: Paris, tags: [geo]}}
  - {{id: a-xss, prompt: "Say something", reference: hello, tags: [security]}}
"""


def make_results(root: Path) -> Path:
    results = root / "results"
    for i, name in enumerate(("suite-a", "suite-a", "suite-b")):
        suite_path = root / f"{name}-{i}.yaml"
        suite_path.write_text(textwrap.dedent(SUITE.format(name=name)))
        answers = {"paris": "Paris is the capital .", "a-xss": f"{XSS_SCRIPT} {XSS_IMG}"}

        # bf16 leaves fp32's answer at its third word: the divergence view has something to mark
        moved = {**answers, "paris": "Paris is a capital city ."}

        def factory(plan, answers=answers, moved=moved, i=i):
            return FakeBackend(answers=moved if "bf16" in plan.id else answers,
                               step_s=0.1 * (1 + i) * (2 if "bf16" in plan.id else 1))

        Runner(load_suite(suite_path), RunOptions(output_dir=results, isolation="none"), factory=factory).run(
            run_id=f"2026112{i}-100000-000{i}")
    # a run still in progress: header and one sample, no final report
    finished = read_samples_log(results / "suite-a" / "20261120-100000-0000.samples.jsonl").header
    header = finished.model_copy(update={"run_id": "20261129-120000-live", "started_at": "2026-11-29T12:00:00+00:00",
                                         "plan": finished.plan[:1]})
    log = SamplesLog(results / "suite-a" / "20261129-120000-live.samples.jsonl")
    log.write("header", header)
    log.write("sample", Sample(variant_id="alpha/fp32/cpu", case_id="paris", repeat=0, prompt="p",
                               output="o", output_tokens=1, latency_s=0.5, ttft_s=0.1,
                               prefill_tokens_per_s=10.0, decode_tokens_per_s=None,
                               peak_rss_mb=100.0, gpu_peak_mb=None, success=True, error=None))
    log.close()
    (results / "suite-a" / "truncated.json").write_text('{"schema_version": 1, "run_id": "x", ')
    (results / "suite-b" / "foreign.json").write_text('{"name": "package.json of something else"}')
    # a crafted name: its warning must show the link text literally, not as a link or image
    (results / "suite-b" / "![x](http:evil.example)[click](http:evil.example).json").write_text("{")
    return results


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory) -> Path:
    return make_results(tmp_path_factory.mktemp("dash"))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(root.rglob("*"))}
