"""A hostile answer never ends a run: a scorer that raises records null with the reason, and
text that cannot be encoded is stored escaped (issue: hostile input)."""

import json

from evalharness.reports import load_report, read_samples_log
from evalharness.runner import Runner, RunOptions
from evalharness.scorers import ScoringInput, safe_score
from evalharness.suite import load_suite
from tests.fakes import FakeBackend

SUITE = """
name: hostile
models: [{source: hf, id: org/m, name: m}]
quantizations: [fp32]
device: cpu
generation: {max_new_tokens: 4}
warmup: 0
repeats: 1
fidelity: {enabled: false}
scorers: [coherence, language, function_call]
cases:
  - id: brackets
    prompt: "json please"
    assertions: [{type: is_json}]
  - id: digits
    prompt: "a big number"
    functions: [{name: f, parameters: {type: object, properties: {x: {type: integer}}}}]
    expected_call: {name: f, arguments: {x: 1}}
  - id: surrogate
    prompt: "odd text"
    languages: [en]
"""

ANSWERS = {"brackets": "[" * 1000, "digits": "f(x=" + "9" * 5000 + ")", "surrogate": "hello \ud800 world"}


def test_hostile_answers_finish_the_run_with_null_scores(write_suite, tmp_path):
    loaded = load_suite(write_suite(SUITE))
    outcome = Runner(loaded, RunOptions(output_dir=tmp_path / "r", isolation="none"),
                     factory=lambda plan: FakeBackend(answers=ANSWERS)).run(run_id="h1")
    report = load_report(outcome.report_path)
    assert report.status == "complete"
    by_case = {s.case_id: s for s in report.samples}
    assert all(s.success for s in by_case.values())
    # what a scorer could not judge is null, with the reason, never a crash
    for s in by_case.values():
        for name, value in s.scores.items():
            detail = s.score_details[name]
            assert value is None or 0.0 <= value <= 1.0
            if detail.label == "error":
                assert value is None and detail.reason.startswith("scorer failed:")
    # the lone surrogate is stored escaped, and the samples log is valid UTF-8 JSON throughout
    assert "\\ud800" in by_case["surrogate"].output
    for line in outcome.samples_path.read_text(encoding="utf-8").splitlines():
        json.loads(line)
    assert read_samples_log(outcome.samples_path).bad_lines == 0


def test_safe_score_turns_an_exception_into_null():
    from evalharness.scorers.base import SCORERS, Scorer

    class Boom(Scorer):
        name = "boom-test"

        def score(self, inp, output):
            raise RecursionError("maximum recursion depth exceeded")

    SCORERS.add("boom-test", Boom())
    try:
        result = safe_score("boom-test", ScoringInput(prompt="p"), "x")
    finally:
        SCORERS._items.pop("boom-test")
    assert result.value is None and result.label == "error"
    assert result.reason == "scorer failed: RecursionError: maximum recursion depth exceeded"
