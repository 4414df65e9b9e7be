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

import pandas as pd
import streamlit as st

from evalharness import dashboard_data as dd
from evalharness import metrics
from evalharness.reports.schema import ModelRef
from evalharness.select import Constraints, select
from evalharness.views import charts, divergence, table, why

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


def show_chart(spec: dict, name: str, key: str) -> None:
    st.vega_lite_chart(spec, width="stretch")
    export_buttons(spec, name, key)


def export_buttons(chart, name: str, key: str) -> None:
    """PNG and SVG of a chart, rendered only when clicked."""
    c1, c2, _ = st.columns([1, 1, 6])
    c1.download_button("PNG", lambda: charts.export(chart, "png"), f"{name}.png", "image/png",
                       key=f"{key}_png", on_click="ignore")
    c2.download_button("SVG", lambda: charts.export(chart, "svg"), f"{name}.svg", "image/svg+xml",
                       key=f"{key}_svg", on_click="ignore")


def fit(rows: int, most: int = 30) -> int:
    """A data grid's height that shows every row (up to `most`) without scrolling."""
    return 35 * (min(rows, most) + 1) + 3


def csv_button(frame: pd.DataFrame, name: str, key: str) -> None:
    st.download_button("CSV", lambda: frame.to_csv(index=False), f"{name}.csv", "text/csv",
                       key=key, on_click="ignore")


def selector(reports) -> None:
    st.markdown("**Which variant to ship**")
    c1, c2, c3, c4 = st.columns(4)
    max_mem = c1.number_input("max memory (MB, 0 = none)", min_value=0.0, value=0.0, key="sel_mem")
    max_lat = c2.number_input("max latency p95 (s, 0 = none)", min_value=0.0, value=0.0, key="sel_lat")
    min_agree = c3.number_input("min token agreement (0 = none)", min_value=0.0, max_value=1.0, value=0.0,
                                key="sel_agree")
    objective = c4.selectbox("optimise", ["latency", "memory", "quality"], key="sel_obj")
    for r in reports[:1]:
        constraints = Constraints(max_mem or None, max_lat or None, min_agreement=min_agree or None)
        result = select(r, constraints, objective)
        st.text(f"constraints: {'; '.join(why.constraint_lines(constraints))}; optimise {objective}")
        if result.chosen is None:
            st.warning("No variant meets the constraints.")
        else:
            st.text(f"chosen: {result.chosen.variant.id} (best {objective} of "
                    f"{1 + len(result.runners_up)} that meet every constraint)")
            for line in why.given_up(result):
                st.text(f"  {line}")
        frame = why.selection_frame(result)
        formats = {"memory (MB)": "%.0f", "latency p95 (s)": "%.3f", "quality": "%.3f", "agreement": "%.2f"}
        st.dataframe(frame, hide_index=True, width="stretch", key="sel_table", placeholder="—",
                     height=fit(len(frame)),
                     column_config={k: st.column_config.NumberColumn(k, format=v) for k, v in formats.items()})
        csv_button(frame, f"{r.run_id}-selection", "sel_csv")


def tradeoffs(frame: pd.DataFrame) -> None:
    qualities = charts.quality_axes(frame)
    costs = charts.cost_axes(frame)
    if not qualities or not costs:
        st.info("No variant has a quality or fidelity figure and a cost measured.")
        return
    speed = [c for c in costs if metrics.BY_NAME[c].kind == "timing"] or costs
    memory = [c for c in costs if metrics.BY_NAME[c].kind == "memory"] or costs
    c1, c2, c3 = st.columns(3)
    quality = c1.selectbox("Quality or fidelity (up)", qualities, key="pareto_q", format_func=table.header,
                           index=qualities.index("token_agreement") if "token_agreement" in qualities else 0)
    latency = c2.selectbox("Speed cost", speed, key="pareto_c", format_func=table.header,
                           index=speed.index("latency_p95") if "latency_p95" in speed else 0)
    mem = c3.selectbox("Memory cost", memory, key="pareto_m", format_func=table.header,
                       index=memory.index("footprint_mb") if "footprint_mb" in memory else 0)
    left, right = st.columns(2)
    for col, cost in ((left, latency), (right, mem)):
        spec = charts.tradeoff_chart(frame, quality, cost)
        with col:
            if spec is None:
                st.info(f"No variant has both {table.header(quality)} and {table.header(cost)}.")
                continue
            show_chart(spec, f"tradeoff-{quality}-{cost}", f"exp_{cost}")


def comparison_section(idx: Index) -> None:
    ids = idx.run_ids()
    if not ids:
        st.info("No reports yet.")
        return
    picked = st.multiselect("Runs to compare", ids, default=ids[:1], key="cmp_runs")
    if not picked:
        st.info("Choose at least one run.")
        return
    chosen = [r for r in (idx.report(run_id) for run_id in picked) if r is not None]
    frame = table.glance_frame(chosen)
    if frame.empty:
        st.info("These runs have no variants.")
        return
    st.caption(f"Green / red: more than {table.RELATIVE_MARGIN:.0%} better / worse than the run's reference "
               f"variant (scores and success: ±{table.SCORE_MARGIN}); fidelity is against that reference; "
               "— = not measured.")
    c1, c2, _ = st.columns([2, 1, 3])
    cols, _ = table.shown_columns(frame)
    by = c1.selectbox("Sort by", cols, key="cmp_sort", format_func=table.header,
                      index=cols.index("decode_tokens_per_s") if "decode_tokens_per_s" in cols else 0)
    best_first = c2.toggle("best first", value=True, key="cmp_best")
    st.table(table.styled(table.sorted_by(frame, by, best_first)), width="stretch")
    _, empty = table.shown_columns(frame)
    if empty:
        st.caption("Not measured in these runs: " + ", ".join(table.header(c) for c in empty) + ".")
    st.download_button("CSV", lambda: table.display_frame(frame).to_csv(index=False), "comparison.csv", "text/csv",
                       key="cmp_csv", on_click="ignore")
    tradeoffs(frame)
    samples = pd.concat([dd.samples_frame(r) for r in chosen], ignore_index=True)
    labels = dict(zip(frame["variant"], frame["label"])) if len(chosen) == 1 else {}
    box = charts.latency_chart(samples, labels) if not samples.empty else None
    if box is not None:
        show_chart(box, "latency", "exp_box")
    selector(chosen)
    for r in chosen[:1]:
        c1, c2, _ = st.columns([2, 2, 4])
        c1.download_button("Run summary (HTML)", lambda r=r: run_summary(r, "html"), f"{r.run_id}-summary.html",
                           "text/html", key="sum_html", on_click="ignore")
        c2.download_button("Run summary (Markdown)", lambda r=r: run_summary(r, "md"),
                           f"{r.run_id}-summary.md", "text/markdown", key="sum_md", on_click="ignore")


def run_summary(report, fmt: str) -> str:
    from evalharness.views import summary  # imported on a click: it brings the comparison engine

    return summary.to_html(report) if fmt == "html" else summary.to_markdown(report, None)


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
    st.vega_lite_chart(trend_spec(df, idx.generation, suite, metric), width="stretch")


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
    st.dataframe(df, hide_index=True, width="stretch", placeholder="—")
    csv_button(df, f"{run_id}-samples", "samples_csv")
    divergence_view(report)


@st.cache_resource(show_spinner=False, max_entries=8)
def token_decoder(source: str, model_id: str, label: str):
    return divergence.decoder_for(ModelRef(source=source, id=model_id, label=label))


def divergence_view(report) -> None:
    """A case's answers token by token: the candidate against its reference (or any variant)."""
    st.markdown("**Where answers diverge**")
    cases = sorted({s.case_id for s in report.samples})
    vids = [v.id for v in report.variants]
    if not cases or len(vids) < 2:
        st.info("Needs a run with two variants.")
        return
    with_ref = [v for v in vids if divergence.reference_of(report, v)] or vids[1:]
    c1, c2, c3, c4 = st.columns(4)
    case = c1.selectbox("Case", cases, key="div_case")
    cand = c2.selectbox("Candidate", with_ref, key="div_cand")
    default = divergence.reference_of(report, cand) or vids[0]
    others = [v for v in vids if v != cand]
    ref = c3.selectbox("Against", others, index=others.index(default) if default in others else 0, key="div_ref")
    repeats = sorted({s.repeat for s in report.samples if s.case_id == case})
    repeat = c4.selectbox("Repeat", repeats, key="div_repeat")
    found = divergence.pair(report, ref, cand, case, repeat)
    if found is None:
        st.info("One of the two variants has no sample of this case and repeat.")
        return
    left, right = found
    lcol, rcol = st.columns(2)
    for col, vid, s, role in ((lcol, ref, left, "reference"), (rcol, cand, right, "candidate")):
        with col:
            st.text(f"{role}: {vid}")
            st.text(s.output if s.output is not None else f"(failed) {s.error}")
    st.dataframe(divergence.scores_table(left, right), hide_index=True, key="div_scores", placeholder="—")
    if left.output_ids is None or right.output_ids is None:
        st.caption("Token ids were not stored for these samples (an endpoint without them): no token view.")
        return
    model = next(v.model for v in report.variants if v.id == cand)
    decode = token_decoder(model.source, model.id, model.label)
    tokens = divergence.token_table(left.output_ids, right.output_ids, decode)
    first = tokens.index[tokens["mark"] != ""]
    st.text(f"first divergence at token {int(first[0])} of {len(left.output_ids)}" if len(first)
            else "identical token for token")
    if decode is None:
        st.caption(f"{model.id}'s tokenizer is not on this machine: tokens shown as ids.")
    st.table(divergence.highlighted(*divergence.strips(tokens)))
    csv_button(tokens, f"{report.run_id}-{case}-divergence", "div_csv")


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
        st.vega_lite_chart(charts.probe_chart(long))


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
