"""evalharness dashboard: runs, comparison, trends, alerts, samples and live runs.

Start with `evalharness dashboard [--results-dir results] [--port N]`. Reads reports only
through evalharness's report reader and never writes into the results dir. Prompts and
outputs are untrusted text: they are shown as text (tables, st.text), never as HTML/Markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from evalharness import dashboard_data as dd
from evalharness import metrics
from evalharness.select import Constraints, select

REFRESH_S = 3


def results_dir() -> Path:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--results-dir", default=os.environ.get("EVALHARNESS_RESULTS_DIR", "results"))
    args, _ = ap.parse_known_args(sys.argv[1:])
    return Path(args.results_dir)


@st.cache_data(show_spinner=False, max_entries=5000)
def cached_read(key: dd.FileKey):
    # keyed on path + mtime + size: a rewritten report is read again, an unchanged one never
    return dd.read_one(key)


def load_all(root: Path):
    reports, problems = [], []
    for key in dd.report_files(root):
        report, error = cached_read(key)
        if report is not None:
            reports.append(report)
        else:
            problems.append(error)
    return reports, problems


def runs_section(reports) -> None:
    df = dd.runs_frame(reports)
    suites = sorted(df["suite"].unique())
    chosen = st.multiselect("Filter by suite", suites, key="runs_suites")
    if chosen:
        df = df[df["suite"].isin(chosen)]
    st.dataframe(df, hide_index=True, width="stretch")


def selector(table: pd.DataFrame, report_list) -> None:
    st.markdown("**Select a variant under constraints**")
    c1, c2, c3 = st.columns(3)
    max_mem = c1.number_input("max memory (MB, 0 = none)", min_value=0.0, value=0.0, key="sel_mem")
    max_lat = c2.number_input("max latency p95 (s, 0 = none)", min_value=0.0, value=0.0, key="sel_lat")
    objective = c3.selectbox("optimise", ["latency", "memory", "quality"], key="sel_obj")
    for r in report_list[:1]:
        result = select(r, Constraints(max_mem or None, max_lat or None), objective)
        if result.chosen is None:
            st.warning("No variant meets the constraints.")
        else:
            st.text(f"chosen: {result.chosen.variant.id}")
        for v, reasons in result.rejected:
            st.text(f"rejected {v.id}: {'; '.join(reasons)}")


def column_config() -> dict:
    """Headers with units and formats for every metric column, from the one metrics table."""
    out = {}
    for m in metrics.shown_in("dashboard"):
        fmt = "percent" if m.stat == "rate" else m.fmt
        out[m.name] = st.column_config.NumberColumn(m.label, format=fmt)
    return out


def comparison_section(reports) -> None:
    if not reports:
        st.info("No reports yet.")
        return
    ids = [r.run_id for r in sorted(reports, key=lambda r: r.started_at, reverse=True)]
    picked = st.multiselect("Runs to compare", ids, default=ids[:1], key="cmp_runs")
    chosen = [r for r in reports if r.run_id in picked]
    if not chosen:
        st.info("Choose at least one run.")
        return
    table = dd.comparison_frame(chosen)
    st.dataframe(table, hide_index=True, width="stretch", column_config=column_config())
    score_cols = [c for c in table.columns if c.startswith("score_")]
    if score_cols:
        c1, c2 = st.columns(2)
        quality = c1.selectbox("Quality score", score_cols, key="pareto_q")
        costs = list(dd.COST_COLUMNS)
        cost_label = c2.selectbox("Cost", costs, index=costs.index(dd.DEFAULT_COST), key="pareto_c")
        cost = dd.COST_COLUMNS[cost_label]
        plot = table.dropna(subset=[quality, cost]).copy()
        if not plot.empty:
            plot["pareto"] = dd.pareto_mask(plot, quality, cost).map({True: "non-dominated", False: "dominated"})
            chart = alt.Chart(plot).mark_point(size=120, filled=True).encode(
                x=alt.X(cost, title=cost_label), y=alt.Y(quality, title=quality),
                color=alt.Color("pareto", title="Pareto", scale=alt.Scale(
                    domain=["non-dominated", "dominated"], range=["#d62728", "#9e9e9e"])),
                tooltip=["variant", quality, cost])
            st.altair_chart(chart, width="stretch")
        else:
            st.info("No variant has both figures measured.")
    samples = pd.concat([dd.samples_frame(r) for r in chosen], ignore_index=True)
    if not samples.empty and samples["latency_s"].notna().any():
        st.markdown("**Latency distribution per variant**")
        box = alt.Chart(samples.dropna(subset=["latency_s"])).mark_boxplot().encode(
            x=alt.X("variant:N"), y=alt.Y("latency_s:Q", title="latency (s)"))
        st.altair_chart(box, width="stretch")
    selector(table, chosen)


def trends_section(reports) -> None:
    suites = sorted({r.suite.name for r in reports})
    if not suites:
        st.info("No reports yet.")
        return
    c1, c2 = st.columns(2)
    suite = c1.selectbox("Suite", suites, key="trend_suite")
    metric = c2.selectbox("Metric", dd.TREND_METRICS, key="trend_metric",
                          format_func=lambda name: metrics.BY_NAME[name].label)
    df = dd.trend_frame(reports, suite, metric)
    if df.empty:
        st.info("Nothing measured for this metric yet.")
        return
    base = alt.Chart(df).encode(x=alt.X("started_at:T", title="run start"),
                                y=alt.Y("value:Q", title=metrics.BY_NAME[metric].label), color="variant:N",
                                tooltip=["run_id", "variant", "value", "alerts"])
    lines = base.mark_line(point=True)
    marks = base.transform_filter(alt.datum.alerts > 0).mark_point(shape="triangle", size=200, color="red")
    st.altair_chart(lines + marks, width="stretch")


def alerts_section(reports) -> None:
    df = dd.alerts_frame(reports)
    sev = st.multiselect("Severity", ["critical", "warning", "info"], key="alert_sev")
    if sev:
        df = df[df["severity"].isin(sev)]
    st.dataframe(df.sort_values("started_at", ascending=False), hide_index=True, width="stretch")


def samples_section(reports) -> None:
    if not reports:
        st.info("No reports yet.")
        return
    ids = [r.run_id for r in sorted(reports, key=lambda r: r.started_at, reverse=True)]
    run_id = st.selectbox("Run", ids, key="samples_run")
    report = next(r for r in reports if r.run_id == run_id)
    df = dd.samples_frame(report)
    if df.empty:
        st.info("This run has no samples.")
        return
    c1, c2, c3 = st.columns(3)
    variants = c1.multiselect("Variant", sorted(df["variant"].unique()), key="samples_variant")
    tags = sorted({t for ts in df["tags"] for t in ts.split(", ") if t})
    tag = c2.multiselect("Tag", tags, key="samples_tag")
    score_cols = [c for c in df.columns if c.startswith("score_")]
    if variants:
        df = df[df["variant"].isin(variants)]
    if tag:
        df = df[df["tags"].apply(lambda ts: any(t in ts.split(", ") for t in tag))]
    if score_cols:
        score = c3.selectbox("Score", score_cols, key="samples_score")
        lo, hi = st.slider("Score range", 0.0, 1.0, (0.0, 1.0), key="samples_range")
        keep = df[score].isna() | df[score].between(lo, hi)
        if (lo, hi) != (0.0, 1.0):
            keep = df[score].between(lo, hi)
        df = df[keep]
    st.dataframe(df, hide_index=True, width="stretch")
    st.markdown("**Side by side**")
    full = dd.samples_frame(report)
    cases = sorted(full["case"].unique())
    vids = sorted(full["variant"].unique())
    c1, c2, c3 = st.columns(3)
    case = c1.selectbox("Case", cases, key="sbs_case")
    left = c2.selectbox("Left variant", vids, index=0, key="sbs_left")
    right = c3.selectbox("Right variant", vids, index=min(1, len(vids) - 1), key="sbs_right")
    lcol, rcol = st.columns(2)
    for col, vid in ((lcol, left), (rcol, right)):
        rows = full[(full["case"] == case) & (full["variant"] == vid)]
        with col:
            st.text(vid)
            for _, row in rows.iterrows():
                st.text(row["output"] if row["output"] is not None else f"(failed) {row['error']}")


def monitor_section(root: Path) -> None:
    for series in dd.monitor_series(root):
        st.text(f"monitor {series.path.name}: {len(series.probes)} probes"
                + (" (stopped)" if series.stopped else " (running)"))
        if not series.open_alerts.empty:
            st.error(f"{len(series.open_alerts)} open alert(s)")
            st.dataframe(series.open_alerts[["severity", "rule", "target", "metric", "value", "threshold"]],
                         hide_index=True, width="stretch")
        if series.probes.empty:
            continue
        df = series.probes.copy()
        df["success_rate_rolling"] = df.groupby("target")["success"].transform(
            lambda s: s.astype(float).rolling(20, min_periods=1).mean())
        long = df.melt(id_vars=["ts", "target"], value_vars=["latency_s", "ttft_s", "success_rate_rolling"],
                       var_name="metric").dropna()
        chart = alt.Chart(long).mark_line(point=True).encode(
            x=alt.X("ts:T", title="time"), y=alt.Y("value:Q"), color="target:N",
            row=alt.Row("metric:N", title=None)).properties(height=120)
        st.altair_chart(chart)


@st.fragment(run_every=REFRESH_S)
def live_section(root: Path) -> None:
    reports, _ = load_all(root)
    runs = dd.live_runs(root, reports)
    st.caption(f"Refreshes every {REFRESH_S} s.")
    monitor_section(root)
    if not runs:
        st.info("No run in progress.")
        return
    for run in runs:
        st.text(f"{run.suite} · {run.run_id}: {run.done}/{run.planned} samples, {run.failed} failed, "
                f"last case {run.last_case}")
        st.progress(min(1.0, run.done / run.planned) if run.planned else 0.0)
        if not run.samples.empty:
            st.dataframe(run.samples, hide_index=True, width="stretch")


def main() -> None:
    st.set_page_config(page_title="evalharness", layout="wide")
    st.title("evalharness")
    root = results_dir()
    reports, problems = load_all(root)
    for problem in problems:
        st.warning(dd.plain(f"Skipped a file that is not a readable report: {problem}"), icon="⚠️")
    st.text(f"{len(reports)} runs under {root}")
    tabs = st.tabs(["Runs", "Comparison", "Trends", "Alerts", "Samples", "Live"])
    with tabs[0]:
        runs_section(reports)
    with tabs[1]:
        comparison_section(reports)
    with tabs[2]:
        trends_section(reports)
    with tabs[3]:
        alerts_section(reports)
    with tabs[4]:
        samples_section(reports)
    with tabs[5]:
        live_section(root)


main()
