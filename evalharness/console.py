"""Terminal output: a progress bar with ETA, and the end-of-run summary tables."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.segment import Segment
from rich.table import Table

from evalharness import metrics
from evalharness.labels import differing_parts
from evalharness.reports.schema import Report, Variant
from evalharness.tasks.summary import metric_text, per_correct_text
from evalharness.text import terminal_safe


class SafeConsole(Console):
    """A rich console that never sends a terminal the control characters of the text it shows
    (an id from a hand-edited report could set the window title or clear the screen); rich's own
    styles and cursor moves are segments apart from the text, and pass as they are."""

    def _render_buffer(self, buffer):  # noqa: ANN001 - rich's signature
        return super()._render_buffer(seg if seg.control else Segment(terminal_safe(seg.text), seg.style)
                                      for seg in buffer)


# Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns; give them room.
console = SafeConsole(stderr=False, highlight=False, width=None if sys.stdout.isatty() else 200)
err_console = SafeConsole(stderr=True, highlight=False)


class RichProgress:
    """Runner progress on stderr: a bar with counts, elapsed time and ETA."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"), console=err_console, transient=False,
        )
        self._task: int | None = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("generations", total=total, note="")

    def advance(self, steps: int = 1, note: str = "") -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=steps, note=note)

    def message(self, text: str) -> None:
        self._progress.console.print(f"[dim]{escape(text)}[/dim]")

    def warn(self, text: str) -> None:
        self._progress.console.print(f"[yellow]warning:[/yellow] {escape(text)}")

    def stop(self) -> None:
        self._progress.stop()


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"


def _cell(report: Report, v: Variant, metric: metrics.Metric) -> str:
    if metric.scope == "fidelity" and v.fidelity is None:
        is_ref = any(o.fidelity and o.fidelity.reference == v.id for o in report.variants)
        return "ref" if is_ref else "—"
    value = v.figure(metric)
    if metric.stat == "rate":
        return "—" if value is None else f"{value:.0%}"
    return _fmt(value)


def brief_table(report: Report) -> Table:
    """The figures that decide, one line per variant within 100 columns: the variant by what
    differs between them, status, decode, TTFT, latency p95, memory, agreement, alerts fired;
    the rest is in `summary_table` (`--wide`), the report and the summary."""
    table = Table(title=f"{report.suite.name} · run {report.run_id} · {report.status}")
    labels = differing_parts([v.id.split("/") for v in report.variants])
    table.add_column("variant", no_wrap=True, overflow="ellipsis", max_width=30)
    table.add_column("status", no_wrap=True)
    shown = [metrics.BY_NAME[name] for name in BRIEF]
    for m in shown:
        table.add_column(BRIEF[m.name], justify="right", no_wrap=True)
    table.add_column("alerts", justify="right", no_wrap=True)
    fired = report.alerts_fired()
    for v, label in zip(report.variants, labels, strict=True):
        table.add_row(label, v.status, *(_cell(report, v, m) for m in shown), str(fired.get(v.id, 0)))
    return table


BRIEF = {"decode_tokens_per_s": "decode\ntok/s", "ttft_s.p50": "TTFT\np50 s", "latency_s.p95": "latency\np95 s",
         "peak_rss_mb": "peak RSS\nMB", "token_agreement": "agreement"}  # column: header on two lines


def summary_table(report: Report) -> Table:
    table = Table(title=f"{report.suite.name} · run {report.run_id} · {report.status}")
    shown = metrics.shown_in("console")
    longest = max((len(v.id) for v in report.variants), default=7)
    table.add_column("variant", min_width=min(longest, 60))  # the part that differs is at the end
    table.add_column("status")
    for m in shown:
        table.add_column(m.label, justify="right")
    table.add_column("scores")
    for v in report.variants:
        scores = ("n/a (random weights)" if v.synthetic
                  else " ".join(f"{k}={_fmt(x, 2)}" for k, x in v.scores.items()))
        status = v.status if not v.error else f"{v.status}: {v.error[:60]}"
        table.add_row(v.id, status, *(_cell(report, v, m) for m in shown), scores)
    return table


def tasks_table(report: Report) -> Table | None:
    """Benchmark tasks: each variant's metrics with 95% intervals, items, scoring time and the
    scoring seconds per correct answer (an interval from the accuracy's)."""
    if not any(v.tasks for v in report.variants):
        return None
    table = Table(title="benchmark tasks (95% intervals)")
    for col, justify in (("variant", "left"), ("task", "left"), ("metrics", "left"), ("items", "right"),
                         ("scoring s", "right"), ("s per correct", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for v in report.variants:
        for t in v.tasks:
            if t.error is not None:
                table.add_row(v.id, t.task, f"not scored: {t.error[:80]}", "—", "—", "—")
                continue
            table.add_row(v.id, f"{t.task} ({t.num_fewshot}-shot)", ", ".join(metric_text(m) for m in t.metrics),
                          f"{len(t.items)}/{t.docs_total}", _fmt(t.seconds), per_correct_text(t))
    return table


def print_summary(report: Report, wide: bool = False) -> None:
    console.print(summary_table(report) if wide else brief_table(report))
    if not wide:
        for v in report.variants:
            if v.error:
                console.print(f"[red]{v.status}[/red] {v.id}: {v.error[:200]}")
    tasks = tasks_table(report)
    if tasks is not None:
        console.print(tasks)
    for v in report.variants:
        for w in v.warnings:
            console.print(f"[yellow]warning[/yellow] {v.id}: {w}")
    if report.alerts:
        console.print(f"[bold]{len(report.alerts)} alert(s) fired:[/bold]")
        colours = {"info": "cyan", "warning": "yellow", "critical": "red"}
        for a in report.alerts:
            console.print(f"  [{colours[a.severity]}]{a.severity}[/] {a.rule}: {a.message}")
    else:
        console.print("no alerts fired")
