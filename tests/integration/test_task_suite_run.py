"""A suite with benchmark tasks, run through the CLI in worker processes: every variant's report
holds each task with its items and intervals, `compare` pairs them with a non-inferiority
verdict, a candidate that loses 3% of the baseline's right answers is called inferior, and a
run compared with itself never is."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evalharness.compare.engine import compare_reports, compare_within
from evalharness.reports import load_report
from evalharness.reports.tasks import TaskItem, TaskResult

SUITE = """
name: tasks-tiny
models:
  - source: tiny-random
    id: tiny-random-gemma3
quantizations: [fp32, int8-dynamic]
device: cpu
warmup: 0
repeats: 1
generation: {max_new_tokens: 4}
cases:
  - {id: hello, prompt: "Hello"}
tasks:
  - task: piqa
    limit: 24
  - task: lambada_openai
    limit: 6
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tasks")
    suite = folder / "suite.yaml"
    suite.write_text(textwrap.dedent(SUITE).lstrip())
    out = subprocess.run([sys.executable, "-m", "evalharness", "run", str(suite), "--output-dir", str(folder / "r")],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "benchmark tasks" in out.stdout and "piqa (0-shot)" in out.stdout
    path = next((folder / "r" / "tasks-tiny").glob("*.json"))
    return load_report(path)


def test_each_variant_reports_each_task_with_items_and_intervals(report):
    for v in report.variants:
        by = {t.task: t for t in v.tasks}
        assert set(by) == {"piqa", "lambada_openai"}, v.tasks
        piqa = by["piqa"]
        assert piqa.error is None and len(piqa.items) == 24 and piqa.docs_total == 1838
        assert "stratified" in piqa.subset and piqa.seconds > 0 and piqa.requests == 48
        acc = piqa.metric("acc")
        assert acc.value == pytest.approx(sum(i.values["acc"] for i in piqa.items) / 24)
        assert 0 <= acc.ci_low <= acc.value <= acc.ci_high <= 1
        assert by["lambada_openai"].metric("perplexity").interval.startswith("not a proportion")
    assert report.samples and all(s.variant_id for s in report.samples)  # the prompt cases ran too


def test_compare_within_pairs_the_items_with_a_verdict(report):
    ids = [v.id for v in report.variants]
    cmp = compare_within(report, [(ids[0], ids[1])])
    rows = {r.metric: r for r in cmp.rows if r.metric.startswith("tasks.")}
    assert {"tasks.piqa.acc", "tasks.piqa.acc_norm", "tasks.lambada_openai.acc"} <= set(rows)
    row = rows["tasks.piqa.acc"]
    assert row.verdict in ("non-inferior", "inferior", "inconclusive")
    assert row.ci_low <= row.change <= row.ci_high
    assert any("Holm" in n for n in row.notes) and any("margin 1 points" in n for n in row.notes)


def test_a_run_compared_with_itself_is_never_inferior(report):
    cmp = compare_reports(report, report)
    task_rows = [r for r in cmp.rows if r.metric.startswith("tasks.")]
    assert task_rows and all(r.verdict != "inferior" and r.change == 0 for r in task_rows)


def _synthetic(n: int, flip: float, seed: int) -> tuple[TaskResult, TaskResult]:
    rng = random.Random(seed)
    right = [1.0 if rng.random() < 0.68 else 0.0 for _ in range(n)]
    cand = list(right)
    for i in rng.sample([i for i, r in enumerate(right) if r], round(flip * n)):
        cand[i] = 0.0

    def result(values):
        items = [TaskItem(doc_id=i, doc_hash=f"{i:016x}", values={"acc": v}) for i, v in enumerate(values)]
        return TaskResult(task="piqa", source="piqa.yaml", num_fewshot=0, fewshot_seed=1234, docs_total=n,
                          subset="all", items=items, metrics=[], seconds=1.0)

    return result(right), result(cand)


def test_three_percent_of_items_flipped_is_inferior_at_1800_items(report):
    base_task, cand_task = _synthetic(1800, 0.03, 5)
    base = report.model_copy(update={"variants": [report.variants[0].model_copy(update={"tasks": [base_task]})]})
    cand = report.model_copy(update={"variants": [report.variants[0].model_copy(update={"tasks": [cand_task]})]})
    cmp = compare_reports(base, cand)
    row = next(r for r in cmp.rows if r.metric == "tasks.piqa.acc")
    assert row.verdict == "inferior" and row.gating and row.ci_high < -0.01
    assert row.change == pytest.approx(-0.03)


def test_the_gate_fails_on_an_inferior_task(report, tmp_path: Path):
    base_task, cand_task = _synthetic(1800, 0.03, 6)
    for name, task in (("base", base_task), ("cand", cand_task)):
        r = report.model_copy(update={"variants": [v.model_copy(update={"tasks": [task]}) for v in report.variants]})
        (tmp_path / f"{name}.json").write_text(r.model_dump_json())
    out = subprocess.run([sys.executable, "-m", "evalharness", "compare", str(tmp_path / "base.json"),
                          str(tmp_path / "cand.json"), "--junit", str(tmp_path / "j.xml"), "--json",
                          str(tmp_path / "c.json")], capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    rows = [r for r in json.loads((tmp_path / "c.json").read_text())["rows"] if r["metric"] == "tasks.piqa.acc"]
    assert rows and all(r["verdict"] == "inferior" for r in rows)
    assert 'type="inferior"' in (tmp_path / "j.xml").read_text()


def test_a_task_scored_in_a_worker_reports_its_progress(tmp_path, monkeypatch):
    from evalharness.runner import Runner, RunOptions, progress
    from evalharness.suite import load_suite
    from tests.unit.tasks.test_task_progress import Recorder

    monkeypatch.setattr(progress, "PROGRESS_EVERY_S", 0.0)  # every report is a line
    suite = tmp_path / "suite.yaml"
    suite.write_text(textwrap.dedent(SUITE).lstrip().replace("[fp32, int8-dynamic]", "[fp32]")
                     .replace("limit: 6", "limit: 3"))
    rec = Recorder()
    outcome = Runner(load_suite(suite), RunOptions(output_dir=tmp_path / "r", isolation="process"),
                     progress=rec).run()
    assert outcome.report.variants[0].tasks[0].error is None
    lines = [line for line in rec.lines if "piqa: " in line and "requests" in line]
    assert lines and all("/48 requests" in line for line in lines)  # 24 questions x 2 choices, from the worker
