"""Function calls judged by BFCL's rules: its schema types, acceptable-value lists, parallel and
irrelevance cases, Gemma's tool_code blocks; unreadable schemas are per-case errors."""

import pytest

from evalharness.scorers import SCORERS, ScoringInput
from evalharness.scorers.call_match import normalise
from evalharness.scorers.calls import parse_calls

TRIANGLE = {"name": "geometry.triangle_area", "description": "Area of a triangle.", "parameters": {
    "type": "dict", "required": ["base", "height"],
    "properties": {"base": {"type": "float"}, "height": {"type": "integer"}, "unit": {"type": "string"},
                   "sides": {"type": "tuple", "items": {"type": "integer"}}, "meta": {"type": "dict"},
                   "anything": {"type": "any"}}}}
TRUTH = [{"geometry.triangle_area": {"base": [10.0], "height": [5], "unit": ["units", "cm", ""]}}]


def judge(output, functions=(TRIANGLE,), expected_calls=TRUTH, **extra):
    inp = ScoringInput(prompt="", functions=tuple(functions),
                       expected_calls=tuple(expected_calls) if expected_calls is not None else None, **extra)
    return SCORERS.get("function_call").score(inp, output)


@pytest.mark.parametrize("output", [
    "```tool_code\ngeometry.triangle_area(base=10, height=5)\n```",  # Gemma; int 10 is a valid float
    '[geometry.triangle_area(base=10.0, height=5, unit="Units")]',  # BFCL's format; case ignored
    'geometry.triangle_area(base=10.0, height=5, unit="c.m")',  # BFCL normalisation drops . - _ spaces
    '{"name": "geometry.triangle_area", "arguments": {"base": 10.0, "height": 5}}',
])
def test_right_calls_in_every_format(output):
    s = judge(output)
    assert (s.value, s.label) == (1.0, "correct"), s.reason


@pytest.mark.parametrize(("output", "rule"), [
    ("geometry.triangle_area(base=10.0)", "missing_required"),
    ("geometry.triangle_area(base=10.0, height=5.0)", "type"),  # a float is no integer
    ('geometry.triangle_area(base=10.0, height="5")', "type"),
    ("geometry.triangle_area(base=12.0, height=5)", "value"),
    ('geometry.triangle_area(base=10.0, height=5, unit="inches")', "value"),
    ("geometry.triangle_area(base=10.0, height=5, colour=1)", "unexpected_argument"),
    ("triangle_area(base=10.0, height=5)", "wrong_name"),
    ("geometry.triangle_area(10.0, 5)", "unreadable_call"),
    ("[geometry.triangle_area(base=10.0, height=5), geometry.triangle_area(base=10.0, height=5)]", "wrong_count"),
    ("The area is 25.", "no_call"),
])
def test_each_failing_rule_is_named(output, rule):
    s = judge(output)
    assert (s.value, s.label) == (0.0, rule), s.reason


def test_an_argument_without_empty_string_must_be_given():
    truth = [{"geometry.triangle_area": {"base": [10.0], "height": [5], "unit": ["cm"]}}]
    assert judge("geometry.triangle_area(base=10.0, height=5)", expected_calls=truth).label == "missing_argument"


def test_lists_tuples_and_dicts_compare_structurally():
    truth = [{"geometry.triangle_area": {"base": [1.0], "height": [1], "sides": [[3, 4, 5]],
                                         "meta": [{"colour": ["Red", "crimson"], "note": ["", "x"]}]}}]
    ok = 'geometry.triangle_area(base=1.0, height=1, sides=(3, 4, 5), meta={"colour": "red"})'
    assert judge(ok, expected_calls=truth).value == 1.0
    assert judge(ok.replace("(3, 4, 5)", "(3, 5, 4)"), expected_calls=truth).label == "value"
    assert judge(ok.replace('"red"', '"blue"'), expected_calls=truth).label == "value"
    assert judge(ok.replace("(3, 4, 5)", '(3, "4", 5)'), expected_calls=truth).label == "type"


def test_parallel_calls_in_any_order_and_each_used_once():
    truth = [{"geometry.triangle_area": {"base": [1.0], "height": [2]}},
             {"geometry.triangle_area": {"base": [3.0], "height": [4]}}]
    both = "[geometry.triangle_area(base=3.0, height=4), geometry.triangle_area(base=1.0, height=2)]"
    assert judge(both, expected_calls=truth).value == 1.0
    same_twice = "[geometry.triangle_area(base=1.0, height=2), geometry.triangle_area(base=1.0, height=2)]"
    assert judge(same_twice, expected_calls=truth).label == "value"


def test_irrelevance_no_call_is_the_right_answer():
    assert judge("I cannot compute that with the tools I have.", expected_calls=[]).label == "correct"
    assert judge("geometry.triangle_area(base=1.0, height=2)", expected_calls=[]).label == "no_call_expected"


@pytest.mark.parametrize("bad", [
    [{"name": "f", "parameters": {"type": "dict", "properties": {"x": {"type": "complex128"}}}}],
    [{"parameters": {}}],
    [{"name": "f", "parameters": {"properties": ["x"]}}],
])
def test_unreadable_schemas_are_a_per_case_error(bad):
    s = judge("f(x=1)", functions=bad, expected_calls=None)
    assert s.value is None and s.label == "error" and "unreadable schema" in s.reason


def test_openai_tools_and_json_schema_types_are_understood():
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": ["string", "null"]}, "days": {"type": "number"}},
        "required": ["city"]}}}
    s = judge('get_weather(city="Oslo", days=3)', functions=(tool,), expected_calls=None)
    assert s.value == 1.0
    s = judge('get_weather(city="Oslo", days="3")', functions=(tool,), expected_calls=None)
    assert s.label == "type"


def test_python_values_are_read_not_run():
    calls = parse_calls("f(a=-1, b=[1, 2], c={'k': None}, d=os.getcwd(), e=x, g=0.15 * 240)")
    assert calls[0].arguments == {"a": -1, "b": [1, 2], "c": {"k": None}, "d": "os.getcwd()", "e": "x",
                                  "g": "0.15 * 240"}
    assert parse_calls("x" * 30000 + "(a=1)") == []


def test_bfcl_normalisation():
    assert normalise("April 1, 2024") == normalise("april 1 2024") == "april12024"
    assert normalise("it's") == 'it"s'
