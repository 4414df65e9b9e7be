"""A one-page summary of a run for a PR comment or a design review: the comparison table, each
variant against the reference (`compare --markdown`'s content), the trade-off chart, and the
selector's choice with its reasons. Markdown (the chart as an image file beside it) or HTML
(the chart inline as SVG). Report text is escaped: outputs never become markup."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from evalharness.compare import output
from evalharness.compare.engine import compare_within
from evalharness.reports.schema import Report
from evalharness.select import Constraints, references, select
from evalharness.text import terminal_safe, visible
from evalharness.views import charts, why
from evalharness.views.table import display_frame, glance_frame
from evalharness.views.tasks import tasks_frame

NO_CONSTRAINTS = Constraints()
STYLE = ("body{font-family:sans-serif;max-width:1200px}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:2px 6px}")


def chart_for(frame: pd.DataFrame):
    """The summary's trade-off chart: agreement vs latency p95 where fidelity was measured,
    else the first score vs latency p95."""
    costs = charts.cost_axes(frame)
    qualities = charts.quality_axes(frame)
    if not costs or not qualities:
        return None
    quality = "token_agreement" if "token_agreement" in qualities else qualities[0]
    cost = "latency_s.p95" if "latency_s.p95" in costs else costs[0]
    return charts.tradeoff_chart(frame, quality, cost)


def _md_cell(text: object) -> str:
    return html.escape(visible(text)).replace("|", "\\|").replace("`", "&#96;")


def markdown_table(df: pd.DataFrame) -> list[str]:
    cols = list(df.columns)
    out = ["| " + " | ".join(_md_cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return out


def sections(report: Report, frame: pd.DataFrame, constraints: Constraints, objective: str,
             quality_score: str | None = None) -> list[tuple[str, pd.DataFrame | list[str]]]:
    """The page's sections; `frame` is the run's `glance_frame`."""
    out: list[tuple[str, pd.DataFrame | list[str]]] = [("Variants", display_frame(frame))]
    tasks = tasks_frame(report)
    if tasks is not None:
        out.append(("Benchmark tasks (95% intervals)", tasks))
    sel = select(report, constraints, objective, quality_score)  # type: ignore[arg-type]
    table = why.as_text(why.selection_frame(sel))
    out.append(("Choice", [f"constraints: {'; '.join(why.constraint_lines(constraints))}; optimise {objective}",
                           *why.given_up(sel)]))
    out.append(("Why each variant", table))
    refs = sorted(references(report))
    pairs = [(ref, v.id) for ref in refs for v in report.variants
             if v.fidelity is not None and v.fidelity.reference == ref]
    if pairs:
        out.append(("Against the reference", [output.markdown(compare_within(report, pairs))]))
    return out


def to_markdown(report: Report, chart_file: str | None, constraints: Constraints = NO_CONSTRAINTS,
                objective: str = "latency", quality_score: str | None = None,
                frame: pd.DataFrame | None = None) -> str:
    frame = glance_frame([report]) if frame is None else frame
    lines = [f"# {_md_cell(report.suite.name)} · run {_md_cell(report.run_id)}", "",
             f"{len(report.variants)} variants, {len(report.samples)} samples, status {report.status}.", ""]
    if chart_file:
        lines += [f"![trade-off]({chart_file})", ""]
    for title, body in sections(report, frame, constraints, objective, quality_score):
        lines += [f"## {title}", ""]
        lines += markdown_table(body) if isinstance(body, pd.DataFrame) else [
            b if title == "Against the reference" else f"- {_md_cell(b)}" for b in body]
        lines.append("")
    return "\n".join(lines)


def to_html(report: Report, constraints: Constraints = NO_CONSTRAINTS, objective: str = "latency",
            quality_score: str | None = None) -> str:
    frame = glance_frame([report])
    chart = chart_for(frame)
    parts = [f"<h1>{html.escape(visible(report.suite.name))} · run {html.escape(visible(report.run_id))}</h1>",
             f"<p>{len(report.variants)} variants, {len(report.samples)} samples, status "
             f"{html.escape(report.status)}.</p>"]
    if chart is not None:
        parts.append(charts.export(chart, "svg").decode("utf-8"))
    for title, body in sections(report, frame, constraints, objective, quality_score):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if isinstance(body, pd.DataFrame):
            shown = body.map(lambda v: visible(v) if isinstance(v, str) else v)
            parts.append(shown.to_html(index=False, escape=True, na_rep="—"))
        elif title == "Against the reference":
            parts.append(f"<pre>{html.escape(terminal_safe(body[0]))}</pre>")  # its lines stay lines
        else:
            parts.append("<ul>" + "".join(f"<li>{html.escape(visible(b))}</li>" for b in body) + "</ul>")
    head = f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head>"
    return f"{head}<body>{''.join(parts)}</body></html>"


def write(report: Report, out: Path, constraints: Constraints = NO_CONSTRAINTS,
          objective: str = "latency", quality_score: str | None = None) -> list[Path]:
    """Write the summary: .html inline, else Markdown with the chart as <out>.svg beside it."""
    if out.suffix.lower() in (".html", ".htm"):
        out.write_text(to_html(report, constraints, objective, quality_score), encoding="utf-8")
        return [out]
    frame = glance_frame([report])
    chart = chart_for(frame)
    written = []
    chart_name = None
    if chart is not None:
        svg = out.with_suffix(".svg")
        svg.write_bytes(charts.export(chart, "svg"))
        chart_name = svg.name
        written.append(svg)
    out.write_text(to_markdown(report, chart_name, constraints, objective, quality_score, frame), encoding="utf-8")
    return [out, *written]
