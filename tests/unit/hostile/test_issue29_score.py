"""`evalharness score` passes columns through as they came, refuses what it cannot read safely,
and writes no live spreadsheet formula (issue 29)."""

import csv
import json
import os
import threading

import pytest

from evalharness.commands.main import main


def score(tmp_path, name, text, out="out.csv", *extra):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return main(["score", "--scorer", "coherence", "--input", str(path), "--output-column", "completion",
                 "--out", str(tmp_path / out), *extra])


def test_jsonl_columns_pass_through_byte_for_byte(tmp_path):
    rows = ['{"id": "007", "big": 12345678901234567890123, "when": "2024-01-01", "x": 1.10, '
            '"nested": {"a": [1, 2]}, "sep": "a\u2028b", "prompt": "Hi", "completion": "Hello there."}',
            '{"prompt": "Q", "completion": "A", "id": "008"}']
    assert score(tmp_path, "in.jsonl", "\n".join(rows) + "\n", "out.jsonl") == 0
    out = (tmp_path / "out.jsonl").read_text().split("\n")[:-1]  # U+2028 is no line end in JSON Lines
    for original, written in zip(rows, out):
        assert written.startswith(original[:-1] + ", ")  # every byte of the row, then the scores
        assert "score_coherence" in json.loads(written)
    assert json.loads(out[0])["big"] == 12345678901234567890123


def test_csv_cells_stay_strings(tmp_path):
    assert score(tmp_path, "in.csv", "id,when,prompt,completion\n007,2024-01-01,Hi,Hello there.\n") == 0
    row = next(csv.DictReader((tmp_path / "out.csv").open()))
    assert row["id"] == "007" and row["when"] == "2024-01-01" and row["score_coherence"]


def test_a_duplicated_csv_column_is_refused(tmp_path, capsys):
    assert score(tmp_path, "in.csv", "prompt,completion,prompt\nHi,Hello,x\n") == 2
    assert "column 'prompt' is given twice (columns 1 and 3)" in capsys.readouterr().err


def test_formula_cells_are_neutralised_unless_kept(tmp_path):
    text = 'prompt,completion,note\nHi,"=cmd|\' /C calc\'!A0",-3.5\nHo,@SUM(A1),+x\n'
    assert score(tmp_path, "in.csv", text) == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert rows[0]["completion"] == "'=cmd|' /C calc'!A0" and rows[0]["note"] == "-3.5"  # a number stays
    assert rows[1]["completion"] == "'@SUM(A1)" and rows[1]["note"] == "'+x"
    assert score(tmp_path, "in.csv", text, "kept.csv", "--keep-formulas") == 0
    assert next(csv.DictReader((tmp_path / "kept.csv").open()))["completion"].startswith("=cmd")


def test_a_fifo_is_refused_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / "in.csv")
    result = []
    t = threading.Thread(target=lambda: result.append(main(
        ["score", "--scorer", "coherence", "--input", str(tmp_path / "in.csv"), "--out", str(tmp_path / "o.csv")])),
        daemon=True)
    t.start()
    t.join(10)
    if t.is_alive():  # unblock the reader so the test run can end
        with open(tmp_path / "in.csv", "w") as fh:
            fh.write("")
        pytest.fail("score blocked on a FIFO")
    assert result == [2] and "not a regular file" in capsys.readouterr().err


def test_dev_zero_is_refused(tmp_path, capsys):
    os.symlink("/dev/zero", tmp_path / "zero.jsonl")
    assert main(["score", "--scorer", "coherence", "--input", str(tmp_path / "zero.jsonl"),
                 "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_a_huge_number_in_jsonl_names_its_line(tmp_path, capsys):
    text = '{"prompt": "a", "completion": "b"}\n{"prompt": "a", "completion": "b", "n": ' + "9" * 5000 + "}\n"
    assert score(tmp_path, "in.jsonl", text, "o.jsonl") == 2
    assert "line 2: invalid JSON: a number of over 4,300 digits" in capsys.readouterr().err


def test_scorer_validity_groups_over_list_cells(tmp_path, capsys):
    rows = [{"prompt": ["a", i % 3], "completion": "I cannot help with that." if i % 2 else "Sure, here.",
             "truth": "refuse" if i % 2 else "comply"} for i in range(12)]
    (tmp_path / "v.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code = main(["scorer-validity", "--scorer", "refusal", "--input", str(tmp_path / "v.jsonl"),
                 "--output-column", "completion", "--truth-column", "truth", "--positive", "refuse",
                 "--predicted", "refusal", "--group-column", "prompt", "--resamples", "50"])
    assert code == 0, capsys.readouterr().err
    assert "groups of 'prompt' (3)" in capsys.readouterr().out
