"""evalharness dashboard: runs, comparison, trends, alerts, samples, load tests and live runs.

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

import pandas as pd
import streamlit as st

from evalharness import dashboard_data as dd
from evalharness import metrics
from evalharness.views import charts

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: dashboards.glance
from dashboards.glance import comparison_section, csv_button, divergence_view, export_buttons  # noqa: E402,I001

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

    def run_ids(self) -> list[str]:
        """Run ids, newest first (one list per index generation, not rebuilt per widget)."""
        return _run_ids(self.store, self.generation)

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


@st.cache_resource(show_spinner=False, max_entries=4)
def _run_ids(_store, generation: int) -> list[str]:
    return _runs(_store, generation)["run_id"].tolist()


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
    st.dataframe(df, hide_index=True, width="stretch", placeholder="—")


@st.cache_data(show_spinner=False, max_entries=16)
def trend_spec(_df: pd.DataFrame, generation: int, suite: str, metric: str) -> dict:
    return charts.trend_chart(_df, metrics.BY_NAME[metric].label)


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
    spec = trend_spec(df, idx.generation, suite, metric)
    st.vega_lite_chart(spec, width="stretch")
    export_buttons(spec, f"trend-{suite}-{metric}", "exp_trend")


def alerts_section(idx: Index) -> None:
    sev = st.multiselect("Severity", ["critical", "warning", "info"], key="alert_sev")
    df, total = _alerts(idx.store, idx.generation, tuple(sev))
    if total > len(df):
        st.caption(f"The newest {len(df):,} of {total:,} alerts.")
    st.dataframe(df, hide_index=True, width="stretch", placeholder="—")


def samples_section(idx: Index) -> None:
    ids = idx.run_ids()
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
    df = dd.measured_columns(df)
    st.dataframe(df, hide_index=True, width="stretch", placeholder="—")
    csv_button(df, f"{run_id}-samples", "samples_csv")
    divergence_view(report)


def canary_section(series: dd.MonitorSeries) -> None:
    """Canaries (`monitor --pin`): the variant each target matches now, canary alerts, and the
    last drift's differing answers beside their pins."""
    serving = series.serving()
    if serving.empty:
        return
    st.dataframe(serving, hide_index=True, width="stretch")
    for a in series.canary_alerts[-5:]:
        (st.error if a.rule == "answers-drifted" else st.info)(dd.plain(a.message))
    differing = series.differing()
    if not differing.empty:
        st.caption("the last drift: served answers beside the pinned ones")
        st.dataframe(differing, hide_index=True, width="stretch")


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
        canary_section(series)
        df = series.probes.copy()
        df["success_rate_rolling"] = df.groupby("target")["success"].transform(
            lambda s: s.astype(float).rolling(20, min_periods=1).mean())
        shown = ["latency_s", "ttft_s", "success_rate_rolling"]
        if "pinned_exact" in df and df["pinned_exact"].notna().any():
            df["pinned_exact_rolling"] = df.groupby("target")["pinned_exact"].transform(
                lambda s: s.astype(float).rolling(12, min_periods=1).mean())
            shown.append("pinned_exact_rolling")
        long = df.melt(id_vars=["ts", "target"], value_vars=shown, var_name="metric").dropna()
        spec = charts.probe_chart(long)
        st.vega_lite_chart(spec)
        export_buttons(spec, f"monitor-{series.path.stem}", f"exp_mon_{series.path.stem}")


@st.cache_data(show_spinner=False, max_entries=32)
def load_spec(key: tuple, knee: float | None, title: str, _frame: pd.DataFrame, _compare=None,
              name: str = "") -> dict | None:
    # keyed on both files' paths and mtimes (`key`); the frames are not hashed
    return charts.load_chart(_frame, knee, title, _compare, name)


def load_section(root: Path) -> None:
    """Load tests (results/load/, from `evalharness load`): stages against load, the knee."""
    tests = dd.load_tests(root)
    for t in tests:
        if t.problem:
            st.warning(dd.plain(f"Skipped a load file: {t.problem}"), icon="⚠️")
    tests = [t for t in tests if t.doc is not None]
    if not tests:
        st.info("No load tests yet: `evalharness load SUITE` or `evalharness load URL --model NAME` writes them "
                "to results/load/.")
        return
    names = {t.path.name: t for t in tests}
    chosen = names[st.selectbox("Load test", list(names), key="load_test")]
    doc = chosen.doc
    knee, saturated = doc.knee_rate, doc.saturated_at
    st.text(f"{doc.target} at {doc.base_url} · {doc.profile} · started {doc.started_at}"
            + (f" · suite {doc.suite}" if doc.suite else ""))
    if doc.profile == "sweep":
        st.text(f"knee: {'—' if knee is None else f'{knee:.3g} req/s'} (the highest rate served without "
                f"saturation); " + (f"saturated at {saturated:.3g} req/s" if saturated else "no stage saturated"))
        if doc.degraded:
            st.text(f"answers intact up to {doc.intact_up_to or '—'} req/s; {doc.degraded}")
    for a in doc.alerts:
        if a.fired:
            st.error(dd.plain(f"alert {a.rule}: {a.message}"))
    frame = dd.load_frame(doc)
    others = [n for n in names if n != chosen.path.name]
    other_name = st.selectbox("Compare with", ["—", *others], key="load_cmp") if others else "—"
    other = names.get(other_name)
    compare = (other_name, dd.load_frame(other.doc), other.doc.knee_rate) if other is not None and other.doc else None
    key = tuple((str(t.path), t.path.stat().st_mtime_ns) for t in (chosen, other) if t is not None)
    spec = load_spec(key, knee, f"{doc.target}: latency, goodput and quality against load", frame,
                     compare, chosen.path.name if compare is not None else "")
    if spec is not None:
        st.vega_lite_chart(spec)
        st.caption("Lines: open-loop stages at the rate offered. Diamonds: closed-loop stages (synchronous, "
                   "throughput) at the rate they achieved. Quality counts a request without an answer as 0."
                   + (" The compared test's lines are dashed, its knee grey." if compare is not None else ""))
        export_buttons(spec, f"load-{chosen.path.stem}", "exp_load")
    shown = frame.rename(columns={c: label for c, (_, label) in dd.LOAD_COLUMNS.items()})
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—")


def security_section(root: Path) -> None:
    """Security checks (results/security/, from `evalharness security`): findings and rates."""
    found = dd.security_runs(root)
    for run in found:
        if run.problem:
            st.warning(dd.plain(f"Skipped a security file: {run.problem}"), icon="⚠️")
    runs = {r.path.name: r.report for r in found if r.report is not None}
    if not runs:
        st.info("No security checks yet: `evalharness security SUITE` or `evalharness security URL --model NAME` "
                "writes them to results/security/.")
        return
    report = runs[st.selectbox("Security check", list(runs), key="security_run")]
    failed = [f for f in report.findings if f.status == "fail"]
    st.text(f"{report.model} at {report.target} · {report.started} · {report.duration_s:.0f} s · "
            f"{len(report.requests)} requests · {len(failed)} failed finding(s)")
    for f in failed:
        if f.severity in ("high", "critical"):
            st.error(dd.plain(f"{f.check} ({f.severity}): {f.title}"))
    st.dataframe(dd.findings_frame(report), hide_index=True, width="stretch", placeholder="—")
    rates = dd.rates_frame(report)
    if not rates.empty:
        percent = {c: st.column_config.NumberColumn(format="percent") for c in ("rate", "low", "high")}
        st.dataframe(rates, hide_index=True, width="stretch", placeholder="—", column_config=percent)
        st.caption("Rates with 95% intervals clustered by what the attempts share (a template, a behaviour, a task).")


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
            st.dataframe(run.samples, hide_index=True, width="stretch", placeholder="—")


def main() -> None:
    st.set_page_config(page_title="evalharness", layout="wide")
    st.title("evalharness")
    root = results_dir()
    idx = Index(root)
    for problem in idx.store.problems():
        st.warning(dd.plain(f"Skipped a file that is not a readable report: {problem}"), icon="⚠️")
    st.text(f"{len(idx.runs()):,} runs under {root}")
    tabs = st.tabs(["Runs", "Comparison", "Trends", "Alerts", "Samples", "Load", "Security", "Live"])
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
        load_section(root)
    with tabs[6]:
        security_section(root)
    with tabs[7]:
        live_section(root)


main()
