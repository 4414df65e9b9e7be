"""Trade-off charts with every point named by what distinguishes it, the Pareto frontier drawn,
and export to PNG/SVG (vl-convert renders the same Vega-Lite spec the dashboard shows)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from evalharness import metrics
from evalharness.dashboard_data import pareto_mask
from evalharness.views.table import header

# SVG in the browser: labels are text a reader (and a test) can find, and print sharply
SVG = {"embedOptions": {"renderer": "svg"}}
COLOURS = alt.Scale(domain=["non-dominated", "dominated"], range=["#d62728", "#9e9e9e"])
# what a trade-off chart can put on its quality axis besides the scores (higher is better)
FIDELITY_AXES = ("token_agreement", "first_divergence_mean")


def quality_axes(frame: pd.DataFrame) -> list[str]:
    """Columns a trade-off chart can plot upwards: scores, then fidelity figures measured."""
    scores = [c for c in frame.columns if c.startswith("score_")]
    return scores + [c for c in FIDELITY_AXES if c in frame.columns and frame[c].notna().any()]


def cost_axes(frame: pd.DataFrame) -> list[str]:
    """Cost columns (lower is better) that some variant has."""
    return [m.name for m in metrics.shown_in("cost") if m.name in frame.columns and frame[m.name].notna().any()]


def tradeoff_chart(frame: pd.DataFrame, quality: str, cost: str, title: str | None = None) -> alt.LayerChart | None:
    """Quality (up) against cost (left is cheaper): labelled points, the frontier as a line;
    None when no variant has both figures."""
    data = frame.dropna(subset=[quality, cost]).copy()
    if data.empty:
        return None
    data["pareto"] = pareto_mask(data, quality, cost).map({True: "non-dominated", False: "dominated"})
    data = data.rename(columns={quality: "quality", cost: "cost"})
    x = alt.X("cost:Q", title=header(cost), scale=alt.Scale(zero=False, padding=30))
    y = alt.Y("quality:Q", title=header(quality), scale=alt.Scale(zero=False, padding=20))
    base = alt.Chart(data).encode(x=x, y=y)
    points = base.mark_point(size=110, filled=True).encode(
        color=alt.Color("pareto:N", title="Pareto", scale=COLOURS),
        tooltip=["variant", alt.Tooltip("quality:Q", title=header(quality)),
                 alt.Tooltip("cost:Q", title=header(cost))])
    data["below"] = label_below(data["cost"].tolist(), data["quality"].tolist(), data["label"].tolist())
    base = alt.Chart(data).encode(x=x, y=y)
    labels = alt.layer(*[base.transform_filter(alt.datum.below == flag).mark_text(
        align="left", dx=8, dy=14 if flag else -6, fontSize=12).encode(text="label:N") for flag in (False, True)])
    front = alt.Chart(data[data["pareto"] == "non-dominated"].sort_values("cost")).mark_line(
        interpolate="step-after", strokeDash=[4, 3], color="#d62728").encode(x=x, y=y)
    chart = alt.layer(front, points, labels).properties(
        title=title or f"{header(quality)} vs {header(cost)}", height=340, usermeta=SVG)
    return chart


def label_below(xs: list[float], ys: list[float], labels: list[str], width: float = 420,
                height: float = 300) -> list[bool]:
    """Which points put their label below rather than above: a label whose box (about 6.5 px a
    character, 14 px high, right of its point on a plot of about width x height) would cover
    one already placed goes below its point, if that side is free."""
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    placed: list[tuple[float, float, float, float]] = []
    below = [False] * len(xs)

    def box(k: int, under: bool) -> tuple[float, float, float, float]:
        px = (xs[k] - min(xs)) / span_x * width + 8
        py = (ys[k] - min(ys)) / span_y * height + (-20 if under else 0)
        return px, px + 6.5 * len(labels[k]), py, py + 14

    def free(b: tuple[float, float, float, float]) -> bool:
        return all(b[1] < o[0] or o[1] < b[0] or b[3] < o[2] or o[3] < b[2] for o in placed)
    for k in sorted(range(len(xs)), key=lambda k: (-ys[k], xs[k])):
        under = not free(box(k, False)) and free(box(k, True))
        below[k] = under
        placed.append(box(k, under))
    return below


def latency_chart(samples: pd.DataFrame, labels: dict[str, str]) -> alt.Chart | None:
    """Per-sample latency per variant, the axis naming each variant by its distinguishing part."""
    data = samples.dropna(subset=["latency_s"]).copy()
    if data.empty:
        return None
    data["label"] = data["variant"].map(labels).fillna(data["variant"])
    return alt.Chart(data).mark_boxplot().encode(
        x=alt.X("label:N", title="variant", axis=alt.Axis(labelAngle=-30, labelLimit=0)),
        y=alt.Y("latency_s:Q", title="latency (s)"),
        tooltip=["variant"]).properties(title="Latency per sample", height=300, usermeta=SVG)


def export(chart: alt.TopLevelMixin, fmt: str) -> bytes:
    """The chart as an SVG or PNG file (rendered by vl-convert, no browser)."""
    import vl_convert as vlc

    spec = chart.to_json()
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=2)
    raise ValueError(f"unknown chart format {fmt!r}: use svg or png")
