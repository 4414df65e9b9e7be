"""Benchmark task results in words: one line per task for progress and the console."""

from __future__ import annotations

from evalharness.reports.tasks import TaskMetric, TaskResult


def metric_text(m: TaskMetric) -> str:
    if m.value is None:
        return f"{m.name} -"
    if m.ci_low is not None and m.ci_high is not None:
        return f"{m.name} {100 * m.value:.1f}% [{100 * m.ci_low:.1f}, {100 * m.ci_high:.1f}]"
    return f"{m.name} {m.value:.4g}"


def seconds_per_correct(r: TaskResult, metric: str = "acc") -> tuple[float, float | None, float | None] | None:
    """Scoring seconds per correct answer (seconds per item / accuracy) with the interval that the
    accuracy's own gives; None without a measured time or an accuracy above zero."""
    m = r.metric(metric)
    if m is None or m.value is None or m.value <= 0 or not r.seconds or not r.items:
        return None
    per_item = r.seconds / len(r.items)
    high = per_item / m.ci_low if m.ci_low else None
    low = per_item / m.ci_high if m.ci_high else None
    return per_item / m.value, low, high


def per_correct_text(r: TaskResult) -> str:
    found = seconds_per_correct(r)
    if found is None:
        return "—"
    value, low, high = found
    return f"{value:.3g} [{low:.3g}, {high:.3g}]" if low is not None and high is not None else f"{value:.3g}"


def task_line(r: TaskResult) -> str:
    """`piqa: acc 69.5% [62.8, 75.5], acc_norm ... (200 of 1838 items, 0-shot, 63.6 s)`."""
    if r.error is not None:
        return f"{r.task}: not scored: {r.error}"
    metrics = ", ".join(metric_text(m) for m in r.metrics)
    seconds = f", {r.seconds:.1f} s" if r.seconds is not None else ""
    return f"{r.task}: {metrics} ({len(r.items)} of {r.docs_total} items, {r.num_fewshot}-shot{seconds})"
