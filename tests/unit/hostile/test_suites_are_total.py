"""Any suite file, however odd, is a list of `FILE:LINE: path: message` problems, never a
traceback, a hang or unbounded memory (issue: hostile input)."""

import os

import pytest

from evalharness.commands.main import main
from evalharness.suite import SuiteError, load_suite

HEAD = """name: s
models: [{source: hf, id: org/m}]
"""


def problems(path):
    with pytest.raises(SuiteError) as exc:
        load_suite(path)
    return [str(p) for p in exc.value.problems]


def test_a_date_like_description_is_text(write_suite):
    loaded = load_suite(write_suite(HEAD + "description: 2024-02-30\ncases: [{id: a, prompt: hi}]\n"))
    assert loaded.suite.description == "2024-02-30"


@pytest.mark.parametrize("text, expected", [
    ("name: !!int x\nmodels: [{source: hf, id: m}]\n", "invalid YAML"),
    ("name: !!binary '%%%'\nmodels: [{source: hf, id: m}]\n", ": name"),
    (HEAD + "name: t\ncases: [{id: a, prompt: hi}]\n", "key 'name' is given twice (first on line 1)"),
    (HEAD + "x: " + "[" * 5000 + "]" * 5000 + "\n", "invalid YAML"),
    (HEAD + "description: " + "[" * 100 + "]" * 100 + "\n", "nested deeper than 64 levels"),
    (HEAD + "cases: [{id: a, prompt: hi, prompt: ho}]\n", "is given twice"),
])
def test_odd_yaml_is_a_problem(write_suite, capsys, text, expected):
    path = write_suite(text)
    assert any(expected in p for p in problems(path))
    assert main(["validate", str(path)]) == 2


def test_a_duplicate_key_names_its_line(write_suite):
    found = problems(write_suite(HEAD + "repeats: 2\nrepeats: 3\ncases: [{id: a, prompt: hi}]\n"))
    expected = "(yaml): invalid YAML: key 'repeats' is given twice (first on line 3)"
    assert found == [f"{found[0].split(':')[0]}:4: {expected}"]


@pytest.mark.parametrize("case_path, expected", [
    ("/etc/hostname", "is absolute"),
    ("../outside.csv", "leaves the suite's folder"),
    ("sub/../../outside.csv", "leaves the suite's folder"),
    ("zero.csv", "leaves the suite's folder"),  # a link to /dev/zero
    ("fifo.csv", "not a regular file"),
    ("latin1.csv", "not UTF-8"),
    ("missing.csv", "No such file or directory"),
    ("\x00", "NUL character"),
])
def test_case_files_are_confined_and_bounded(tmp_path, write_suite, case_path, expected):
    (tmp_path / "outside.csv").write_text("prompt\nhi\n")
    suite_dir = tmp_path / "suites"
    suite_dir.mkdir()
    os.symlink("/dev/zero", suite_dir / "zero.csv")
    os.mkfifo(suite_dir / "fifo.csv")
    (suite_dir / "latin1.csv").write_bytes("prompt\ncaf\xe9\n".encode("latin-1"))
    path = suite_dir / "s.yaml"
    scalar = '"a\\0b.csv"' if case_path == "\x00" else repr(case_path)  # YAML's \0 is a NUL
    path.write_text(HEAD + f"case_files: [{{path: {scalar}}}]\n")
    found = problems(path)
    assert any(expected in p for p in found), found
    assert not any("prompt" in p and "hi" in p for p in found)  # the file's content is not echoed


def test_a_stray_comma_is_a_row_problem(tmp_path):
    (tmp_path / "c.csv").write_text("prompt,id\nhello,a\nhello, world,b\n")
    (tmp_path / "s.yaml").write_text(HEAD + "case_files: [{path: c.csv, id: id}]\n")
    found = problems(tmp_path / "s.yaml")
    assert len(found) == 1 and found[0].endswith(":3: case_files[0]: this row has a different number of fields "
                                                 "than the header")


def test_a_fifo_or_a_huge_file_as_suite(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    assert "not a regular file" in problems(tmp_path / "pipe.yaml")[0]
    (tmp_path / "big.yaml").write_text(HEAD + "description: '" + "x" * (2 << 20) + "'\n")
    assert "larger than 1 MiB" in problems(tmp_path / "big.yaml")[0]
    assert "not a regular file" in problems(tmp_path)[0]


def test_case_files_outside_need_the_flag(tmp_path, capsys):
    (tmp_path / "data.csv").write_text("prompt\nhi\n")
    suite_dir = tmp_path / "suites"
    suite_dir.mkdir()
    (suite_dir / "s.yaml").write_text(HEAD + "case_files: [{path: ../data.csv}]\n")
    assert main(["validate", str(suite_dir / "s.yaml")]) == 2
    assert "--case-files-anywhere" in capsys.readouterr().err
    assert main(["validate", "--case-files-anywhere", str(suite_dir / "s.yaml")]) == 0
    assert len(load_suite(suite_dir / "s.yaml", case_files_anywhere=True).cases) == 1
