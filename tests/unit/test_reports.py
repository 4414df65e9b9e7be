import json

import pytest

from evalharness.reports import ReportError, list_runs, load_report, read_samples_log
from evalharness.reports.schema import PlanEntry, Report, RunHeader, Sample, Variant
from evalharness.reports.writer import SamplesLog, atomic_write_json


def make_sample(**kw):
    base = dict(variant_id="v", case_id="c", repeat=0, prompt="p", output="o", output_tokens=3,
                latency_s=1.0, ttft_s=0.2, prefill_tokens_per_s=50.0, decode_tokens_per_s=10.0,
                peak_rss_mb=100.0, gpu_peak_mb=None, success=True, error=None)
    base.update(kw)
    return Sample(**base)


def make_report(**kw):
    data = {
        "schema_version": 1, "run_id": "r1",
        "suite": {"name": "s", "path": "suites/s.yaml", "sha256": "ab" * 32},
        "started_at": "2026-11-28T10:00:00+00:00", "finished_at": "2026-11-28T10:01:00+00:00",
        "status": "complete",
        "environment": {"evalharness": "0.1.0", "python": "3.11", "platform": "linux",
                        "torch": "2.13.0", "transformers": "5.24.0", "cpu_model": "x",
                        "cpu_count": 2, "memory_total_mb": 1024.0, "gpu_name": None,
                        "gpu_memory_mb": None, "gpu_driver": None, "git_commit": None},
        "config": {"warmup": 1, "repeats": 1, "generation": {"max_new_tokens": 8},
                   "scorers": ["factual"], "cases": 1},
        "variants": [Variant(id="v", model={"source": "hf", "id": "x", "label": "x"},
                             quantization="fp32", device="cpu", status="ok").model_dump()],
        "samples": [make_sample(scores={"factual": 0.5}).model_dump()],
        "alerts": [],
    }
    data.update(kw)
    return Report.model_validate(data)


def test_round_trip_is_lossless(tmp_path):
    report = make_report()
    path = tmp_path / "s" / "r1.json"
    atomic_write_json(path, report)
    again = load_report(path)
    assert again == report
    raw = json.loads(path.read_text())
    for key in ("schema_version", "run_id", "suite", "started_at", "finished_at", "status",
                "environment", "variants", "samples", "alerts"):
        assert key in raw
    assert raw["samples"][0]["gpu_peak_mb"] is None  # null, never 0
    assert not list(tmp_path.glob("s/.*tmp"))


def test_reader_names_the_file_for_bad_input(tmp_path):
    (tmp_path / "trunc.json").write_text('{"schema_version": 1, "run_id": ')
    (tmp_path / "foreign.json").write_text('{"hello": "world"}')
    (tmp_path / "future.json").write_text('{"schema_version": 99}')
    (tmp_path / "wrong.json").write_text('{"schema_version": 1, "run_id": 5}')
    with pytest.raises(ReportError, match="trunc.json: not valid JSON"):
        load_report(tmp_path / "trunc.json")
    with pytest.raises(ReportError, match="foreign.json: not an evalharness report"):
        load_report(tmp_path / "foreign.json")
    with pytest.raises(ReportError, match="future.json: schema_version 99"):
        load_report(tmp_path / "future.json")
    with pytest.raises(ReportError, match="wrong.json: not a valid report"):
        load_report(tmp_path / "wrong.json")
    atomic_write_json(tmp_path / "good.json", make_report())
    runs = list_runs(tmp_path)
    assert [(r.path.name, r.report is not None) for r in runs] == [
        ("foreign.json", False), ("future.json", False), ("good.json", True),
        ("trunc.json", False), ("wrong.json", False)]


def test_samples_log_survives_a_torn_last_line(tmp_path):
    path = tmp_path / "r.samples.jsonl"
    log = SamplesLog(path)
    r = make_report()
    header = RunHeader(schema_version=1, run_id="r", started_at=r.started_at, suite=r.suite,
                       environment=r.environment, config=r.config,
                       plan=[PlanEntry(id="v", model={"source": "hf", "id": "x"}, quantization="fp32", device="cpu")])
    log.write("header", header)
    log.write("sample", make_sample(repeat=0))
    log.write("sample", make_sample(repeat=1))
    log.write("sample", make_sample(repeat=1, latency_s=2.0))  # contradicts the measured one: left out
    log.close()
    with open(path, "a") as fh:
        fh.write('{"kind": "sample", "variant_id": "v", "case_')  # killed mid-write
    content = read_samples_log(path)
    assert content.header == header and content.header.planned_samples == 1
    assert sorted(content.samples) == [("v", "c", 0), ("v", "c", 1)]
    assert content.samples[("v", "c", 1)].latency_s == 1.0  # a later line never re-measures a unit
    assert content.bad_lines == 1 and content.conflicts == 1
