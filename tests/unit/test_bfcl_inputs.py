"""BFCL files as case files, and `evalharness score` with functions and expected calls."""

import json
from pathlib import Path

import pandas as pd
import pytest

from evalharness.commands.main import main
from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.suite import SuiteError, load_suite
from tests.fake_openai import FakeOpenAI, Script

ROOT = Path(__file__).resolve().parents[2]
AREA = {"name": "area", "parameters": {"type": "dict", "required": ["base"],
                                      "properties": {"base": {"type": "float"}, "unit": {"type": "string"}}}}


def test_the_shipped_bfcl_suite_reads_every_category():
    loaded = load_suite(ROOT / "suites" / "bfcl.yaml")
    cases = {c.id: c for c in loaded.cases}
    assert len(cases) == 25
    simple = cases["simple_python_0"]
    assert simple.expected_calls == ({"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}},)
    assert simple.messages[0].role == "system" and '"calculate_triangle_area"' in simple.messages[0].content
    assert simple.messages[1].content.startswith("Find the area of a triangle")
    assert "simple_python" in simple.tags and cases["irrelevance_0"].expected_calls == ()
    assert len(cases["parallel_0"].expected_calls) == 2


def test_bad_bfcl_rows_are_problems_with_their_line(write_suite, tmp_path):
    (tmp_path / "q.json").write_text('{"id": "a_1", "question": [[{"role": "user", "content": "hi"}]], '
                                     '"function": [{"name": "f"}]}\nnot json\n{"id": "a_2"}\n')
    (tmp_path / "a.json").write_text('{"id": "a_1", "ground_truth": [{"f": {}}]}\n')
    path = write_suite("""
        name: b
        models: [{source: tiny-random, id: tiny-random-gemma3}]
        case_files: [{path: q.json, format: bfcl, answers: a.json}]
    """)
    with pytest.raises(SuiteError) as exc:
        load_suite(path)
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "q.json:2" in text and "invalid JSON" in text
    assert "q.json:3" in text and "needs `question`" in text


def test_score_with_functions_and_expected_columns_csv_and_jsonl(tmp_path):
    rows = pd.DataFrame({
        "prompt": ["area of base 3?", "area of base 3?", "weather?", "area?"],
        "completion": ["```tool_code\narea(base=3)\n```", "[area(base=4)]", "I have no weather tool.", "[area(3)]"],
        "functions": [json.dumps([AREA])] * 4,
        "expected": [json.dumps([{"area": {"base": [3.0], "unit": ["", "cm"]}}]),
                     json.dumps({"name": "area", "arguments": {"base": 3.0}}), "[]", "{not json"],
    })
    for suffix in (".csv", ".jsonl"):
        src = tmp_path / f"calls{suffix}"
        if suffix == ".csv":
            rows.to_csv(src, index=False)
        else:
            rows.to_json(src, orient="records", lines=True)
        out = tmp_path / f"scored{suffix}"
        assert main(["score", "--scorer", "function_call", "--input", str(src), "--functions-column", "functions",
                     "--expected-column", "expected", "--out", str(out)]) == 0
        df = pd.read_csv(out) if suffix == ".csv" else pd.read_json(out, lines=True)
        assert list(df["score_function_call_label"]) == ["correct", "value", "correct", "error"]
        assert list(df["score_function_call"].fillna(-1)) == [1.0, 0.0, 1.0, -1]


def test_a_bfcl_suite_runs_on_an_endpoint(tmp_path):
    (tmp_path / "q.json").write_text(json.dumps({"id": "simple_1", "question": [[{"role": "user", "content":
                                     "Area of a triangle of base 3?"}]], "function": [AREA]}) + "\n")
    (tmp_path / "a.json").write_text(json.dumps({"id": "simple_1", "ground_truth": [{"area": {"base": [3.0],
                                     "unit": [""]}}]}) + "\n")
    with FakeOpenAI() as server:
        server.default = Script(chunks=["[area(", "base=3)]"])
        suite = tmp_path / "bfcl.yaml"
        suite.write_text(f"""
name: bfcl-endpoint
models: [{{source: openai, id: gemma, endpoint: {{base_url: "{server.base_url}"}}}}]
warmup: 0
repeats: 1
scorers: [function_call]
case_files: [{{path: q.json, format: bfcl, answers: a.json}}]
""")
        outcome = Runner(load_suite(suite), RunOptions(output_dir=tmp_path / "results")).run()
    sample = load_report(outcome.report_path).samples[0]
    assert sample.scores["function_call"] == 1.0 and sample.score_details["function_call"].label == "correct"
    assert "You can call functions" in server.requests[0]["body"]["messages"][0]["content"]
