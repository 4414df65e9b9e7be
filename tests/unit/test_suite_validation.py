"""Golden bad suites: each yields exactly the messages in its .expected file, exit code 2."""

from pathlib import Path

import pytest

from evalharness.commands.main import main
from evalharness.suite import SuiteError, load_suite

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bad_suites"
CASES = sorted(p.name for p in GOLDEN.glob("*.yaml"))


@pytest.mark.parametrize("name", CASES)
def test_bad_suite_messages_are_exact(name, monkeypatch):
    monkeypatch.chdir(GOLDEN)
    expected = (GOLDEN / name).with_suffix(".expected").read_text().splitlines()
    with pytest.raises(SuiteError) as exc:
        load_suite(name)
    assert [str(p) for p in exc.value.problems] == expected


def test_validate_cli_exit_codes(monkeypatch, capsys):
    monkeypatch.chdir(GOLDEN)
    assert main(["validate", "unknown_names.yaml", "unknown_keys.yaml"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 8
    assert all(line.split(":")[0] in ("unknown_names.yaml", "unknown_keys.yaml") for line in err)


def test_shipped_suites_validate(monkeypatch):
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    suites = sorted(str(p) for p in (root / "suites").glob("*.yaml"))
    assert suites
    assert main(["validate", *suites]) == 0


def test_missing_file_is_a_located_error(tmp_path):
    with pytest.raises(SuiteError) as exc:
        load_suite(tmp_path / "nope.yaml")
    assert str(exc.value.problems[0]).endswith("nope.yaml:1: (file): cannot read: No such file or directory")


def test_good_suite_defaults_and_case_files(write_suite, tmp_path):
    (tmp_path / "qa.csv").write_text(
        'qid,question,answer,tags\nq1,What is 2+2?,4,math;easy\nq2,"Capital of Peru?",Lima,\n')
    (tmp_path / "more.jsonl").write_text('{"text": "Hi there", "labels": ["x"]}\n\n{"text": "Bye"}\n')
    path = write_suite("""
        name: ok-suite
        models:
          - source: tiny-random
            id: tiny-random-gemma3
        cases:
          - id: inline
            prompt: hello
        case_files:
          - path: qa.csv
            id: qid
            prompt: question
            reference: answer
            tags: tags
          - path: more.jsonl
            prompt: text
            tags: labels
            as_chat: false
            add_tags: [file]
    """)
    loaded = load_suite(path)
    s = loaded.suite
    assert s.quantizations == ("fp32",) and s.repeats == 3 and s.warmup == 1
    assert s.generation.do_sample is False and s.generation.max_new_tokens == 32
    assert [c.id for c in loaded.cases] == ["inline", "q1", "q2", "more-1", "more-2"]
    q1 = loaded.cases[1]
    assert q1.messages[0].content == "What is 2+2?" and q1.reference == "4"
    assert q1.tags == ("math", "easy")
    assert loaded.cases[3].prompt == "Hi there" and loaded.cases[3].tags == ("file", "x")
    assert len(loaded.sha256) == 64
    assert len(s.all_alert_rules()) == 6  # four defaults + token agreement + non-finite log-probs


def test_suite_objects_are_frozen(write_suite):
    loaded = load_suite(write_suite("""
        name: f
        models: [{source: tiny-random, id: tiny-random-gemma3}]
        cases: [{id: a, prompt: x}]
    """))
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        loaded.suite.repeats = 5  # type: ignore[misc]
