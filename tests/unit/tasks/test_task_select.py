"""`select --min-accuracy`: a variant whose task accuracy is below the floor is rejected, naming
the figure and its interval; an unscored task is named too."""

from __future__ import annotations

from evalharness.reports.tasks import TaskMetric, TaskResult
from evalharness.select import accuracy_reasons


class _V:
    def __init__(self, tasks):
        self.tasks = tasks


def _result(acc: float, norm: float) -> TaskResult:
    return TaskResult(task="piqa", source="piqa.yaml", num_fewshot=0, fewshot_seed=1, docs_total=10, subset="all",
                      metrics=[TaskMetric(name="acc", value=acc, ci_low=acc - 0.05, ci_high=acc + 0.05, n=200),
                               TaskMetric(name="acc_norm", value=norm, n=200)])


def test_accuracy_floors():
    v = _V([_result(0.66, 0.70)])
    assert accuracy_reasons(v, {"piqa": 0.65}) == []
    assert accuracy_reasons(v, {"piqa": 0.67}) == ["piqa 0.660 [0.610, 0.710] < 0.67"]
    assert accuracy_reasons(v, {"piqa.acc_norm": 0.71}) == ["piqa.acc_norm 0.700 < 0.71"]
    assert accuracy_reasons(v, {"arc_easy": 0.5}) == ["arc_easy not scored"]
    failed = _V([_result(0.9, 0.9).model_copy(update={"error": "not supported: x"})])
    assert accuracy_reasons(failed, {"piqa": 0.5}) == ["piqa not scored"]
