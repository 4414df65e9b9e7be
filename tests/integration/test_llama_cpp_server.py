"""A real OpenAI-compatible server: llama-cpp-python's, serving the embedded GGUF on loopback."""

import pytest

from evalharness.endpoints.client import stream_chat
from evalharness.endpoints.probe import run_probe
from evalharness.monitor.loop import Monitor, SeriesWriter, Target
from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.suite import load_suite
from tests.llama_server import available, llama_cpp_server

pytestmark = pytest.mark.skipif(not available(),
                                reason="needs llama-cpp-python[server] (make llama-cpp builds and installs it)")


@pytest.fixture(scope="module")
def server():
    with llama_cpp_server() as base:
        yield base


def test_probe_real_server(server):
    results, summ = run_probe(server, "gemma3-270m", "Name a colour.", requests=2, max_tokens=12)
    assert summ.succeeded == 2, [r.error for r in results]
    for r in results:
        assert 0 < r.ttft_s < r.latency_s and r.output_tokens >= 1 and r.text.strip()
        assert r.token_count_source in ("usage", "chunks")


def test_suite_with_local_and_endpoint_variants(server, write_suite, tmp_path):
    path = write_suite(f"""
        name: mixed-real
        models:
          - {{source: tiny-random, id: tiny-random-gemma3}}
          - source: openai
            id: gemma3-270m
            name: llamacpp
            endpoint: {{base_url: "{server}", tokenizer: embedded}}
        quantizations: [fp32]
        device: cpu
        generation: {{max_new_tokens: 12}}
        warmup: 0
        repeats: 1
        cases: [{{id: a, messages: [{{role: user, content: "Name a fruit."}}]}}]
    """)
    report = load_report(Runner(load_suite(path), RunOptions(output_dir=tmp_path)).run().report_path)
    remote = next(s for s in report.samples if s.variant_id == "llamacpp/served/remote")
    assert remote.success, remote.error
    assert 0 < remote.ttft_s < remote.latency_s and remote.output_tokens >= 1
    assert remote.token_count_source in ("usage", "tokenizer")


def test_short_monitoring_period(server, tmp_path):
    target = Target("llamacpp", server, "gemma3-270m",
                    call=lambda msgs: stream_chat(server, "gemma3-270m", msgs, max_tokens=8))
    writer = SeriesWriter(tmp_path / "m.jsonl")
    probes = Monitor([target], [[{"role": "user", "content": "Say OK."}]], writer, interval_s=0.5,
                     window_requests=10, window_s=60, cooldown_s=60, duration_s=3, log=lambda s: None).run()
    import json

    records = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    got = [r for r in records if r["kind"] == "probe"]
    assert probes == len(got) >= 2
    assert all(r["success"] and r["latency_s"] > 0 and r["ttft_s"] is not None for r in got)
    assert records[-1]["kind"] == "stop"


def test_load_stages_against_the_real_server(server, tmp_path):
    """`evalharness load` against llama.cpp's server: a synchronous stage and an open-loop stage
    under its capacity, every request on one clock, figures that hang together."""
    import json

    from evalharness.commands.main import main

    out = tmp_path / "load.json"
    assert main(["load", server, "--model", "gemma3-270m", "--profile", "synchronous", "--requests", "3",
                 "--warmup", "1", "--max-tokens", "8", "--slo", "ttft_s=30", "--json", str(out)]) == 0
    [stage] = json.loads(out.read_text())["stages"]
    requests = stage["requests"]
    assert [r["success"] for r in requests] == [True] * 3, [r["error"] for r in requests]
    for r in requests:
        assert 0 < r["ttft_s"] < r["latency_s"] and r["output_tokens"] >= 1 and r["output"].strip()
    # one at a time: each request starts after the previous one ended
    for before, after in zip(requests, requests[1:]):
        assert after["start_s"] >= before["start_s"] + before["latency_s"] - 1e-6
    assert stage["goodput"] == stage["achieved_rate"] > 0  # a 30 s TTFT target: every request meets it
    assert stage["summary"]["latency_s"]["p50"] <= stage["summary"]["latency_s"]["p95"]


def test_a_suite_loads_the_real_server_and_scores_every_answer(server, write_suite, tmp_path):
    """`evalharness load SUITE`: the suite's endpoint model, its cases as requests (each with its
    own token limit), every answer scored; a scorer that pins each answer's length checks that
    the scores are of these answers."""
    import json

    from evalharness.commands.main import main

    path = write_suite(f"""
name: real-load
models:
  - {{source: openai, id: gemma3-270m, name: real, endpoint: {{base_url: "{server}", timeouts: {{total_s: 120}}}}}}
generation: {{max_new_tokens: 6}}
scorers: [coherence]
cases:
  - {{id: short, prompt: "Name a colour.", assertions: [{{type: max_chars, value: 100000}}]}}
  - {{id: shorter, prompt: "Name a fruit.", generation: {{max_new_tokens: 3}}}}
""")
    out = tmp_path / "load.json"
    assert main(["load", str(path), "--profile", "synchronous", "--requests", "4", "--warmup", "0",
                 "--json", str(out), "--alert", "quality < 0 at each"]) == 0
    doc = json.loads(out.read_text())
    [stage] = doc["stages"]
    assert [r["case_id"] for r in stage["requests"]] == ["short", "shorter", "short", "shorter"]
    assert all(r["success"] for r in stage["requests"]), [r["error"] for r in stage["requests"]]
    assert all(r["output_tokens"] <= 3 for r in stage["requests"] if r["case_id"] == "shorter")
    assert all(set(r["scores"]) == {"coherence", "assertions"} for r in stage["requests"] if r["case_id"] == "short")
    assert stage["scores"]["assertions"] == 1.0 and 0 <= stage["scores"]["coherence"] <= 1
    assert stage["quality"] == stage["answered_quality"]  # every request answered
    assert [a["fired"] for a in doc["alerts"]] == [False]


def test_a_benchmark_task_through_the_server_matches_the_gguf_in_process(server):
    """llama-cpp-python's server echoes prompt log-probs (without the BOS entry that `usage` counts):
    the same PIQA items scored through it and through the GGUF loaded here choose the same answers."""
    from evalharness.endpoints.bounded import bounded_client
    from evalharness.endpoints.client import Timeouts
    from evalharness.models.sources import SOURCES
    from evalharness.runtimes.llama_cpp import LlamaCppBackend
    from evalharness.runtimes.openai_tasks import EndpointScorer
    from evalharness.tasks.run import TaskRequest, builtin_tasks, score_task

    request = TaskRequest(builtin_tasks()["piqa"], limit=6)  # its server sorts the vocabulary per echoed token
    with bounded_client() as http:
        served = score_task(EndpointScorer(http, server, "gemma3-270m", None, Timeouts(total_s=120)), request)
    local = LlamaCppBackend.load(SOURCES.get("embedded"), "gemma3-270m")
    try:
        here = score_task(local.task_scorer(), request)
    finally:
        local.close()
    assert served.error is None and here.error is None, (served.error, here.error)
    same = sum(a.choice == b.choice for a, b in zip(served.items, here.items, strict=True))
    assert same >= 5, [(a.choice, b.choice) for a, b in zip(served.items, here.items, strict=True)]
