"""Benchmark tasks on the real embedded Gemma 3 270M (a small PIQA subset): fp32 and int8-dynamic
score it in the harness, accuracy lands in a plausible range of the model card's 67.7, and
`compare` gives a verdict with its interval; gguf-native scores through llama.cpp when present."""

from __future__ import annotations

import pytest

from evalharness.compare.engine import compare_within
from evalharness.runner import Runner, RunOptions
from evalharness.suite import load_suite

pytestmark = pytest.mark.slow

SUITE = """
name: embedded-tasks
models:
  - source: embedded
    id: gemma3-270m
quantizations: [fp32, int8-dynamic]
device: cpu
tasks:
  - {task: piqa, limit: 40}
"""


def test_piqa_subset_on_the_embedded_model(write_suite, tmp_path):
    loaded = load_suite(write_suite(SUITE))
    outcome = Runner(loaded, RunOptions(output_dir=tmp_path / "r")).run()
    by = {v.quantization: v for v in outcome.report.variants}
    for v in by.values():
        assert v.status == "ok", v.error
        piqa = v.tasks[0]
        assert piqa.error is None and len(piqa.items) == 40
        acc = piqa.metric("acc")
        # the card's 67.7 (full set); 40 items: Wilson interval about +-14 points
        assert 0.45 <= acc.value <= 0.9 and acc.ci_low < 0.677 < acc.ci_high + 0.1
    cmp = compare_within(outcome.report, [(by["fp32"].id, by["int8-dynamic"].id)])
    row = next(r for r in cmp.rows if r.metric == "tasks.piqa.acc")
    assert row.verdict in ("non-inferior", "inconclusive", "inferior") and row.ci_low <= row.change <= row.ci_high
    assert any("margin 1 points" in n for n in row.notes)


def test_llama_cpp_reads_a_continuation_in_one_batch_as_it_would_token_by_token():
    """The GGUF's continuation log-probs from one batch with every position's logits agree with
    those read one token at a time (the path that needs nothing of llama-cpp-python's internals)
    within llama.cpp's own variation between batch shapes: its quantized kernels give a prompt's
    log-probs about 0.02 nats a token apart when the same tokens are split into other batches
    (measured against its server's echo too), so the two paths are not bit-identical."""
    pytest.importorskip("llama_cpp")
    from evalharness.models.sources import SOURCES
    from evalharness.runtimes.llama_cpp import LlamaCppBackend
    from evalharness.tasks.run import TaskRequest, build_task, builtin_tasks

    backend = LlamaCppBackend.load(SOURCES.get("embedded"), "gemma3-270m")
    try:
        scorer = backend.task_scorer()
        task = build_task(TaskRequest(builtin_tasks()["piqa"]))
        docs = list(task.eval_docs)[:6]
        pairs = []
        for doc in docs:
            context = task.doc_to_text(doc)
            for choice in task.doc_to_choice(doc):
                whole, head = scorer.encode(context + " " + choice), scorer.encode(context)
                pairs.append((head, whole[len(head):]))
        batched = scorer.loglikelihood(pairs)
        scorer.stepwise = True
        stepwise = scorer.loglikelihood(pairs)
    finally:
        backend.close()
    assert len(pairs) == 12 and all(len(cont) > 3 for _, cont in pairs)
    per_token = [abs(a - b) / len(cont) for (a, _), (b, _), (_, cont) in zip(batched, stepwise, pairs, strict=True)]
    assert sum(per_token) / len(per_token) < 0.05 and max(per_token) < 0.15, per_token
    same = sum((batched[2 * i][0] > batched[2 * i + 1][0]) == (stepwise[2 * i][0] > stepwise[2 * i + 1][0])
               for i in range(6))
    assert same >= 5
