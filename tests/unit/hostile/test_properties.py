"""Property-based checks (hypothesis, fixed budget): every reader of untrusted input either
returns or raises its own clear error. `benchmarks/fuzz.py` runs the long version."""

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalharness.endpoints.client import _content_of, _Stream, consume_events
from evalharness.reports import ReportError, load_report, read_samples_log
from evalharness.scorers import SCORERS, ScoringInput, safe_score
from evalharness.suite import SuiteError, load_suite

BUDGET = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEGACY = Path(__file__).resolve().parents[2] / "fixtures" / "legacy"
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=20)
keys = st.sampled_from(["name", "models", "cases", "case_files", "repeats", "alerts", "gate", "matrix",
                        "generation", "quantizations", "scorers", "monitor", "fidelity", "axes", "device"])


def _write(data: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="eh-prop-"))
    path = folder / name
    path.write_bytes(data)
    return path


@BUDGET
@given(st.dictionaries(keys, values, max_size=6))
def test_any_yaml_mapping_is_a_suite_or_a_suite_error(data):
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return
    try:
        load_suite(_write(text.encode("utf-8", "surrogatepass"), "s.yaml"))
    except SuiteError as exc:
        assert exc.problems


@BUDGET
@given(st.binary(max_size=400))
def test_any_bytes_are_a_suite_or_a_suite_error(data):
    try:
        load_suite(_write(data, "s.yaml"))
    except SuiteError as exc:
        assert exc.problems


@BUDGET
@given(st.text(max_size=300), st.sampled_from(["c.csv", "c.jsonl"]))
def test_any_case_file_is_cases_or_problems(body, name):
    case = _write(body.encode("utf-8", "surrogatepass"), name)
    suite = case.with_name("s.yaml")
    suite.write_text(f"name: p\nmodels: [{{source: hf, id: m}}]\ncase_files: [{{path: {name}, id: id}}]\n")
    try:
        load_suite(suite)
    except SuiteError as exc:
        assert exc.problems


def _mutated(obj, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, dict) and obj:
        key = list(obj)[head % len(obj)]
        return {**obj, key: _mutated(obj[key], rest, value)}
    if isinstance(obj, list) and obj:
        i = head % len(obj)
        return obj[:i] + [_mutated(obj[i], rest, value)] + obj[i + 1:]
    return value


REPORT = json.loads((LEGACY / "report-517a120.json").read_text())


@BUDGET
@given(st.lists(st.integers(0, 50), max_size=6), values)
def test_any_mutated_report_loads_or_is_a_report_error(path, value):
    text = json.dumps(_mutated(REPORT, path, value), default=str)
    try:
        report = load_report(_write(text.encode("utf-8", "surrogatepass"), "r.json"))
    except ReportError:
        return
    from evalharness.compare.engine import compare_reports
    from evalharness.suite.gate import GatePolicy

    compare_reports(report, report, GatePolicy(resamples=100))


LOG = (LEGACY / "report-517a120.samples.jsonl").read_bytes()


@BUDGET
@given(st.integers(0, len(LOG)), st.binary(max_size=200), st.lists(values.map(json.dumps), max_size=3))
def test_any_samples_log_is_folded(cut, junk, lines):
    data = LOG[:cut] + junk + "\n".join(lines).encode("utf-8", "surrogatepass")
    content = read_samples_log(_write(data, "l.samples.jsonl"))
    assert content.bad_lines >= 0


@BUDGET
@given(st.lists(st.one_of(values.map(lambda v: "data: " + json.dumps(v)), st.text(max_size=60)), max_size=6))
def test_any_event_stream_is_a_result(events):
    class Response:
        def iter_lines(self):
            return iter([*events, "data: [DONE]"])

    ticks = iter(range(10**6))
    stream = _Stream(start=0.0, clock=lambda: float(next(ticks)), count_tokens=None)
    kind, error = consume_events(Response().iter_lines(), stream, 1e9)
    assert (kind is None) == (error is None)
    for e in events:
        if e.startswith("data: "):
            try:
                _content_of(json.loads(e[6:]))
            except (ValueError, RecursionError):
                pass


@BUDGET
@given(st.text(max_size=400), st.sampled_from(SCORERS.names()))
def test_any_answer_gets_a_score_or_null(text, name):
    result = safe_score(name, ScoringInput(
        prompt="q", reference="Paris", functions=({"name": "f", "parameters": {"type": "object"}},),
        expected_call={"name": "f", "arguments": {}}, languages=("en",)), text)
    assert result.value is None or 0.0 <= result.value <= 1.0
