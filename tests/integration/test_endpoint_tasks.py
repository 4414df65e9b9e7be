"""Benchmark tasks through an OpenAI-compatible endpoint, against a loopback server that serves the
tiny Gemma itself: the echoed prompt log-probs give the same log-likelihoods and the same per-item
answers as scoring the model in this process; generation tasks run; a server without prompt
log-probs (llama.cpp's) is reported as unable to score, never scored at chance."""

from __future__ import annotations

import textwrap

import pytest

from evalharness.endpoints.bounded import bounded_client
from evalharness.endpoints.client import Timeouts
from evalharness.runtimes.openai_tasks import EndpointScorer
from evalharness.runtimes.transformers import load_backend
from evalharness.tasks.run import TaskRequest, builtin_tasks, score_task
from tests.completions_server import CompletionsServer


@pytest.fixture(scope="module")
def backend():
    b = load_backend("tiny-random", "tiny-random-gemma3", None, "fp32", "cpu")
    yield b
    b.close()


def _scorer(server: CompletionsServer) -> EndpointScorer:
    return EndpointScorer(bounded_client(), server.base_url, "tiny", None, Timeouts(total_s=60))


TEXTS = [("The cat sat on the", " mat"), ("Question: what is two plus two?\nAnswer:", " four, of course"),
         ("A", " very long continuation that spans many tokens"), ("Hello", " world")]


@pytest.mark.parametrize("mode", ["echo", "bos-text", "bos-dropped", "unspelled", "no-usage"])
def test_echoed_log_probs_equal_the_models_own(backend, mode):
    local = backend.task_scorer()
    pairs = []
    for ctx, cont in TEXTS:
        whole, head = local.encode(ctx + cont), local.encode(ctx)
        pairs.append((head, whole[len(head):]))
    expected = local.loglikelihood(pairs)
    with CompletionsServer(backend.model, backend.tokenizer, mode) as server:
        got = _scorer(server).loglikelihood_text(TEXTS)
        assert all(r["echo"] and r["max_tokens"] == 1 and r["logprobs"] == 1 for r in server.requests)
    for (value, greedy), (want, want_greedy) in zip(got, expected, strict=True):
        assert value == pytest.approx(want, abs=1e-4)
        assert greedy == want_greedy


def test_a_task_through_the_endpoint_gives_the_same_answer_per_item(backend):
    request = TaskRequest(builtin_tasks()["piqa"], limit=16)
    local = score_task(backend.task_scorer(), request)
    with CompletionsServer(backend.model, backend.tokenizer) as server:
        served = score_task(_scorer(server), request)
    assert served.error is None and len(served.items) == 16
    assert [(i.doc_id, i.choice, i.values) for i in served.items] == [(i.doc_id, i.choice, i.values)
                                                                      for i in local.items]


@pytest.mark.parametrize("mode", ["generated-only", "refuse-echo"])
def test_a_server_without_prompt_log_probs_cannot_score(backend, mode):
    with CompletionsServer(backend.model, backend.tokenizer, mode) as server:
        result = score_task(_scorer(server), TaskRequest(builtin_tasks()["piqa"], limit=4))
    assert result.items == [] and result.error is not None
    assert result.error.startswith("not supported:") and "echo" in result.error


def test_a_generation_task_runs_where_log_likelihoods_cannot(backend, tmp_path):
    data = tmp_path / "qa.jsonl"
    data.write_text('{"q": "Say hi", "a": "hi"}\n{"q": "Count", "a": "1 2 3"}\n{"q": "Name", "a": "Bob"}\n')
    path = tmp_path / "qa.yaml"
    path.write_text(textwrap.dedent(f"""
        task: tiny_qa
        dataset_path: json
        dataset_kwargs:
          data_files:
            test: {data}
        output_type: generate_until
        test_split: test
        doc_to_text: "Q: {{{{q}}}}\\nA:"
        doc_to_target: a
        generation_kwargs:
          until: ["\\n"]
          max_gen_toks: 5
        metric_list:
          - metric: exact_match
            aggregation: mean
            higher_is_better: true
        """).lstrip())
    local = score_task(backend.task_scorer(), TaskRequest(path))
    with CompletionsServer(backend.model, backend.tokenizer, "refuse-echo") as server:
        served = score_task(_scorer(server), TaskRequest(path))
        sent = [r for r in server.requests if not r.get("echo")]
    assert served.error is None and len(served.items) == 3
    assert [i.values for i in served.items] == [i.values for i in local.items]
    assert sent and all(r["temperature"] == 0 and r["max_tokens"] == 5 and r["stop"] == ["\n"] for r in sent)


SUITE = """
name: served-tasks
models:
  - {{source: tiny-random, id: tiny-random-gemma3}}
  - source: openai
    id: tiny
    name: served
    endpoint: {{base_url: "{url}", api_key_env: EH_TASK_KEY, timeouts: {{total_s: 60}}}}
quantizations: [fp32]
device: cpu
tasks:
  - {{task: piqa, limit: 8}}
"""


def test_a_suite_scores_the_same_model_in_process_and_served_alike(backend, write_suite, tmp_path, monkeypatch):
    from evalharness.compare.engine import compare_within
    from evalharness.runner import Runner, RunOptions
    from evalharness.suite import load_suite

    monkeypatch.setenv("EH_TASK_KEY", "sk-task-secret-123")
    with CompletionsServer(backend.model, backend.tokenizer) as server:
        path = write_suite(SUITE.format(url=server.base_url))
        outcome = Runner(load_suite(path), RunOptions(output_dir=tmp_path / "r", isolation="none")).run()
    local, served = outcome.report.variants
    assert served.id == "served/served/remote" and served.tasks[0].error is None
    assert [i.choice for i in served.tasks[0].items] == [i.choice for i in local.tasks[0].items]
    row = next(r for r in compare_within(outcome.report, [(local.id, served.id)]).rows if r.metric == "tasks.piqa.acc")
    assert row.change == 0 and row.verdict != "inferior"
    assert "sk-task-secret-123" not in outcome.report_path.read_text()
