"""The at-a-glance views: labels, the comparison table, trade-off charts, divergence, the
selector's reasons and the one-page summary."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import pytest

from evalharness.commands.main import main
from evalharness.labels import differing_parts, variant_labels
from evalharness.reports import load_report
from evalharness.reports.schema import ModelRef
from evalharness.select import Constraints, select
from evalharness.views import charts, divergence, summary, table, why
from tests.dashboard.conftest import make_results


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    results = make_results(tmp_path_factory.mktemp("views"))
    return load_report(results / "suite-a" / "20261120-100000-0000.json")


def test_labels_keep_only_what_differs():
    ids = ["gemma3-270m/fp32/cpu", "gemma3-270m/bf16/cpu", "gemma3-270m/gguf-native/cpu"]
    assert differing_parts([i.split("/") for i in ids]) == ["fp32", "bf16", "gguf-native"]
    two_models = [["a", "bf16", "cpu"], ["b", "bf16", "cpu"], ["a", "int8", "cpu"]]
    assert differing_parts(two_models) == ["a/bf16", "b/bf16", "a/int8"]
    axes = [["m", "bf16", "cpu", "batch=1"], ["m", "bf16", "cpu", "batch=4"], ["m", "bf16", "cpu"]]
    assert differing_parts(axes) == ["batch=1", "batch=4", "m/bf16/cpu"]  # an empty label: the whole id
    assert differing_parts([["m", "bf16", "cpu"]]) == ["m/bf16/cpu"]  # alone: nothing differs
    assert variant_labels([("r1", "m/fp32/cpu"), ("r2", "m/fp32/cpu")]) == ["r1", "r2"]
    assert variant_labels([("r1", "m/fp32/cpu"), ("r1", "m/bf16/cpu")]) == ["fp32", "bf16"]


def frame_of(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"variant": [f"m/q{i}/cpu" for i in range(n)], "label": [f"q{i}" for i in range(n)],
            "run_id": ["r"] * n, "status": ["ok"] * n, "reference": [i == 0 for i in range(n)]}
    return pd.DataFrame({**base, **cols})


def test_cells_are_coloured_against_the_reference_in_the_right_direction():
    f = frame_of(**{"latency_s.p95": [1.0, 0.9, 0.97, 1.2, None]}, decode_tokens_per_s=[10.0, 12.0, 10.2, 8.0, 11.0],
                 score_factual=[0.5, 0.6, 0.52, 0.3, None], alerts=[0, 0, 1, 0, 2])
    B, W = table.BETTER, table.WORSE
    assert table.colour(f, "latency_s.p95") == ["", B, "", W, ""]  # lower is better; 3% is within the margin
    assert table.colour(f, "decode_tokens_per_s") == ["", B, "", W, B]  # higher is better
    assert table.colour(f, "score_factual") == ["", B, "", W, ""]  # absolute margin 0.05
    assert table.colour(f, "alerts") == ["", "", W, "", W]


def test_display_shows_dashes_ref_units_and_never_none(report):
    f = table.glance_frame([report])
    assert list(f["label"]) == ["fp32", "bf16"] and list(f["reference"]) == [True, False]
    shown = table.display_frame(f)
    assert list(shown.columns[:2]) == ["variant", "status"] and shown.columns[-1] == "variant id"
    assert {"decode (tok/s)", "TTFT p95 (s)", "footprint (MB)", "agreement", "KL (nats)",
            "first divergence (tokens)", "score: factual", "alerts"} <= set(shown.columns)
    assert "GPU peak (MB)" not in shown.columns and "gpu_peak_mb" in table.shown_columns(f)[1]
    assert list(shown["agreement"]) == ["ref", f"{f['token_agreement'][1]:.2f}"]
    assert list(shown["KL (nats)"]) == ["ref", "—"]  # the fake backend has no log-probs
    assert list(shown["success"]) == ["100%", "100%"]
    assert "None" not in shown.to_csv() and "nan" not in shown.to_csv()
    html = table.styled(f).to_html()
    assert "None" not in html and ">ref<" in html and table.WORSE.split(": ")[1] in html


def test_sorting_puts_the_better_end_first_and_missing_last():
    f = frame_of(**{"latency_s.p95": [1.0, None, 0.5]}, decode_tokens_per_s=[5.0, 9.0, None])
    assert list(table.sorted_by(f, "latency_s.p95")["label"]) == ["q2", "q0", "q1"]
    assert list(table.sorted_by(f, "decode_tokens_per_s")["label"]) == ["q1", "q0", "q2"]
    assert list(table.sorted_by(f, "latency_s.p95", best_first=False)["label"]) == ["q0", "q2", "q1"]


def test_tradeoff_chart_labels_points_and_draws_the_frontier():
    f = frame_of(token_agreement=[1.0, 0.9, 0.5, 0.4], **{"latency_s.p95": [4.0, 2.0, 1.0, 3.0]})
    spec = charts.tradeoff_chart(f, "token_agreement", "latency_s.p95")
    alt.LayerChart.from_dict(spec)  # a valid Vega-Lite spec (raises otherwise)
    rows = spec["data"]["values"]
    by_label = {r["label"]: r for r in rows}
    assert set(by_label) == {"q0", "q1", "q2", "q3"}
    assert {k for k, r in by_label.items() if r["pareto"] == "non-dominated"} == {"q0", "q1", "q2"}
    marks = [layer.get("mark", {}).get("type") for layer in spec["layer"]]
    assert marks[:2] == ["line", "point"]  # the frontier, then the points, then their labels
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    svg = charts.export(spec, "svg").decode()
    assert all(f">{name}<" in svg for name in ("q0", "q1", "q2", "q3"))
    assert "latency p95 (s)" in svg and "agreement" in svg
    assert charts.export(spec, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.tradeoff_chart(frame_of(token_agreement=[None], **{"latency_s.p95": [1.0]}),
                                 "token_agreement", "latency_s.p95") is None


def test_latency_chart_names_variants_by_what_differs():
    samples = pd.DataFrame({"variant": ["m/fp32/cpu", "m/fp32/cpu", "m/bf16/cpu"], "latency_s": [1.0, 1.2, None]})
    spec = charts.latency_chart(samples, {"m/fp32/cpu": "fp32", "m/bf16/cpu": "bf16"})
    alt.Chart.from_dict(spec)
    assert [r["label"] for r in spec["data"]["values"]] == ["fp32", "fp32"]  # a missing latency is left out
    assert charts.latency_chart(samples.iloc[2:], {}) is None


def test_trend_chart_marks_runs_with_alerts():
    df = pd.DataFrame({"started_at": pd.to_datetime(["2026-11-01", "2026-11-02"]), "run_id": ["a", "b"],
                       "variant": ["m/fp32/cpu"] * 2, "value": [1.0, 2.0], "alerts": [0, 3]})
    spec = charts.trend_chart(df, "latency p95 (s)")
    alt.LayerChart.from_dict(spec)
    assert [r["alerts"] for r in spec["data"]["values"]] == [0, 3]
    assert spec["layer"][1]["transform"] == [{"filter": "datum.alerts > 0"}]
    assert charts.export(spec, "svg").count(b"<path") > 0


def test_probe_chart_is_a_row_per_metric():
    long = pd.DataFrame({"ts": pd.to_datetime([1.0, 2.0], unit="s"), "target": ["srv", "srv"],
                         "metric": ["latency_s", "ttft_s"], "value": [0.5, 0.1]})
    spec = charts.probe_chart(long)
    alt.FacetChart.from_dict(spec)
    assert spec["facet"]["row"]["field"] == "metric" and len(spec["data"]["values"]) == 2


def test_load_chart_draws_each_panel_against_load_with_the_knee():
    from evalharness.dashboard_data import load_frame as frame_of_doc
    from evalharness.reports.loadtest import LoadReport

    def load_frame(doc):
        fields = {"started_at": "t", "target": "srv", "base_url": "http://srv/v1", "model": "m", "profile": "sweep"}
        return frame_of_doc(LoadReport.model_validate({**fields, **doc}))

    def stage(profile, offered, achieved, ttft95, quality):
        return {"profile": profile, "offered_rate": offered, "concurrency": 2, "achieved_rate": achieved,
                "goodput": achieved, "quality": quality, "success_rate": 1.0, "saturation": None,
                "summary": {"ttft_s": {"p50": ttft95 / 2, "p95": ttft95}, "latency_s": {"p50": 1.0, "p95": 1.2}}}

    doc = {"stages": [stage("synchronous", None, 0.8, 0.3, 0.5), stage("throughput", None, 0.7, 1.5, 0.5),
                      stage("constant", 0.9, 0.85, 0.4, 0.45), stage("constant", 1.2, 0.9, 2.0, 0.4)]}
    frame = load_frame(doc)
    # a closed-loop stage sits at its achieved rate, an open-loop one at its offered rate
    assert list(frame["load"]) == [0.8, 0.7, 0.9, 1.2] and list(frame["stage"])[1] == "throughput x2"
    spec = charts.load_chart(frame, 0.9, "srv")
    alt.FacetChart.from_dict(spec)
    rows = spec["data"]["values"]
    # a row per request figure in seconds (from metrics.py), drawn where measured
    assert {r["panel"] for r in rows} == {"latency (s)", "TTFT (s)", "requests/s", "share of requests"}
    assert [r["value"] for r in rows if r["series"] == "TTFT p95 (s)"] == [0.3, 1.5, 0.4, 2.0]
    assert not any(r["series"] == "inter-token latency p50 (s)" for r in rows)  # not measured: not drawn
    [rule] = [layer for layer in spec["spec"]["layer"] if layer["mark"]["type"] == "rule"]
    assert rule["encoding"]["x"]["datum"] == 0.9
    assert b"knee 0.9 req/s" in charts.export(spec, "svg")
    # open-loop stages joined by a line; closed-loop ones (load not chosen) as separate diamonds
    assert {r["stage"] for r in rows if r["loop"] == "closed"} == {"synchronous", "throughput x2"}
    assert [layer["mark"]["type"] for layer in charts.load_chart(frame, None, "srv")["spec"]["layer"]] == ["line",
                                                                                                      "point"]
    assert charts.load_chart(load_frame({"stages": []}), None, "srv") is None
    # a second test beside it: every row says which test, the other dashed, a knee each
    slower = load_frame({"stages": doc["stages"][:3]})
    spec = charts.load_chart(frame, 0.9, "srv", compare=("old.json", slower, 0.7), name="new.json")
    alt.FacetChart.from_dict(spec)
    assert {r["test"] for r in spec["data"]["values"]} == {"new.json", "old.json"}
    assert spec["spec"]["layer"][0]["encoding"]["strokeDash"]["field"] == "test"
    rules = [layer["encoding"]["x"]["datum"] for layer in spec["spec"]["layer"] if layer["mark"]["type"] == "rule"]
    assert rules == [0.9, 0.7]
    assert b"old.json: knee 0.7 req/s" in charts.export(spec, "svg")


def test_labels_that_would_overlap_take_the_other_side():
    # two points at nearly the same place: the lower one's label goes below it
    assert charts.label_below([1.0, 1.02, 5.0], [0.99, 0.95, 0.1], ["quanto-int8", "torchao-int8wo", "x"]) \
        == [False, True, False]
    assert charts.label_below([1.0, 5.0], [0.9, 0.1], ["a", "b"]) == [False, False]


def test_token_table_marks_the_first_divergence_and_pads_the_shorter_side():
    t = divergence.token_table([5, 6, 7, 8], [5, 6, 9, 8, 10], decode=lambda tok: f"w{tok} ")
    assert list(t["same"]) == [True, True, False, True, False]
    assert list(t["mark"]) == ["", "", divergence.MARK_FIRST, "", ""]
    assert list(t["reference"]) == ["w5·", "w6·", "w7·", "w8·", "—"]  # whitespace made visible
    assert divergence.token_table([1, 2], [1, 2])["mark"].eq("").all()  # identical: no mark
    strips, css = divergence.strips(t, per_strip=2)
    assert list(strips.index) == ["reference 0–1", "candidate 0–1", "reference 2–3", "candidate 2–3",
                                  "reference 4–4", "candidate 4–4"]
    assert list(strips.loc["candidate 2–3"]) == ["w9·", "w8·"] and list(strips.loc["reference 4–4"]) == ["—", ""]
    assert css.loc["reference 0–1"].eq("").all()  # agreeing tokens: plain
    assert "border: 2px solid" in css.at["reference 2–3", "+0"] and css.at["reference 2–3", "+1"] == ""
    assert "f8d7da" in css.at["candidate 4–4", "+0"] and "border" not in css.at["candidate 4–4", "+0"]
    html = divergence.highlighted(strips, css).to_html()
    assert html.count("border: 2px solid") == 1  # one rule, both cells of the first divergence


def test_token_text_comes_from_the_model_tokenizer_on_this_machine(tmp_path):
    from evalharness.models.tiny import byte_tokenizer

    tiny = divergence.decoder_for(ModelRef(source="tiny-random", id="tiny-random-gemma3", label="t"))
    ids = byte_tokenizer()("Paris", add_special_tokens=False)["input_ids"]
    assert "".join(tiny(i) for i in ids) == "Paris"
    byte_tokenizer().save_pretrained(tmp_path / "tok")
    local = divergence.decoder_for(ModelRef(source="hf", id=str(tmp_path / "tok"), label="t"))
    assert "".join(local(i) for i in ids) == "Paris"
    assert divergence.decoder_for(ModelRef(source="hf", id="org/not-cached-here", label="t")) is None
    assert divergence.decoder_for(ModelRef(source="no-such-source", id="x", label="t")) is None


def test_divergence_pairs_a_candidate_with_its_reference(report):
    assert divergence.reference_of(report, "alpha/bf16/cpu") == "alpha/fp32/cpu"
    assert divergence.reference_of(report, "alpha/fp32/cpu") is None
    ref, cand = divergence.pair(report, "alpha/fp32/cpu", "alpha/bf16/cpu", "paris")
    assert (ref.output, cand.output) == ("Paris is the capital .", "Paris is a capital city .")
    assert divergence.pair(report, "alpha/fp32/cpu", "alpha/bf16/cpu", "nope") is None
    scores = divergence.scores_table(ref, cand)
    assert list(scores["score"]) == ["coherence", "factual"]


def test_selector_says_why_with_numbers_and_what_the_choice_gives_up(report):
    sel = select(report, Constraints(min_agreement=0.99), "latency")
    assert sel.chosen.variant.id == "alpha/fp32/cpu" and sel.chosen.agreement == 1.0  # the reference
    frame = why.selection_frame(sel)
    rejected = frame[frame["verdict"] == "rejected"].iloc[0]
    agree = report.variants[1].fidelity.token_agreement
    assert rejected["variant"] == "alpha/bf16/cpu" and rejected["why"] == f"token agreement {agree:.2f} < 0.99"
    assert rejected["agreement"] == agree and not math.isnan(rejected["latency p95 (s)"])
    assert why.constraint_lines(Constraints(max_memory_mb=900, min_scores={"factual": 0.5})) == [
        "memory ≤ 900 MB", "factual ≥ 0.5"]
    free = select(report, Constraints(), "latency")
    lines = why.given_up(free)
    assert free.chosen.variant.id == "alpha/fp32/cpu"
    assert any(line.startswith("token agreement: 1, the best") for line in lines)
    assert list(why.selection_frame(free)["verdict"]) == ["chosen", "runner-up 1"]
    assert "latency p95" in why.selection_frame(free)["why"].iloc[1]
    # rejected rows show the figures select() judged them on: the chosen quality score, and the
    # reference's agreement with itself
    none = why.selection_frame(select(report, Constraints(max_latency_p95_s=1e-9), "latency", "factual"))
    ref_row = none[none["variant"] == "alpha/fp32/cpu"].iloc[0]
    assert list(none["verdict"]) == ["rejected", "rejected"] and ref_row["agreement"] == 1.0
    assert ref_row["quality"] == report.variants[0].scores["factual"]


def test_summary_markdown_and_html(report, tmp_path):
    md, svg = summary.write(report, tmp_path / "s.md")
    text = md.read_text()
    assert svg.name == "s.svg" and "![trade-off](s.svg)" in text and ">bf16<" in svg.read_text()
    for part in ("## Variants", "| variant | status |", "| fp32 | ok |", "## Why each variant",
                 "## Against the reference", "alpha/bf16/cpu"):
        assert part in text, part
    assert "None" not in text
    (page,) = summary.write(report, tmp_path / "s.html")
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "<svg" in html and "<table" in html and "None" not in html


def test_summary_command(report, tmp_path, capsys):
    src = tmp_path / "r.json"
    src.write_text(report.model_dump_json())
    assert main(["summary", str(src), "--out", str(tmp_path / "o.html"), "--min-agreement", "0.99"]) == 0
    assert "token agreement" in (tmp_path / "o.html").read_text()
    assert main(["summary", str(src), "--out", str(tmp_path / "o.txt")]) == 2
    assert "name a .md or .html file" in capsys.readouterr().err


def _with_tasks(report, accuracies):
    from evalharness.reports.tasks import TaskItem, TaskMetric, TaskResult
    from evalharness.tasks.stats import proportion_interval

    variants = []
    for v, acc in zip(report.variants, accuracies, strict=True):
        right = round(acc * 200)
        low, high = proportion_interval(right, 200)
        items = [TaskItem(doc_id=i, doc_hash=f"{i:016x}", values={"acc": float(i < right)}) for i in range(200)]
        metric = TaskMetric(name="acc", value=right / 200, ci_low=low, ci_high=high, interval="wilson 95%", n=200)
        perplexity = TaskMetric(name="perplexity", value=12.5, interval="not a proportion: no interval", n=200)
        task = TaskResult(task="piqa", source="piqa.yaml", num_fewshot=0, fewshot_seed=1234, docs_total=1838,
                          subset="200 of 1838", metrics=[metric, perplexity], items=items, seconds=50.0)
        variants.append(v.model_copy(update={"tasks": [task]}))
    return report.model_copy(update={"variants": variants})


def test_task_accuracy_is_a_column_with_its_interval_drawn_not_tabled(report):
    r = _with_tasks(report, [0.67, 0.60])
    f = table.glance_frame([r])
    assert list(f["task:piqa.acc"]) == [0.67, 0.60] and "task:perplexity" not in " ".join(f.columns)
    assert (f["task:piqa.acc:low"] < f["task:piqa.acc"]).all() and (f["task:piqa.acc"] < f["task:piqa.acc:high"]).all()
    shown = table.display_frame(f)
    assert list(shown["piqa acc (%)"]) == ["67.0%", "60.0%"]
    assert not any(":low" in c or ":high" in c for c in shown.columns)
    assert list(table.sorted_by(f, "task:piqa.acc")["task:piqa.acc"]) == [0.67, 0.60]  # higher first
    assert charts.quality_axes(f)[0] == "task:piqa.acc"
    spec = charts.tradeoff_chart(f, "task:piqa.acc", "latency_s.p95")
    alt.LayerChart.from_dict(spec)
    rows = {row["label"]: row for row in spec["data"]["values"]}
    assert rows["fp32"]["low"] == pytest.approx(f["task:piqa.acc:low"].iloc[0])
    assert any(layer.get("mark", {}).get("type") == "rule" and layer["encoding"]["y2"] == {"field": "high"}
               for layer in spec["layer"])
    assert "piqa acc (%)" in charts.export(spec, "svg").decode()
    assert not any(layer.get("mark", {}).get("type") == "rule"
                   for layer in charts.tradeoff_chart(f, "token_agreement", "latency_s.p95")["layer"])


def test_every_metric_marked_for_the_dashboard_is_a_column_of_the_table(report):
    """metrics.py is the list: a metric marked for the dashboard is a column of the comparison
    table (shown where any variant measured it), in reading order (speed before memory before
    fidelity)."""
    from evalharness import metrics

    f = table.glance_frame([report])
    dashboard = [m.name for m in metrics.shown_in("dashboard")]
    assert set(dashboard) <= set(f.columns)
    for name in ("cold_ttft_s", "energy_j_per_token", "identical_share", "kl_non_finite_share", "resident_mb"):
        assert name in dashboard
    cols, empty = table.shown_columns(f)
    measured = [n for n in dashboard if f[n].notna().any()]
    assert set(measured) <= set(cols) and not set(measured) & set(empty)
    kinds = [metrics.BY_NAME[c].kind for c in cols if c in metrics.BY_NAME]
    assert kinds.index("timing") < kinds.index("memory") < kinds.index("fidelity")
    shown = table.display_frame(f)
    assert list(shown["identical answers"])[0] == "ref"


def test_the_samples_table_has_every_per_sample_figure_and_drops_the_unmeasured(report):
    from evalharness import dashboard_data as dd
    from evalharness import metrics

    frame = dd.samples_frame(report)
    assert set(metrics.sample_fields()) <= set(frame.columns)
    shown = dd.measured_columns(frame)
    assert "latency_s" in shown and "gpu_peak_mb" not in shown  # a CPU run measures no GPU memory
