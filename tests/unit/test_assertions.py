import pytest
from pydantic import ValidationError

from evalharness.scorers import SCORERS, ScoringInput
from evalharness.suite.schema import Assertion, Case


def run(output, *assertions):
    items = tuple(Assertion.model_validate(a) for a in assertions)
    return SCORERS.get("assertions").score(ScoringInput(prompt="", assertions=tuple(items)), output)


def test_each_assertion_type_and_negation():
    assert run("Paris is nice", {"type": "contains", "value": "Paris"}).value == 1.0
    assert run("paris", {"type": "contains", "value": "Paris"}).value == 0.0
    assert run("paris", {"type": "contains", "value": "Paris", "ignore_case": True}).value == 1.0
    assert run("ok", {"type": "not_contains", "value": "sorry"}).value == 1.0
    assert run(" 42 ", {"type": "equals", "value": "42"}).value == 1.0
    assert run("id: 1234", {"type": "regex", "value": r"\d{4}"}).value == 1.0
    assert run("abc", {"type": "max_chars", "value": 2}).value == 0.0
    assert run("abc", {"type": "max_chars", "value": 2, "negate": True}).value == 1.0
    assert run('{"a": 1}', {"type": "is_json"}).value == 1.0
    assert run("{a: 1}", {"type": "is_json"}).value == 0.0


def test_json_schema_and_reasons():
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    assert run('{"name": "x"}', {"type": "is_json", "schema": schema}).value == 1.0
    s = run('{"name": 3}', {"type": "is_json", "schema": schema}, {"type": "contains", "value": "zz"})
    assert s.value == 0.0 and s.label == "fail"
    assert "is JSON matching the schema (3 is not of type 'string')" in s.reason
    assert "contains 'zz'" in s.reason
    assert run("x").value is None


def test_bad_assertions_are_rejected_at_validation():
    with pytest.raises(ValidationError, match="needs a text"):
        Assertion(type="contains")
    with pytest.raises(ValidationError, match="invalid regex"):
        Assertion(type="regex", value="(")
    with pytest.raises(ValidationError, match="non-negative integer"):
        Assertion(type="max_chars", value="ten")
    case = Case.model_validate({"id": "a", "prompt": "x", "assertions": [{"type": "contains", "value": "y"}]})
    assert case.assertions[0].value == "y"
