"""evalharness dashboard: runs, comparison, trends, alerts, samples and live runs.

Start with `evalharness dashboard [--results-dir results] [--port N]`. Reads reports only
through evalharness's report reader and its results index (reports/store.py), and writes nothing
into the results dir but that index (.index.sqlite). Prompts and outputs are untrusted text:
they are shown as text (tables, st.text), never as HTML/Markdown.
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


@st.cache_data(show_spinner=False, max_entries=64)
def cached_read(key: dd.FileKey):
    # keyed on path + mtime + size: a rewritten report is read again, an unchanged one never
    return dd.read_one(key)


@st.cache_resource(show_spinner=False)
def results_store(root: str) -> dd.ResultsStore:
    return dd.ResultsStore(Path(root))


@st.cache_resource(show_spinner=False, ttl=1.0, max_entries=4)
def listing(root: str):
    """The results folder's reports and samples logs: walked once per script run (the index and
    the live view share it), never reused for more than a second."""
    return dd.scan_results(root)


@st.cache_data(show_spinner=False, max_entries=8)
def _statuses(_store, generation: int) -> dict:
    return dd.statuses_from(_store)


class Index:
    """The results store, refreshed once per script run; tables cached per index generation."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = results_store(str(root))
        self.store.refresh(listing(str(root))[0])
        self.generation = self.store.generation()

    def runs(self) -> pd.DataFrame:
        return _runs(self.store, self.generation)

    def report(self, run_id: str):
        """One run's whole report, read from its JSON file (samples, selector)."""
        path = self.store.path_of(run_id)
        if path is None:
            return None
        try:
            st_ = os.stat(path)
        except OSError:
            return None
        return cached_read(dd.FileKey(path, st_.st_mtime_ns, st_.st_size))[0]


# the store is passed by name (`_store`: not hashed); the generation keys the cache
@st.cache_data(show_spinner=False, max_entries=8)
def _runs(_store, generation: int) -> pd.DataFrame:
    return dd.runs_from(_store)


@st.cache_data(show_spinner=False, max_entries=64)
def _comparison(_store, generation: int, run_ids: tuple[str, ...]) -> pd.DataFrame:
    return dd.comparison_from(_store, run_ids)


@st.cache_data(show_spinner=False, max_entries=64)
def _trend(_store, generation: int, suite: str, metric: str):
    return dd.trend_from(_store, suite, metric)


@st.cache_data(show_spinner=False, max_entries=16)
def _alerts(_store, generation: int, severities: tuple[str, ...]):
    return dd.alerts_from(_store, severities)


def runs_section(idx: Index) -> None:
    df = idx.runs()
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


def comparison_section(idx: Index) -> None:
    ids = list(idx.runs()["run_id"])
    if not ids:
        st.info("No reports yet.")
        return
    picked = st.multiselect("Runs to compare", ids, default=ids[:1], key="cmp_runs")
    if not picked:
        st.info("Choose at least one run.")
        return
    table = _comparison(idx.store, idx.generation, tuple(picked))
    chosen = [r for r in (idx.report(run_id) for run_id in picked) if r is not None]
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


def trends_section(idx: Index) -> None:
    suites = sorted(idx.runs()["suite"].unique())
    if not suites:
        st.info("No reports yet.")
        return
    c1, c2 = st.columns(2)
    suite = c1.selectbox("Suite", suites, key="trend_suite")
    metric = c2.selectbox("Metric", dd.TREND_METRICS, key="trend_metric",
                          format_func=lambda name: metrics.BY_NAME[name].label)
    df, total = _trend(idx.store, idx.generation, suite, metric)
    if df.empty:
        st.info("Nothing measured for this metric yet.")
        return
    if total > dd.TREND_RUNS:
        st.caption(f"The newest {dd.TREND_RUNS:,} of {total:,} runs of {suite}.")
    base = alt.Chart(df).encode(x=alt.X("started_at:T", title="run start"),
                                y=alt.Y("value:Q", title=metrics.BY_NAME[metric].label), color="variant:N",
                                tooltip=["run_id", "variant", "value", "alerts"])
    lines = base.mark_line(point=True)
    marks = base.transform_filter(alt.datum.alerts > 0).mark_point(shape="triangle", size=200, color="red")
    st.altair_chart(lines + marks, width="stretch")


def alerts_section(idx: Index) -> None:
    sev = st.multiselect("Severity", ["critical", "warning", "info"], key="alert_sev")
    df, total = _alerts(idx.store, idx.generation, tuple(sev))
    if total > len(df):
        st.caption(f"The newest {len(df):,} of {total:,} alerts.")
    st.dataframe(df, hide_index=True, width="stretch")


def samples_section(idx: Index) -> None:
    ids = list(idx.runs()["run_id"])
    if not ids:
        st.info("No reports yet.")
        return
    run_id = st.selectbox("Run", ids, key="samples_run")
    report = idx.report(run_id)
    if report is None:
        st.warning(dd.plain(f"Run {run_id}: its report can no longer be read."))
        return
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
    store = results_store(str(root))
    runs = dd.live_runs(_statuses(store, store.generation()), listing(str(root))[1])
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
    idx = Index(root)
    for problem in idx.store.problems():
        st.warning(dd.plain(f"Skipped a file that is not a readable report: {problem}"), icon="⚠️")
    st.text(f"{len(idx.runs()):,} runs under {root}")
    tabs = st.tabs(["Runs", "Comparison", "Trends", "Alerts", "Samples", "Live"])
    with tabs[0]:
        runs_section(idx)
    with tabs[1]:
        comparison_section(idx)
    with tabs[2]:
        trends_section(idx)
    with tabs[3]:
        alerts_section(idx)
    with tabs[4]:
        samples_section(idx)
    with tabs[5]:
        live_section(root)


main()
