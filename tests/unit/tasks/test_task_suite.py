"""A suite's `tasks:`: built-in names checked with a suggestion, YAML paths resolved inside the
suite's folder, and a suite of tasks alone is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.suite.loader import SuiteError, load_suite

HEAD = """
name: t
models:
  - source: tiny-random
    id: tiny-random-gemma3
quantizations: [fp32]
"""


def test_a_suite_of_tasks_alone_loads(write_suite):
    loaded = load_suite(write_suite(HEAD + "tasks:\n  - task: piqa\n    limit: 10\n"))
    assert loaded.cases == () and loaded.suite.tasks[0].task == "piqa" and loaded.suite.tasks[0].limit == 10


def test_an_unknown_builtin_task_is_named_with_a_suggestion(write_suite):
    with pytest.raises(SuiteError) as err:
        load_suite(write_suite(HEAD + "tasks:\n  - task: piqq\n"))
    text = str(err.value)
    assert "tasks[0].task" in text and "Did you mean: piqa" in text and ":7:" in text


def test_task_and_path_together_are_refused(write_suite):
    with pytest.raises(SuiteError) as err:
        load_suite(write_suite(HEAD + "tasks:\n  - task: piqa\n    path: x.yaml\n"))
    assert "either `task`" in str(err.value)


def test_a_task_yaml_is_resolved_beside_the_suite(write_suite, tmp_path: Path):
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "mine.yaml").write_text("task: mine\n")
    loaded = load_suite(write_suite(HEAD + "tasks:\n  - path: tasks/mine.yaml\n"))
    assert loaded.suite.tasks[0].path == str((tmp_path / "tasks" / "mine.yaml").resolve())


@pytest.mark.parametrize("path, words", [("missing.yaml", "is not a file"), ("../outside.yaml", "leaves the suite")])
def test_a_task_yaml_that_is_missing_or_outside_is_refused(write_suite, tmp_path: Path, path, words):
    (tmp_path.parent / "outside.yaml").write_text("task: x\n")
    with pytest.raises(SuiteError) as err:
        load_suite(write_suite(HEAD + f"tasks:\n  - path: {path}\n"))
    assert words in str(err.value) and "tasks[0].path" in str(err.value)


def test_no_cases_and_no_tasks_is_still_an_error(write_suite):
    with pytest.raises(SuiteError) as err:
        load_suite(write_suite(HEAD))
    assert "no cases" in str(err.value)


def test_limit_caps_every_task_and_contradicts_full_tasks(write_suite, capsys):
    from evalharness.commands.main import main

    suite = write_suite(HEAD + "tasks:\n  - {task: piqa, limit: 200}\n  - {task: arc_easy}\n")
    assert main(["plan", str(suite), "--limit", "7"]) == 0
    out = capsys.readouterr().out
    assert "7/1838" in out and "7/2376" in out and "200/" not in out
    assert main(["plan", str(suite)]) == 0 and "200/1838" in capsys.readouterr().out
    assert main(["plan", str(suite), "--limit", "7", "--full-tasks"]) == 2
    assert "contradict" in capsys.readouterr().err
    assert main(["run", str(suite), "--limit", "0"]) == 2
    assert "--limit must be at least 1" in capsys.readouterr().err
