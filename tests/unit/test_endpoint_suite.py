"""A suite mixing a local model and an endpoint; the API key never reaches the report."""

import json

import pytest

from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.suite import SuiteError, load_suite
from tests.fake_openai import FakeOpenAI, Script

SUITE = """
name: mixed
models:
  - {{source: tiny-random, id: tiny-random-gemma3}}
  - source: openai
    id: served-gemma
    name: server
    endpoint: {{base_url: "{url}", api_key_env: EH_TEST_KEY, timeouts: {{total_s: 5}}}}
quantizations: [fp32]
device: cpu
generation: {{max_new_tokens: 8}}
warmup: 0
repeats: 2
cases:
  - {{id: a, prompt: "hello"}}
"""


def test_mixed_suite_runs_both_and_keeps_the_key_out(write_suite, tmp_path, monkeypatch):
    monkeypatch.setenv("EH_TEST_KEY", "sk-very-secret")
    with FakeOpenAI() as server:
        server.default = Script(first_delay_s=0.05, gap_s=0.01)
        server.queue.extend([Script(first_delay_s=0.05, gap_s=0.01), Script(mode="http500")])
        path = write_suite(SUITE.format(url=server.base_url))
        outcome = Runner(load_suite(path), RunOptions(output_dir=tmp_path)).run()
    report = load_report(outcome.report_path)
    ids = [v.id for v in report.variants]
    assert ids == ["tiny-random-gemma3/fp32/cpu", "server/served/remote"]
    remote = [s for s in report.samples if s.variant_id == "server/served/remote"]
    assert [s.success for s in remote] == [True, False]
    assert remote[0].output == "Hello there, friend." and remote[0].token_count_source == "usage"
    assert 0.03 < remote[0].ttft_s < remote[0].latency_s and remote[0].peak_rss_mb is None
    assert remote[1].error.startswith("http_5xx: HTTP 500")
    assert report.variants[1].load.seconds is None and report.variants[1].success_rate == 0.5
    text = outcome.report_path.read_text() + outcome.samples_path.read_text()
    assert "sk-very-secret" not in text
    assert server.requests[0]["auth"] == "Bearer sk-very-secret"
    assert json.loads(outcome.report_path.read_text())["variants"][1]["backend"] == "openai"


def test_endpoint_is_required_exactly_for_openai(write_suite):
    with pytest.raises(SuiteError, match="give `endpoint` with source `openai`"):
        load_suite(write_suite("""
            name: x
            models: [{source: openai, id: m}]
            cases: [{id: a, prompt: hi}]
        """))
