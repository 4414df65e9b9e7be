"""Before a run: what a suite's benchmark tasks can tell apart with the items it will score."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalharness.tasks.run import TaskRequest, build_task, task_source
from evalharness.tasks.stats import Z95, detectable_difference

DISCORDANT_RATES = (0.02, 0.05, 0.10)  # shares of items whose answer changes between two variants


@dataclass(frozen=True)
class TaskPlan:
    task: str
    items: int
    docs_total: int
    half_width: float  # the widest 95% interval of one accuracy (at 50%), +- this
    detectable: dict[float, float]  # discordant rate -> smallest shortfall found 80% of the time
    error: str | None = None


def plan_task(spec: Any, full: bool) -> TaskPlan:
    """Items scored and the resolution they give, for one of a suite's task specs."""
    try:
        task = build_task(TaskRequest(Path(task_source(spec)), spec.num_fewshot))
        docs = len(list(task.eval_docs))
    except Exception as exc:  # the plan reports a task that cannot be built
        return TaskPlan(spec.label, 0, 0, math.nan, {}, error=f"{type(exc).__name__}: {exc}")
    n = docs if full or spec.limit is None else min(spec.limit, docs)
    detectable = {r: detectable_difference(n, r) or math.nan for r in DISCORDANT_RATES}
    return TaskPlan(task.task_name, n, docs, Z95 * math.sqrt(0.25 / n) if n else math.nan, detectable)
