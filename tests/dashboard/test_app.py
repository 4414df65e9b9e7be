"""AppTest over fixture reports: every section renders, filters work, bad files warn."""

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import XSS_SCRIPT, make_results, snapshot

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


@pytest.fixture
def app(results_dir, monkeypatch):
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_every_section_renders_and_bad_files_warn(app, results_dir):
    assert [t.label for t in app.tabs] == ["Runs", "Comparison", "Trends", "Alerts", "Samples", "Load", "Security",
                                           "Live"]
    warnings = " ".join(w.value.replace("\\", "") for w in app.warning)  # Markdown escapes removed
    assert "truncated.json: not valid JSON" in warnings
    assert "foreign.json: not an evalharness report" in warnings
    runs = app.dataframe[0].value
    assert list(runs["run_id"]) == ["20261122-100000-0002", "20261121-100000-0001", "20261120-100000-0000"]
    assert set(runs["status"]) == {"complete"}
    texts = " ".join(t.value for t in app.text)
    assert "3 runs under" in texts
    assert "20261129-120000-live: 1/4 samples" in texts  # the live run, with progress


def test_runs_filter_by_suite(app):
    app.multiselect(key="runs_suites").set_value(["suite-b"]).run()
    assert list(app.dataframe[0].value["suite"]) == ["suite-b"]


def comparison_table(app):
    return next(t.value for t in app.table if "variant id" in t.value.columns)


def test_comparison_table_has_speed_memory_fidelity_and_units(app):
    table = comparison_table(app)
    # sorted by decode speed, best first; the label is what differs between the variants
    assert list(table["variant id"]) == ["alpha/fp32/cpu", "alpha/bf16/cpu"]
    assert list(table.index) == ["fp32", "bf16"]
    for col in ("decode (tok/s)", "TTFT p50 (s)", "TTFT p95 (s)", "latency p95 (s)", "footprint (MB)",
                "peak RSS (MB)", "load (s)", "agreement", "first divergence (tokens)", "success",
                "score: factual", "alerts"):
        assert col in table.columns, col
    assert "GPU peak (MB)" not in table.columns  # measured by no variant: named in a caption instead
    assert any("Not measured in these runs: GPU peak (MB)" in c.value for c in app.caption)
    assert table["decode (tok/s)"].iloc[0] > table["decode (tok/s)"].iloc[1]
    assert table["agreement"].iloc[0] == 1.0 and 0 < table["agreement"].iloc[1] < 1  # bf16 left fp32 once
    app.selectbox(key="cmp_sort").set_value("latency_s.p95").run()
    app.toggle(key="cmp_best").set_value(False).run()  # worst first: the slower bf16 leads
    assert list(comparison_table(app).index) == ["bf16", "fp32"]
    app.multiselect(key="cmp_runs").set_value(["20261122-100000-0002", "20261121-100000-0001"]).run()
    table = comparison_table(app)
    assert len(table) == 4 and "run" in table.columns
    assert set(table.index) == {"20261122-100000-0002/fp32", "20261122-100000-0002/bf16",
                                   "20261121-100000-0001/fp32", "20261121-100000-0001/bf16"}


def test_tradeoffs_selector_and_exports(app):
    assert app.selectbox(key="pareto_q").options == ["score: coherence", "score: factual", "agreement",
                                                     "first divergence (tokens)"]
    assert app.selectbox(key="pareto_c").value == "latency_s.p95"
    assert app.selectbox(key="pareto_m").value == "footprint_mb"
    texts = " ".join(t.value for t in app.text)
    assert "chosen: alpha/fp32/cpu (best latency of 2 that meet every constraint)" in texts
    assert "constraints: none; optimise latency" in texts
    app.number_input(key="sel_agree").set_value(0.99).run()
    why = next(df.value for df in app.dataframe if "verdict" in df.value.columns)
    rejected = why[why["verdict"] == "rejected"]
    assert list(rejected["variant"]) == ["alpha/bf16/cpu"]
    assert rejected["why"].iloc[0].startswith("token agreement 0.") and "< 0.99" in rejected["why"].iloc[0]
    labels = {b.label for b in app.get("download_button")}
    assert {"PNG", "SVG", "CSV", "Run summary (HTML)", "Run summary (Markdown)"} <= labels


def test_divergence_view_marks_the_first_differing_token(app):
    app.selectbox(key="div_case").set_value("paris").run()
    assert app.selectbox(key="div_cand").value == "alpha/bf16/cpu"
    assert app.selectbox(key="div_ref").value == "alpha/fp32/cpu"  # its fidelity reference
    texts = [t.value for t in app.text]
    assert "Paris is the capital ." in texts and "Paris is a capital city ." in texts
    assert "first divergence at token 2 of 5" in texts  # 5 words (the EOS is not an output token)
    tokens = next(t.value for t in app.table if "reference 0–5" in t.value.index)
    ref, cand = tokens.loc["reference 0–5"].tolist()[:6], tokens.loc["candidate 0–5"].tolist()[:6]
    assert [a == b for a, b in zip(ref, cand)] == [True, True, False, True, False, False]
    assert ref[5] == "—"  # past the reference's end
    assert ref[0].startswith("#")  # org/alpha's tokenizer is not here: ids
    assert any("tokenizer is not on this machine" in c.value for c in app.caption)
    scores = next(df.value for df in app.dataframe if list(df.value.columns) == ["score", "reference", "candidate"])
    assert set(scores["score"]) == {"coherence", "factual"}


def test_samples_filters_and_untrusted_text_is_text(app):
    samples = next(df.value for df in app.dataframe if "output" in df.value.columns)
    assert XSS_SCRIPT in " ".join(samples["output"].dropna())
    app.multiselect(key="samples_tag").set_value(["security"]).run()
    samples = next(df.value for df in app.dataframe if "output" in df.value.columns)
    assert set(samples["case"]) == {"a-xss"}
    app.multiselect(key="samples_tag").set_value([]).run()
    app.slider(key="samples_range").set_value((0.5, 1.0)).run()
    samples = next(df.value for df in app.dataframe if "output" in df.value.columns)
    assert (samples["score_factual"] >= 0.5).all() and set(samples["case"]) == {"paris"}
    app.selectbox(key="div_case").set_value("a-xss").run()
    shown = [t.value for t in app.text]
    assert any(XSS_SCRIPT in t for t in shown)  # st.text: shown literally
    assert not app.markdown or all(XSS_SCRIPT not in m.value for m in app.markdown)


def test_alerts_and_trends(app):
    alerts = next(df.value for df in app.dataframe if "threshold" in df.value.columns)
    assert (alerts["rule"] == "any-latency").sum() == 6 and (alerts["severity"] != "critical").all()
    app.multiselect(key="alert_sev").set_value(["critical"]).run()
    alerts = next(df.value for df in app.dataframe if "threshold" in df.value.columns)
    assert alerts.empty
    app.selectbox(key="trend_suite").set_value("suite-a").run()
    assert not app.exception


def test_dashboard_writes_nothing_but_its_index(tmp_path, monkeypatch):
    from tests.dashboard.conftest import make_results

    results = make_results(tmp_path)
    (results / ".index.sqlite").unlink()  # made by the runs; the dashboard makes its own
    before = snapshot(results)
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.selectbox(key="samples_run").set_value("20261120-100000-0000").run()
    after = snapshot(results)
    index = str(results / ".index.sqlite")
    assert index in after and index not in before  # the derived index of the reports, deletable
    assert {k: v for k, v in after.items() if k != index} == before  # every report untouched


def test_live_view_shows_monitor_series_and_open_alerts(tmp_path, monkeypatch):
    import json as _json

    results = tmp_path / "results"
    (results / "monitor").mkdir(parents=True)
    lines = [{"kind": "start", "ts": 1.0, "targets": ["srv"]}]
    for i in range(5):
        lines.append({"kind": "probe", "ts": 10.0 + i, "target": "srv", "success": i != 3,
                      "latency_s": 0.5 if i != 3 else None, "ttft_s": 0.1 if i != 3 else None})
    lines.append({"kind": "alert", "ts": 14.0, "event": "fired", "rule": "flaky", "target": "srv",
                  "metric": "success", "value": 0.8, "threshold": 0.95, "severity": "critical", "message": "m"})
    (results / "monitor" / "s-1.jsonl").write_text("\n".join(_json.dumps(x) for x in lines) + "\n{torn")
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    texts = " ".join(t.value for t in at.text)
    assert "monitor s-1.jsonl: 5 probes (running)" in texts
    assert any("1 open alert" in e.value for e in at.error)


def test_warnings_from_report_files_are_literal_text(app):
    crafted = [w.value for w in app.warning if "evil" in w.value]
    assert crafted and all("\\[click\\]\\(http\\:evil" in w and "!\\[x\\]" in w for w in crafted)


def test_load_tab_draws_stages_against_load_with_the_knee(tmp_path, monkeypatch):
    import json as _json

    from evalharness.commands.main import main
    from tests.fake_openai import FakeOpenAI, Script

    results = tmp_path / "results"
    with FakeOpenAI(capacity=2) as server:  # two answers at a time: the sweep saturates it
        server.default = Script(first_delay_s=0.1, chunks=["a", "b"])
        assert main(["load", server.base_url, "--model", "m", "--profile", "sweep", "--concurrency", "4",
                     "--requests", "12", "--warmup", "0", "--sweep-steps", "2", "--results-dir", str(results),
                     "--alert", "ttft_s.p95 rise > 0.01 at max"]) == 0
    [written] = (results / "load").glob("*.json")
    doc = _json.loads(written.read_text())
    (results / "load" / "broken.json").write_text("{")
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert "Load" in [t.label for t in at.tabs]
    warnings = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert "broken.json: not readable JSON" in warnings
    assert "not a readable report" not in warnings  # results/load/ is not scanned as run reports
    assert at.selectbox(key="load_test").value == written.name
    texts = " ".join(t.value for t in at.text)
    assert f"knee: {doc['knee_rate']:.3g} req/s" in texts and f"saturated at {doc['saturated_at']:.3g}" in texts
    assert any("ttft_s.p95 rise > 0.01 at max" in e.value.replace("\\", "") for e in at.error)  # the fired alert
    table = next(df.value for df in at.dataframe if "stage" in df.value.columns)
    assert list(table["stage"])[:2] == ["synchronous", "throughput x4"] and len(table) == len(doc["stages"])
    assert "goodput (req/s)" in table.columns and "TTFT p95 (s)" in table.columns
    [chart] = at.get("vega_lite_chart")
    spec = _json.loads(chart.proto.spec)
    rules = [layer for layer in spec["spec"]["layer"] if layer["mark"]["type"] == "rule"]
    assert rules[0]["encoding"]["x"]["datum"] == doc["knee_rate"]
    # another test beside it (an older copy with another knee): dashed, its knee a second rule
    older = {**doc, "knee_rate": 0.5}
    (results / "load" / "older.json").write_text(_json.dumps(older))
    os.utime(results / "load" / "older.json", (1, 1))  # older: the newest stays selected
    at.run()
    at.selectbox(key="load_cmp").set_value("older.json").run()
    assert not at.exception, at.exception
    [chart] = at.get("vega_lite_chart")
    spec = _json.loads(chart.proto.spec)
    rules = [layer["encoding"]["x"]["datum"] for layer in spec["spec"]["layer"] if layer["mark"]["type"] == "rule"]
    assert rules == [doc["knee_rate"], 0.5]
    assert any("dashed" in c.value for c in at.caption)


def test_benchmark_accuracy_is_tabled_and_the_default_quality_axis(tmp_path, monkeypatch):
    from evalharness.reports import load_report
    from tests.unit.test_views import _with_tasks

    results = make_results(tmp_path)
    path = results / "suite-b" / "20261122-100000-0002.json"  # the newest run: the one shown first
    path.write_text(_with_tasks(load_report(path), [0.67, 0.60]).model_dump_json())
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert list(comparison_table(at)["piqa acc (%)"]) == [0.67, 0.60]  # shown as 67.0%, 60.0%
    tasks = next(df.value for df in at.dataframe if "s per correct" in df.value.columns)
    assert list(tasks["task"]) == ["piqa", "piqa"] and tasks["metrics"].iloc[0].startswith("acc 67.0% [")
    assert at.selectbox(key="pareto_q").value == "task:piqa.acc"
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any('"y2"' in s and "piqa acc (%)" in s for s in specs)  # the interval drawn over each point


def test_security_tab_shows_findings_and_rates(tmp_path, monkeypatch):
    from evalharness.commands.main import main
    from tests.security_server import RealClock, ScriptedDeployment, ServedDeployment

    results = tmp_path / "results"
    with ServedDeployment(ScriptedDeployment(clock=RealClock(), gen_s=0.001)) as server:  # no keys, no limits
        assert main(["security", server.base_url, "--model", "m", "--checks", "auth,over-refusal",
                     "--safe-prompts", "5", "--quiet", "--output-dir", str(results)]) == 1
    (results / "security" / "broken.json").write_text("{")
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert "broken.json" in warnings and "not a readable report" not in warnings
    assert any("no authentication" in e.value for e in at.error)
    frames = [d.value for d in at.dataframe]
    findings = next(f for f in frames if "finding" in f.columns)
    assert set(findings["check"]) == {"auth", "over-refusal"}
    rates = next(f for f in frames if "counted" in f.columns)
    assert list(rates["counted"]) == ["over-refusal"] and list(rates["n"]) == [5]


def test_live_view_shows_the_matched_variant_and_the_drifted_answers(tmp_path, monkeypatch):
    import json as _json

    results = tmp_path / "results"
    (results / "monitor").mkdir(parents=True)
    lines = [{"kind": "start", "ts": 1.0, "targets": ["srv"], "interval_s": 10}]
    for i in range(8):
        changed = i >= 4
        lines.append({"kind": "probe", "ts": 10.0 + i, "target": "srv", "success": True, "latency_s": 0.5,
                      "ttft_s": 0.1, "case_id": f"c{i % 2}", "reference": "q4", "pinned_exact": not changed,
                      "pinned_agreement": 0.4 if changed else 1.0, "matched_variant": "q8" if changed else "q4",
                      "match_confidence": 0.97, "runner_up": "q4" if changed else "q8"})
    lines.append({"kind": "alert", "ts": 16.0, "event": "fired", "rule": "answers-drifted", "target": "srv",
                  "metric": "canary_cusum", "value": 9.9, "threshold": 9.6, "severity": "critical",
                  "message": "FIRED critical answers-drifted on srv",
                  "details": {"reference": "q4", "differing": [
                      {"case": "c0", "first_divergence": 5, "agreement": 0.4, "served": "It is five",
                       "pinned": "It is four"}]}})
    (results / "monitor" / "s-2.jsonl").write_text("\n".join(_json.dumps(x) for x in lines) + "\n")
    monkeypatch.setenv("EVALHARNESS_RESULTS_DIR", str(results))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert any("drifted on srv" in e.value for e in at.error)
    frames = [d.value for d in at.dataframe]
    serving = [f for f in frames if "matched_variant" in f.columns]
    assert serving and serving[0]["matched_variant"].tolist() == ["q8"]
    differing = [f for f in frames if "served" in f.columns]
    assert differing and differing[0]["served"].tolist() == ["It is five"]
    assert differing[0]["pinned"].tolist() == ["It is four"]
