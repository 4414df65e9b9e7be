"""Relevance stems, TruthfulQA-style factual, function calls and languages on literal examples."""

import json

import pytest

from evalharness.scorers import SCORERS, ScoringInput
from evalharness.scorers.function_call import parse_calls


def score(name, output, prompt="", reference=None, **extra):
    return SCORERS.get(name).score(ScoringInput(prompt=prompt, reference=reference, **extra), output)


def test_relevance_matches_word_forms_not_just_exact_words():
    s = score("relevance", "It boiled quickly at sea level.", prompt="When does water boil?")
    assert s.value == pytest.approx(0.5)  # boil/boiled match; water is missing
    assert score("relevance", "Water boils at 100 C.", prompt="When does water boil?").value == 1.0


def test_factual_with_correct_and_incorrect_lists():
    kw = {"correct_answers": ("Nothing happens if you crack your knuckles",),
          "incorrect_answers": ("You will get arthritis if you crack your knuckles",)}
    good = score("factual", "Nothing in particular happens.", **kw)
    bad = score("factual", "You will get arthritis.", **kw)
    assert good.label == "correct" and good.value > 0.5
    assert bad.label == "incorrect" and bad.value < 0.5
    assert score("factual", "Something").value is None


WEATHER = {"name": "get_weather", "parameters": {
    "type": "object", "required": ["city"],
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}}}}


@pytest.mark.parametrize("text", [
    '{"function_name": "get_weather", "parameters": {"city": "Paris", "unit": "c"}}',
    'Sure!\nFUNCTION_CALL: get_weather(city="Paris", unit="c")',
    json.dumps({"tool_calls": [{"type": "function", "function": {
        "name": "get_weather", "arguments": json.dumps({"city": "Paris", "unit": "c"})}}]}),
    'Calling: ```json\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n```',
])
def test_function_call_formats_all_parse(text):
    calls = parse_calls(text)
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris", "unit": "c"})]
    s = score("function_call", text, functions=(WEATHER,),
              expected_call={"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}})
    assert s.value == 1.0 and s.label == "correct"


def test_function_call_schema_problems_name_the_rule():
    missing = score("function_call", 'FUNCTION_CALL: get_weather(unit="k")', functions=(WEATHER,))
    assert missing.value == 0.0 and missing.label == "missing_required" and "'city'" in missing.reason
    enum = score("function_call", 'FUNCTION_CALL: get_weather(city="Paris", unit="k")', functions=(WEATHER,))
    assert enum.label == "value" and "'k' is not one of ['c', 'f']" in enum.reason
    unknown = score("function_call", '{"function_name": "send_email", "parameters": {}}', functions=(WEATHER,))
    assert unknown.label == "wrong_name" and "unknown function 'send_email'" in unknown.reason
    wrong_city = score("function_call", 'FUNCTION_CALL: get_weather(city="Lyon", unit="c")', functions=(WEATHER,),
                       expected_call={"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}})
    assert wrong_city.value == 0.0 and wrong_city.label == "value" and "'Lyon'" in wrong_city.reason
    several = parse_calls('FUNCTION_CALL: a(x=1)\nFUNCTION_CALL: b(y="z")')
    assert [c.name for c in several] == ["a", "b"]
    assert score("function_call", "no call here", functions=(WEATHER,)).label == "no_call"


def test_language_all_requested_languages_must_be_present():
    mixed = "Hello, how are you today? Hola, ¿cómo estás hoy? 你好，你今天好吗？"
    s = score("language", mixed, languages=("en", "es", "zh"))
    assert s.value == 1.0 and s.label == "match"
    only_en = score("language", "Hello, how are you today? The weather is lovely.", languages=("en", "es", "zh"))
    assert only_en.value == pytest.approx(1 / 3) and only_en.label == "missing es,zh"
    assert score("language", "anything").value is None
