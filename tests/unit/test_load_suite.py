"""`evalharness load SUITE`: a suite's endpoint models under load, its cases as the requests,
every answer scored with its scorers, and alert rules over the stages."""

from __future__ import annotations

import json

import pytest

from evalharness.commands.main import main
from evalharness.loadtest.alerts import evaluate, parse_rule
from evalharness.reports.loadtest import StageRecord
from tests.fake_openai import FakeOpenAI, Script

SUITE = """
name: load-suite
models:
  - {{source: tiny-random, id: tiny-random-gemma3}}
  - {{source: openai, id: served-gemma, name: srv, endpoint: {{base_url: "{url}", timeouts: {{total_s: 5}}}}}}
quantizations: [fp32]
device: cpu
generation: {{max_new_tokens: 12}}
scorers: []
cases:
  - id: capital
    prompt: "What is the capital of France?"
    generation: {{max_new_tokens: 5}}
    assertions: [{{type: contains, value: Paris}}]
  - id: sum
    prompt: "What is 2 + 2?"
    assertions: [{{type: contains, value: "4"}}]
"""


def degrading(body: dict, busy: int) -> Script:
    """Right answers one at a time; with another request in flight, an answer cut short."""
    question = body["messages"][-1]["content"]
    right = ["Paris", " is", " the", " capital", "."] if "France" in question else ["2 + 2", " is", " 4", "."]
    return Script(first_delay_s=0.03, gap_s=0.005, chunks=right if busy == 1 else right[:1])


def test_a_suite_load_scores_every_answer_and_fires_the_quality_alert(write_suite, tmp_path, capsys):
    with FakeOpenAI(responder=degrading) as server:
        path = write_suite(SUITE.format(url=server.base_url))
        code = main(["load", str(path), "--profile", "sweep", "--concurrency", "4", "--requests", "8",
                     "--warmup", "0", "--sweep-steps", "1", "--results-dir", str(tmp_path / "results"),
                     "--alert", "quality drop > 0.05 at max", "--alert", "success_rate < 1",
                     "--alert", "goodput < 1 at 1000", "--fail-on-alert"])
        bodies = [r["body"] for r in server.requests]
    assert code == 1, capsys.readouterr()
    [written] = (tmp_path / "results" / "load").glob("*-srv.json")
    doc = json.loads(written.read_text())
    assert doc["kind"] == "evalharness-load" and doc["suite"] == str(path) and doc["target"] == "srv"
    # the cases are the load, each with its own generation settings
    assert {b["messages"][0]["content"] for b in bodies} == {"What is the capital of France?", "What is 2 + 2?"}
    assert {b["max_tokens"] for b in bodies} == {5, 12} and all(b["temperature"] == 0.0 for b in bodies)
    sync, peak = doc["stages"][0], doc["stages"][1]
    assert sync["profile"] == "synchronous" and peak["profile"] == "throughput"
    assert [r["case_id"] for r in sync["requests"][:4]] == ["capital", "sum", "capital", "sum"]
    assert sync["quality"] == 1.0 and sync["scores"] == {"assertions": 1.0}
    assert all(r["scores"] == {"assertions": 1.0} for r in sync["requests"])
    # four in flight: answers cut to their first chunk; "Paris" still passes, "2 + 2" does not
    assert peak["quality"] < 0.95 and peak["vs_synchronous"]["shorter_rate"] > 0
    fired = {a["rule"]: a for a in doc["alerts"] if a["fired"]}
    assert "quality drop > 0.05 at max" in fired
    assert "success_rate < 1" not in fired  # every request answered: the drop is in quality alone
    unmatched = next(a for a in doc["alerts"] if a["rule"] == "goodput < 1 at 1000")
    assert unmatched["fired"] is None and "no stage matches" in unmatched["message"]


def test_a_suite_without_endpoint_models_or_the_wrong_name_is_refused(write_suite, tmp_path, capsys):
    path = write_suite(SUITE.format(url="http://127.0.0.1:9/v1"))
    assert main(["load", str(path), "--model", "nope", "--requests", "1"]) == 2
    assert "no endpoint model named 'nope' (it has: srv)" in capsys.readouterr().err
    local = write_suite("name: local\nmodels: [{source: tiny-random, id: tiny-random-gemma3}]\n"
                        "cases: [{id: a, prompt: hi}]\n")
    assert main(["load", str(local), "--requests", "1"]) == 2
    assert "no endpoint models to load" in capsys.readouterr().err
    assert main(["load", str(tmp_path / "missing.yaml"), "--requests", "1"]) == 2
    assert "neither a server URL" in capsys.readouterr().err
    assert main(["load", "http://127.0.0.1:9/v1", "--requests", "1"]) == 2
    assert "give --model" in capsys.readouterr().err


def stage(profile, rate=None, concurrency=None, achieved=1.0, quality=None, goodput=None, ttft_p95=None):
    summary = {f: {s: None for s in ("p50", "p90", "p95", "p99", "mean")}
               for f in ("ttft_s", "inter_token_latency_s", "latency_s", "output_tokens")}
    summary["ttft_s"]["p95"] = ttft_p95
    return StageRecord.model_validate({"profile": profile, "offered_rate": rate, "concurrency": concurrency,
                                       "achieved_rate": achieved, "quality": quality, "goodput": goodput,
                                       "summary": summary})


STAGES = [stage("synchronous", concurrency=1, quality=0.9, goodput=1.0, ttft_p95=0.2),
          stage("throughput", concurrency=4, achieved=3.0, quality=0.85, goodput=2.5, ttft_p95=0.9),
          stage("constant", rate=2.0, achieved=2.0, quality=0.88, goodput=1.9, ttft_p95=0.5),
          stage("constant", rate=4.0, achieved=3.1, quality=0.7, goodput=1.5, ttft_p95=2.0)]


def fired(rule: str) -> list[tuple[str, bool | None]]:
    return [(a.stage, a.fired) for a in evaluate([parse_rule(rule)], STAGES)]


def test_alert_rules_pick_their_stages_and_compare_with_synchronous():
    # the highest load is the 4 req/s stage (offered), above the closed-loop stage's 3 req/s achieved
    assert fired("quality drop > 0.05 at max") == [("constant 4/s", True)]
    assert fired("quality drop > 0.25 at max") == [("constant 4/s", False)]  # 0.2 drop
    assert fired("goodput < 2 at 4") == [("constant 4/s", True)]
    assert fired("goodput < 2 at 4.3") == [("constant 4/s", True)]  # within 10%
    assert fired("goodput < 2 at 3") == [(None, None)]  # no stage offered 3 req/s
    assert fired("ttft_s.p95 > 1") == [("throughput x4", False), ("constant 2/s", False), ("constant 4/s", True)]
    assert fired("ttft_s.p95 rise >= 0.7 at x4") == [("throughput x4", True)]
    [record] = evaluate([parse_rule("quality drop > 0.05 at max")], STAGES[1:])  # no synchronous stage
    assert record.fired is None and "needs a synchronous stage" in record.message
    [record] = evaluate([parse_rule("empty_rate > 0")], STAGES[:2])
    assert record.fired is None and "not measured" in record.message


@pytest.mark.parametrize("text,message", [
    ("quality drops > 0.05", "write METRIC"),
    ("latency > 1", "unknown metric 'latency'"),
    ("ttft_s.p42 > 1", "unknown metric"),
    ("scores.nonesuch < 0.5", "nonesuch"),
    ("goodput < 2 at 0", "not each, max, xN"),
    ("changed_rate drop > 0.1", "already a comparison"),
])
def test_bad_alert_rules_are_refused_with_the_grammar(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rule(text)


LOAD_SECTION = """load:
  profile: concurrent
  concurrency: 2
  requests: 4
  warmup: 0
  slos: {ttft_p95_s: 5}
  alerts: ["success_rate < 1"]
"""


def test_a_suites_load_section_sets_the_test_and_the_command_line_overrides_it(write_suite, tmp_path):
    with FakeOpenAI() as server:
        server.default = Script(first_delay_s=0.01, chunks=["Paris", " 4"])
        path = write_suite(SUITE.format(url=server.base_url) + LOAD_SECTION)
        assert main(["load", str(path), "--json", str(tmp_path / "a.json")]) == 0
        assert main(["load", str(path), "--requests", "2", "--slo", "latency_s=9", "--alert", "goodput < 1e6",
                     "--json", str(tmp_path / "b.json")]) == 0
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    [stage] = a["stages"]
    assert stage["profile"] == "concurrent" and stage["concurrency"] == 2 and len(stage["requests"]) == 4
    assert a["slos"] == {"ttft_s": 5.0} and [x["rule"] for x in a["alerts"]] == ["success_rate < 1"]
    assert len(b["stages"][0]["requests"]) == 2  # the command line wins
    assert b["slos"] == {"ttft_s": 5.0, "latency_s": 9.0}  # and adds to the suite's SLOs and rules
    # the suite wrote the former name ttft_p95_s: read as the request figure it always bounded
    assert [x["rule"] for x in b["alerts"]] == ["success_rate < 1", "goodput < 1e6"] and b["alerts"][1]["fired"]


@pytest.mark.parametrize("section,message", [
    ("load: {alerts: ['quality falls > 1']}", "write METRIC"),
    ("load: {slos: {ttft_p50_s: 1}}", "unknown SLO 'ttft_p50_s'"),
    ("load: {profile: poisson}", "needs `rate`"),
])
def test_a_bad_load_section_is_a_suite_error_with_its_line(write_suite, section, message, capsys):
    path = write_suite(SUITE.format(url="http://127.0.0.1:9/v1") + section + "\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr()
    text = err.out + err.err
    line = path.read_text().splitlines().index(section) + 1
    assert message in text and f"suite.yaml:{line}: load" in text, text  # the `load:` line of the suite
