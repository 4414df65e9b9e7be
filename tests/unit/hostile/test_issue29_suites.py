"""Suites that hung, escaped their folder, carried control characters, tracebacked or disarmed a
bound on 4401442 (issue 29): each is now a FILE:LINE problem."""

import os
import time

import pytest

from evalharness.commands.main import main
from evalharness.suite import SuiteError, load_suite

HEAD = "name: s\nmodels: [{source: hf, id: org/m}]\n"
CASES = "cases: [{id: a, prompt: hi}]\n"


def problems(path, **kw):
    with pytest.raises(SuiteError) as exc:
        load_suite(path, **kw)
    return [str(p) for p in exc.value.problems]


def laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_aliases_of_aliases_are_refused_quickly(write_suite):
    text = HEAD + CASES + "x:\n" + "".join("  " + line + "\n" for line in laughs(9).splitlines())
    assert len(text.encode()) < 1000  # 9**9 = 387 million strings once expanded
    path = write_suite(text)
    started = time.monotonic()
    found = problems(path)
    assert time.monotonic() - started < 5
    assert any("aliases expand to more than" in p for p in found), found
    assert main(["validate", str(path)]) == 2


def test_a_few_aliases_are_fine(write_suite):
    text = HEAD + "generation: &g {max_new_tokens: 4}\ncases: [{id: a, prompt: hi, generation: *g}]\n"
    assert load_suite(write_suite(text)).cases[0].generation.max_new_tokens == 4


def test_a_recursive_alias_is_a_problem(write_suite):
    found = problems(write_suite(HEAD + CASES + "description: &d [*d]\n"))
    assert any("(yaml)" in p for p in found), found


def test_the_judge_cache_stays_in_the_suite_folder(tmp_path):
    suite_dir = tmp_path / "suites"
    suite_dir.mkdir()
    judge = "judge: {model: {source: hf, id: org/j}, cache: ../elsewhere/verdicts.jsonl}\n"
    path = suite_dir / "s.yaml"
    path.write_text(HEAD + CASES + judge)
    found = problems(path)
    assert any("judge.cache" in p and "leaves the suite's folder" in p for p in found), found
    assert not (tmp_path / "elsewhere").exists()
    assert load_suite(path, case_files_anywhere=True).suite.judge.cache == "../elsewhere/verdicts.jsonl"


@pytest.mark.parametrize("field", ["image", "case_file", "adapter"])
def test_a_symlink_loop_is_a_problem_not_a_traceback(tmp_path, field):
    os.symlink("loop", tmp_path / "loop")
    if field == "image":
        text = HEAD + "cases: [{id: a, messages: [{role: user, content: [{type: image, image: loop}]}]}]\n"
    elif field == "case_file":
        text = HEAD + "case_files: [{path: loop}]\n"
    else:
        text = "name: s\nmodels: [{source: hf, id: org/m, adapter: loop}]\n" + CASES
    (tmp_path / "s.yaml").write_text(text)
    found = problems(tmp_path / "s.yaml")
    assert any("cannot be resolved" in p for p in found), found
    assert any("cannot be resolved" in p for p in problems(tmp_path / "s.yaml", case_files_anywhere=True))


@pytest.mark.parametrize("where", [
    'models: [{source: hf, id: "org/m\\0x"}]', 'models: [{source: hf, id: org/m, name: "a\\e]0;owned\\a"}]',
    'models: [{source: hf, id: "org/m\\u202egnp"}]'])
def test_control_characters_in_identifiers_are_refused(write_suite, where):
    found = problems(write_suite("name: s\n" + where + "\n" + CASES))
    assert any("identifiers are printable text" in p for p in found), found


def test_control_characters_in_case_ids_and_tags_are_refused(write_suite):
    found = problems(write_suite(HEAD + 'cases: [{id: "a\\x1b[2J", prompt: hi}, {id: b, prompt: hi, '
                                       'tags: ["t\\0"]}]\n'))
    assert sum("identifiers are printable text" in p for p in found) == 2, found


def test_a_case_file_row_with_a_control_character_names_its_line(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"id": "ok", "prompt": "hi"}\n{"id": "x\\u0007", "prompt": "hi"}\n')
    (tmp_path / "s.yaml").write_text(HEAD + "case_files: [{path: c.jsonl, id: id}]\n")
    found = problems(tmp_path / "s.yaml")
    assert len(found) == 1 and "c.jsonl:2:" in found[0] and "printable" in found[0], found


@pytest.mark.parametrize("snippet", [
    "alerts: [{name: a, metric: latency_s, op: '>', threshold: .nan}]",
    "gate: {timing_tolerance: .inf}",
    "gate: {score_tolerance: .inf}",
    "models: [{source: openai, id: m, endpoint: {base_url: 'http://127.0.0.1:1/v1', timeouts: {total_s: .inf}}}]",
    "monitor: {interval_s: .inf}",
    "load: {profile: constant, rate: .inf, requests: 3}",
    "load: {profile: synchronous, requests: 3, slos: {ttft_s: .nan}}",
    "variant_timeout_s: .inf",
    "generation: {temperature: .nan}",
])
def test_numbers_that_bound_behaviour_are_finite(write_suite, snippet):
    text = ("name: s\n" + snippet + "\n" + CASES) if snippet.startswith("models") else (HEAD + snippet + "\n" + CASES)
    found = problems(write_suite(text))
    assert any("finite" in p for p in found), found


def test_a_content_part_whose_type_is_a_mapping_is_a_problem(write_suite):
    found = problems(write_suite(HEAD + "cases: [{id: a, messages: [{role: user, content: [{type: {a: 1}, "
                                        "text: hi}]}]}]\n"))
    assert any("content[0]: a part is" in p for p in found), found


def test_a_huge_integer_in_a_jsonl_case_file_or_bfcl_answers_names_its_line(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"id": "a", "prompt": "x", "n": ' + "9" * 5000 + "}\n")
    (tmp_path / "q.json").write_text('{"id": "q1", "question": [[{"role": "user", "content": "hi"}]], '
                                     '"function": [{"name": "f", "parameters": {"type": "dict", "properties": {}}}]}\n')
    (tmp_path / "a.json").write_text('{"id": "q1", "ground_truth": [{"f": {"x": [' + "9" * 5000 + "]}}]}\n")
    (tmp_path / "s.yaml").write_text(HEAD + "case_files: [{path: c.jsonl}, {path: q.json, format: bfcl, "
                                            "answers: a.json}]\n")
    found = problems(tmp_path / "s.yaml")
    assert any("c.jsonl:1:" in p and "4,300 digits" in p for p in found), found
    assert any("a.json:1:" in p and "4,300 digits" in p for p in found), found


@pytest.mark.parametrize("argv", [
    ["probe", "http://127.0.0.1:9/v1", "--model", "m", "--timeout", "inf"],
    ["load", "http://127.0.0.1:9/v1", "--model", "m", "--rate", "nan"],
    ["load", "http://127.0.0.1:9/v1", "--model", "m", "--duration", "inf"],
    ["compare", "a.json", "b.json", "--tolerance", "inf"],
    ["run", "--variant-timeout", "nan"],
])
def test_command_line_numbers_are_finite(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "is not a finite number" in capsys.readouterr().err


@pytest.mark.parametrize("rule", ["quality < 1e999", "goodput < 2 at inf", "success_rate < nan"])
def test_load_alert_rules_are_finite(rule):
    from evalharness.loadtest_rules import parse_rule

    with pytest.raises(ValueError):
        parse_rule(rule)
