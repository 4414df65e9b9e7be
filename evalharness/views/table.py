"""The comparison table: speed, memory, fidelity, quality, roofline and alerts per variant, with
units in the headers, "—" for what was not measured, and cells coloured against the reference."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalharness import metrics
from evalharness.labels import variant_labels
from evalharness.reports.schema import Report
from evalharness.select import references
from evalharness.views import tasks

# the figures a reader weighs: every metric metrics.py shows on the dashboard, in reading order
# (speed, memory, fidelity, then the rest; within a kind, the order of metrics.py)
READING_ORDER = ("timing", "memory", "fidelity", "score", "count", "info", "rate")
GLANCE = tuple(m.name for m in sorted(metrics.shown_in("dashboard"), key=lambda m: READING_ORDER.index(m.kind)))
RELATIVE_MARGIN = 0.05  # a figure is coloured when it is this much better/worse than the reference
SCORE_MARGIN = 0.05  # a score (0-1) likewise, as an absolute difference
BETTER, WORSE = "background-color: #d4edda", "background-color: #f8d7da"
REFERENCE = "ref"
ID_COLUMNS = ("variant", "label", "run_id", "status", "reference")
HEADERS = {"label": "variant", "variant": "variant id", "run_id": "run"}


def glance_frame(reports: Sequence[Report]) -> pd.DataFrame:
    """A row per variant of these runs: identity columns, the GLANCE figures (raw numbers),
    `score_<name>` per score and `alerts` (how many fired for the variant)."""
    rows = []
    for r in reports:
        refs = references(r)
        fired = r.alerts_fired()
        for v in r.variants:
            # a reference agrees with itself everywhere (sorts and plots as such), unless it was
            # itself compared with another (an adapter's reference with its base model's)
            mine = v.id in refs and v.fidelity is None
            row = {"variant": v.id, "run_id": r.run_id, "status": v.status, "reference": mine}
            row.update({name: v.figure(metrics.BY_NAME[name]) for name in GLANCE})
            if mine:
                row.update(token_agreement=1.0, kl_mean=0.0, identical_share=1.0, kl_non_finite_share=0.0)
            row.update({f"score_{k}": val for k, val in v.scores.items()})
            row.update(tasks.task_columns(v))
            row["alerts"] = fired.get(v.id, 0)
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame.insert(1, "label", variant_labels(list(zip(frame["run_id"], frame["variant"]))))
    return frame


def header(column: str) -> str:
    if column in HEADERS:
        return HEADERS[column]
    if tasks.is_task(column):
        return tasks.header(column)
    if column in metrics.BY_NAME:
        return metrics.BY_NAME[column].label
    if column.startswith("score_"):
        return f"score: {column.removeprefix('score_')}"
    return column


def shown_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(columns to show, figure columns left out because no variant has them)."""
    missing = frame.isna().all()
    empty = [c for c in frame.columns if c not in ID_COLUMNS and c != "alerts" and missing[c] and not tasks.is_bound(c)]
    keep = [c for c in frame.columns if c not in empty and c not in ("variant", "run_id", "reference")
            and not tasks.is_bound(c)]  # an interval's bounds are drawn, not tabled
    keep.append("variant")  # the label (what differs) leads; the full id closes the row
    if frame["run_id"].nunique() > 1:
        keep.append("run_id")
    return keep, empty


def _fmt(column: str):
    metric = metrics.BY_NAME.get(column)

    def cell(value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if tasks.is_task(column):
            return tasks.cell(value)
        if metric is None:
            return f"{value:.3f}" if isinstance(value, float) else str(value)
        if metric.stat == "rate":
            return f"{value:.0%}"
        return metric.fmt % value
    return cell


def reference_rows(frame: pd.DataFrame) -> np.ndarray:
    """For each row, the position of its run's reference variant (-1 where the run has none)."""
    first = {}
    for pos, (run, is_ref) in enumerate(zip(frame["run_id"], frame["reference"])):
        if is_ref:
            first.setdefault(run, pos)
    return np.array([first.get(run, -1) for run in frame["run_id"]], dtype=int)


def colour(frame: pd.DataFrame, column: str, refs: np.ndarray | None = None) -> list[str]:
    """Per cell: green when better than the run's reference variant by the margin, red when
    worse, nothing otherwise (or where either value is missing)."""
    metric = metrics.BY_NAME.get(column)
    is_score = column.startswith("score_")
    if column == "alerts":
        return [WORSE if n else "" for n in frame[column]]
    if (metric is None and not is_score) or (metric is not None and metric.kind in ("fidelity", "info")):
        return [""] * len(frame)
    refs = reference_rows(frame) if refs is None else refs
    value = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    base = np.where(refs >= 0, value[np.maximum(refs, 0)], np.nan)
    absolute = is_score or metric.stat == "rate"
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = value - base if absolute else (value - base) / np.abs(base)
    diff = diff if (metric is None or metric.higher_is_better) else -diff
    margin = SCORE_MARGIN if absolute else RELATIVE_MARGIN
    own = refs == np.arange(len(frame))
    return ["" if mine or not np.isfinite(d) else BETTER if d > margin else WORSE if d < -margin else ""
            for d, mine in zip(diff, own)]


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as text: every cell formatted, "—" where not measured, "ref" for the
    reference's own fidelity, headers with units (for CSV, Markdown and HTML)."""
    cols, _ = shown_columns(frame)
    out = pd.DataFrame({header(c): [_fmt(c)(v) for v in frame[c]] for c in cols})
    for c in cols:
        metric = metrics.BY_NAME.get(c)
        if metric is not None and metric.kind == "fidelity":
            out.loc[frame["reference"].to_numpy(), header(c)] = REFERENCE
    return out


def sorted_by(frame: pd.DataFrame, column: str, best_first: bool = True) -> pd.DataFrame:
    """Rows ordered by a column, the better end first for figures (missing values last)."""
    metric = metrics.BY_NAME.get(column)
    higher = metric.higher_is_better if metric is not None else column.startswith("score_") or tasks.is_task(column)
    if column == "alerts":
        higher = False
    ascending = not higher if best_first else higher
    return frame.sort_values(column, ascending=ascending, na_position="last", kind="stable")


def styled(frame: pd.DataFrame):
    """A pandas Styler for the dashboard: the variant's label as the row header, the text of
    `display_frame` over the raw numbers, colours against the reference."""
    cols, _ = shown_columns(frame)
    cols = [c for c in cols if c != "label"]
    shown = frame[cols].rename(columns=header)
    shown.index = pd.Index(frame["label"].tolist())
    refs = reference_rows(frame)
    css = pd.DataFrame({header(c): colour(frame, c, refs) for c in cols}, index=shown.index)
    styler = shown.style.format({header(c): _fmt(c) for c in cols}).apply(lambda _: css, axis=None)
    own = shown.index[frame["reference"].to_numpy(dtype=bool)]
    fidelity = [header(c) for c in cols if c in metrics.BY_NAME and metrics.BY_NAME[c].kind == "fidelity"]
    if len(own) and fidelity:
        styler = styler.format(lambda _v: REFERENCE, subset=pd.IndexSlice[own, fidelity])
    return styler
