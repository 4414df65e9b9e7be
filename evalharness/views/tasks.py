"""Benchmark tasks in the comparison views: a column per task and metric with its 95% interval
beside it (`task:piqa.acc`, `task:piqa.acc:low`, `task:piqa.acc:high`), as a quality axis of the
trade-off charts, and the tasks table (metrics with intervals, items, what a correct answer costs)."""

from __future__ import annotations

import pandas as pd

from evalharness.reports.schema import Report, Variant
from evalharness.tasks.summary import metric_text, per_correct_text

PREFIX = "task:"
BOUNDS = (":low", ":high")


def task_columns(v: Variant) -> dict[str, float | None]:
    """A variant's accuracy-like task figures (those with an interval), each with its bounds."""
    out: dict[str, float | None] = {}
    for t in v.tasks:
        if t.error is not None:
            continue
        for m in t.metrics:
            if m.ci_low is None or m.ci_high is None:
                continue
            name = f"{PREFIX}{t.task}.{m.name}"
            out[name], out[name + BOUNDS[0]], out[name + BOUNDS[1]] = m.value, m.ci_low, m.ci_high
    return out


def is_task(column: str) -> bool:
    return column.startswith(PREFIX) and not is_bound(column)


def is_bound(column: str) -> bool:
    return column.startswith(PREFIX) and column.endswith(BOUNDS)


def header(column: str) -> str:
    """`task:piqa.acc` -> `piqa acc (%)`."""
    task, _, metric = column.removeprefix(PREFIX).rpartition(".")
    return f"{task} {metric} (%)"


def cell(value: float) -> str:
    return f"{100 * value:.1f}%"


def tasks_frame(report: Report) -> pd.DataFrame | None:
    """One row per variant and benchmark task: its metrics with intervals, items, scoring time and
    scoring seconds per correct answer."""
    rows = [{"variant": v.id, "task": t.task, "shots": t.num_fewshot,
             "metrics": f"not scored: {t.error}" if t.error else ", ".join(metric_text(m) for m in t.metrics),
             "items": f"{len(t.items)}/{t.docs_total}", "s per correct": per_correct_text(t)}
            for v in report.variants for t in v.tasks]
    return pd.DataFrame(rows) if rows else None
