"""Trade-off charts with every point named by what distinguishes it, the Pareto frontier drawn,
and export to PNG/SVG (vl-convert renders the same Vega-Lite spec the dashboard shows)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalharness import metrics
from evalharness.dashboard_data import LOAD_STATS, pareto_mask
from evalharness.reports.loadtest import SLO_FIELDS
from evalharness.text import visible
from evalharness.views import tasks
from evalharness.views.table import header

# SVG in the browser: labels are text a reader (and a test) can find, and print sharply
SVG = {"embedOptions": {"renderer": "svg"}}
# what every chart spec shares: SVG in the browser, room on the left for the y title (Streamlit's
# theme leaves none), and the width an exported file gets
FRAME = {"usermeta": SVG, "padding": {"left": 20, "top": 5, "right": 5, "bottom": 5},
         "config": {"view": {"continuousWidth": 420, "continuousHeight": 300}}}
FRONTIER = "#d62728"
COLOURS = {"domain": ["non-dominated", "dominated"], "range": [FRONTIER, "#9e9e9e"]}
# what a trade-off chart can put on its quality axis besides the scores (higher is better)
FIDELITY_AXES = ("token_agreement", "first_divergence_mean")


def quality_axes(frame: pd.DataFrame) -> list[str]:
    """Columns a trade-off chart can plot upwards: benchmark-task accuracies (with their
    intervals), scores, then fidelity figures measured."""
    accuracies = [c for c in frame.columns if tasks.is_task(c) and frame[c].notna().any()]
    scores = [c for c in frame.columns if c.startswith("score_")]
    return accuracies + scores + [c for c in FIDELITY_AXES if c in frame.columns and frame[c].notna().any()]


def cost_axes(frame: pd.DataFrame) -> list[str]:
    """Cost columns (lower is better) that some variant has."""
    return [m.name for m in metrics.shown_in("cost") if m.name in frame.columns and frame[m.name].notna().any()]


def tradeoff_chart(frame: pd.DataFrame, quality: str, cost: str, title: str | None = None) -> dict | None:
    """Quality (up) against cost (left is cheaper) as a Vega-Lite spec: labelled points, the
    frontier as a line; None when no variant has both figures. Written as a spec, not through
    altair's objects: building those costs ~0.3 s a chart on a page load (the tests validate the
    spec against the Vega-Lite schema)."""
    data = frame.dropna(subset=[quality, cost])
    if data.empty:
        return None
    front = pareto_mask(data, quality, cost)
    labels = data["label"].tolist()
    below = label_below(data[cost].tolist(), data[quality].tolist(), labels)
    rows = [{"variant": v, "label": lab, "quality": float(q), "cost": float(c),
             "pareto": "non-dominated" if f else "dominated", "below": b}
            for v, lab, q, c, f, b in zip(data["variant"], labels, data[quality], data[cost], front, below)]
    bars = _interval_bars(data, quality, rows)
    x = {"field": "cost", "type": "quantitative", "title": header(cost), "scale": {"zero": False, "padding": 30}}
    y = {"field": "quality", "type": "quantitative", "title": header(quality), "scale": {"zero": False, "padding": 20}}
    text = [{"transform": [{"filter": f"datum.below == {str(flag).lower()}"}],
             "mark": {"type": "text", "align": "left", "dx": 8, "dy": 14 if flag else -6, "fontSize": 12},
             "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"}}} for flag in (False, True)]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": rows}, "height": 340, **FRAME,
        "title": title or f"{header(quality)} vs {header(cost)}",
        "layer": [
            {"transform": [{"filter": "datum.pareto == 'non-dominated'"}],
             "mark": {"type": "line", "interpolate": "step-after", "strokeDash": [4, 3], "color": FRONTIER},
             "encoding": {"x": x, "y": y, "order": {"field": "cost", "type": "quantitative"}}},
            {"mark": {"type": "point", "size": 110, "filled": True},
             "encoding": {"x": x, "y": y,
                          "color": {"field": "pareto", "type": "nominal", "title": "Pareto", "scale": COLOURS},
                          "tooltip": [{"field": "variant", "type": "nominal"},
                                      {"field": "quality", "type": "quantitative", "title": header(quality)},
                                      {"field": "cost", "type": "quantitative", "title": header(cost)}]}},
            *bars,
            *text,
        ],
    }


def _interval_bars(data: pd.DataFrame, quality: str, rows: list[dict]) -> list[dict]:
    """A vertical bar over each point from its 95% interval's bounds (benchmark accuracies have
    them); the rows gain `low` and `high`."""
    low, high = quality + tasks.BOUNDS[0], quality + tasks.BOUNDS[1]
    if low not in data.columns or high not in data.columns:
        return []
    for row, lo, hi in zip(rows, data[low], data[high]):
        row["low"], row["high"] = float(lo), float(hi)
    return [{"mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.6},
             "encoding": {"x": {"field": "cost", "type": "quantitative"},
                          "y": {"field": "low", "type": "quantitative"}, "y2": {"field": "high"},
                          "color": {"field": "pareto", "type": "nominal", "scale": COLOURS, "legend": None}}}]


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


def latency_chart(samples: pd.DataFrame, labels: dict[str, str]) -> dict | None:
    """Per-sample latency per variant as a Vega-Lite box plot, the axis naming each variant by
    its distinguishing part."""
    data = samples.dropna(subset=["latency_s"])
    if data.empty:
        return None
    rows = [{"variant": v, "label": labels.get(v, v), "latency_s": float(t)}
            for v, t in zip(data["variant"], data["latency_s"])]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": rows}, "title": "Latency per sample", "height": 300, **FRAME,
        "mark": {"type": "boxplot"},
        "encoding": {"x": {"field": "label", "type": "nominal", "title": "variant",
                           "axis": {"labelAngle": -30, "labelLimit": 0}},
                     "y": {"field": "latency_s", "type": "quantitative", "title": "latency (s)"}},
    }


def trend_chart(df: pd.DataFrame, title: str) -> dict:
    """A metric per variant across runs (columns started_at, run_id, variant, value, alerts);
    runs with alerts marked by a red triangle."""
    rows = [{"started_at": t.isoformat(), "run_id": r, "variant": v, "value": float(x), "alerts": int(a)}
            for t, r, v, x, a in zip(df["started_at"], df["run_id"], df["variant"], df["value"], df["alerts"])]
    x = {"field": "started_at", "type": "temporal", "title": "run start"}
    y = {"field": "value", "type": "quantitative", "title": title}
    tooltip = [{"field": f, "type": "nominal"} for f in ("run_id", "variant", "value", "alerts")]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": rows}, **FRAME,
        "layer": [
            {"mark": {"type": "line", "point": True},
             "encoding": {"x": x, "y": y, "color": {"field": "variant", "type": "nominal"}, "tooltip": tooltip}},
            {"transform": [{"filter": "datum.alerts > 0"}],
             "mark": {"type": "point", "shape": "triangle", "size": 200, "color": "red"},
             "encoding": {"x": x, "y": y, "tooltip": tooltip}},
        ],
    }


def probe_chart(long: pd.DataFrame) -> dict:
    """A monitor's probes (long form: ts, target, metric, value), a row of lines per metric."""
    rows = [{"ts": t.isoformat(), "target": g, "metric": m, "value": float(v)}
            for t, g, m, v in zip(long["ts"], long["target"], long["metric"], long["value"])]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": rows}, **FRAME,
        "facet": {"row": {"field": "metric", "type": "nominal", "title": None}},
        "spec": {"height": 120, "mark": {"type": "line", "point": True},
                 "encoding": {"x": {"field": "ts", "type": "temporal", "title": "time"},
                              "y": {"field": "value", "type": "quantitative"},
                              "color": {"field": "target", "type": "nominal"}}},
        "resolve": {"scale": {"y": "independent"}},
    }


LOAD_PANELS = (  # a row of the load chart: its title and the columns it draws; a row per request
    # figure in seconds (from metrics.py) with its percentiles, then the stage's rates and shares
    *((metrics.field_label(f), tuple(f"{f}.{stat}" for stat in LOAD_STATS))
      for f in SLO_FIELDS),
    ("requests/s", ("achieved_rate", "goodput")),
    ("share of requests", ("quality", "success_rate", "changed_rate")),
)


def _load_rows(frame: pd.DataFrame, test: str) -> list[dict]:
    from evalharness.dashboard_data import LOAD_COLUMNS

    return [{"load": float(load), "panel": panel, "series": LOAD_COLUMNS[col][1], "value": float(value),
             "stage": stage, "loop": "closed" if pd.isna(offered) else "open", "test": test}
            for panel, cols in LOAD_PANELS for col in cols if col in frame.columns
            for load, value, stage, offered in zip(frame["load"], frame[col], frame["stage"], frame["offered_rate"])
            if pd.notna(load) and pd.notna(value)]


def _knee_layers(knee: float, colour: str, label: str, dy: int) -> list[dict]:
    at_knee = {"x": {"datum": knee}}
    return [{"mark": {"type": "rule", "strokeDash": [6, 4], "color": colour}, "encoding": at_knee},
            {"mark": {"type": "text", "align": "left", "dx": 4, "dy": dy, "color": colour, "y": 0,
                      "text": f"{label}knee {knee:.3g} req/s"}, "encoding": at_knee}]


def load_chart(frame: pd.DataFrame, knee: float | None, title: str,
               compare: tuple[str, pd.DataFrame, float | None] | None = None, name: str = "") -> dict | None:
    """A load test's stages against their load: latency percentiles, achieved rate and goodput,
    quality and success, a row each. Open-loop stages (offered rates) are joined by lines;
    closed-loop ones (synchronous, throughput: at their achieved rate) are diamonds, since their
    load was not chosen; the knee (the highest rate served without saturation) is a dashed rule.
    `compare` (name, frame, knee) draws a second test beside it, dashed, its knee in grey."""
    rows = _load_rows(frame, name or "this test")
    if compare is not None:
        rows += _load_rows(compare[1], compare[0])
    if not rows:
        return None
    x = {"field": "load", "type": "quantitative", "title": "load (req/s): offered, or achieved for closed loop"}
    encoding = {"x": x, "y": {"field": "value", "type": "quantitative", "title": None},
                "color": {"field": "series", "type": "nominal", "title": None},
                "tooltip": [{"field": f, "type": "nominal"} for f in ("test", "stage", "series", "value")]}
    if compare is not None:  # one line per series and test: the compared test dashed
        encoding["strokeDash"] = {"field": "test", "type": "nominal", "title": None,
                                  "sort": [name or "this test", compare[0]], "legend": {"symbolType": "stroke"}}
    layers: list[dict] = [
        {"transform": [{"filter": "datum.loop == 'open'"}], "mark": {"type": "line", "point": True},
         "encoding": encoding},
        {"transform": [{"filter": "datum.loop == 'closed'"}],
         "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 90},
         "encoding": {k: v for k, v in encoding.items() if k != "strokeDash"}},
    ]
    if knee is not None:
        layers += _knee_layers(knee, FRONTIER, f"{name}: " if compare is not None and name else "", 10)
    if compare is not None and compare[2] is not None:
        layers += _knee_layers(compare[2], "#757575", f"{compare[0]}: ", 24)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": rows}, **FRAME, "title": title,
        "facet": {"row": {"field": "panel", "type": "nominal", "title": None, "sort": [p for p, _ in LOAD_PANELS]}},
        "spec": {"height": 150, "layer": layers},
        "resolve": {"scale": {"y": "independent"}},
    }


def _visible_strings(value: Any) -> Any:
    """The spec with control characters in its text shown as escapes: vl-convert aborts the
    whole process (a Rust panic) on a NUL in a label."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {_visible_strings(k): _visible_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_visible_strings(v) for v in value]
    return value


def export(spec: dict, fmt: str) -> bytes:
    """A chart's Vega-Lite spec as an SVG or PNG file (rendered by vl-convert, no browser)."""
    import vl_convert as vlc

    spec = _visible_strings(spec)

    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=2)
    raise ValueError(f"unknown chart format {fmt!r}: use svg or png")
