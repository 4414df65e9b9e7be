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
