"""The dashboard's Comparison tab and divergence view: a run at a glance (evalharness.views),
charts and tables with their downloads, the selector's reasons. Imported by app.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from evalharness import dashboard_data as dd
from evalharness import metrics
from evalharness.reports.schema import ModelRef
from evalharness.select import Constraints, select
from evalharness.views import charts, divergence, table, tasks, why


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


def preferred(options: list[str], name: str) -> int:
    """The index of `name` among a widget's options, the first option where it is not one."""
    return options.index(name) if name in options else 0


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
    first = qualities[0] if tasks.is_task(qualities[0]) else "token_agreement"  # accuracy, where tasks ran
    quality = c1.selectbox("Quality or fidelity (up)", qualities, key="pareto_q", format_func=table.header,
                           index=preferred(qualities, first))
    latency = c2.selectbox("Speed cost", speed, key="pareto_c", format_func=table.header,
                           index=preferred(speed, "latency_s.p95"))
    mem = c3.selectbox("Memory cost", memory, key="pareto_m", format_func=table.header,
                       index=preferred(memory, "footprint_mb"))
    left, right = st.columns(2)
    for col, cost in ((left, latency), (right, mem)):
        spec = charts.tradeoff_chart(frame, quality, cost)
        with col:
            if spec is None:
                st.info(f"No variant has both {table.header(quality)} and {table.header(cost)}.")
                continue
            show_chart(spec, f"tradeoff-{quality}-{cost}", f"exp_{cost}")


def comparison_section(idx) -> None:
    """The Comparison tab over `idx`, the app's results index (run_ids(), report(run_id))."""
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
    cols, empty = table.shown_columns(frame)
    by = c1.selectbox("Sort by", cols, key="cmp_sort", format_func=table.header,
                      index=preferred(cols, "decode_tokens_per_s"))
    best_first = c2.toggle("best first", value=True, key="cmp_best")
    st.table(table.styled(table.sorted_by(frame, by, best_first)), width="stretch")
    if empty:
        st.caption("Not measured in these runs: " + ", ".join(table.header(c) for c in empty) + ".")
    st.download_button("CSV", lambda: table.display_frame(frame).to_csv(index=False), "comparison.csv", "text/csv",
                       key="cmp_csv", on_click="ignore")
    task_tables(chosen)
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


def task_tables(reports) -> None:
    """Each run's benchmark tasks: metrics with 95% intervals, items, what a correct answer costs."""
    for r in reports:
        frame = tasks.tasks_frame(r)
        if frame is None:
            continue
        st.markdown(f"**Benchmark tasks** · run {dd.plain(r.run_id)} (95% intervals; `evalharness compare` gives "
                    "paired verdicts against a margin)")
        st.dataframe(frame, hide_index=True, width="stretch", key=f"tasks_{r.run_id}", height=fit(len(frame)))
        csv_button(frame, f"{r.run_id}-tasks", f"tasks_csv_{r.run_id}")


def run_summary(report, fmt: str) -> str:
    from evalharness.views import summary  # imported on a click: it brings the comparison engine

    return summary.to_html(report) if fmt == "html" else summary.to_markdown(report, None)


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
    ref = c3.selectbox("Against", others, index=preferred(others, default), key="div_ref")
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
