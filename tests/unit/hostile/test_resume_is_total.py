"""Resume reads any samples log it is given: torn tails, foreign lines, a run in use, run ids
that are not run ids (issue: hostile input)."""

import json

import pytest

from evalharness.cli import main
from evalharness.reports import load_report, read_samples_log
from evalharness.reports.writer import RunInUse, SamplesLog
from evalharness.runner import Runner, RunOptions
from evalharness.suite import load_suite
from tests.unit.test_runner import SUITE, Factory


def first_run(write_suite, tmp_path, interrupt_after=7):
    loaded = load_suite(write_suite(SUITE))
    runner = Runner(loaded, RunOptions(output_dir=tmp_path / "results", isolation="none"),
                    factory=Factory(interrupt_after=interrupt_after))
    return loaded, runner.run(run_id="r1")


def resume(loaded, tmp_path, path):
    return Runner(loaded, RunOptions(output_dir=tmp_path / "results", isolation="none"), factory=Factory()).resume(path)


@pytest.mark.parametrize("tail", [b'{"kind": "sample", "variant_id": "a/fp32/cpu", "case_', "é".encode()[:1],
                                  b"[1, 2, 3]\n", b"42\n", b'{"kind": "mystery"}\n', b'"text"\n'])
def test_resume_survives_a_torn_or_foreign_tail(write_suite, tmp_path, tail):
    loaded, first = first_run(write_suite, tmp_path)
    with open(first.samples_path, "ab") as fh:
        fh.write(tail)
    second = resume(loaded, tmp_path, first.samples_path)
    assert second.report.status == "complete" and len(second.report.samples) == 16
    content = read_samples_log(first.samples_path)
    assert content.bad_lines == 1 and len(content.samples) == 16  # nothing glued to the torn line


def test_samples_outside_the_plan_are_dropped(write_suite, tmp_path):
    loaded, first = first_run(write_suite, tmp_path)
    lines = first.samples_path.read_text().splitlines()
    sample = json.loads(next(line for line in lines if '"kind": "sample"' in line))
    for update in ({"variant_id": "z/fp32/cpu"}, {"case_id": "nowhere"}, {"repeat": 99}):
        with open(first.samples_path, "a") as fh:
            fh.write(json.dumps({**sample, **update}) + "\n")
    report = resume(loaded, tmp_path, first.samples_path).report
    keys = {(s.variant_id, s.case_id, s.repeat) for s in report.samples}
    assert len(keys) == 16 and all(k[0] != "z/fp32/cpu" and k[1] != "nowhere" and k[2] < 2 for k in keys)


def test_resume_keeps_the_original_environment_and_records_its_own(write_suite, tmp_path):
    loaded, first = first_run(write_suite, tmp_path)
    report = resume(loaded, tmp_path, first.samples_path).report
    assert report.environment == first.report.environment
    assert len(report.resumed) == 1 and report.resumed[0].environment.python


def test_a_run_in_use_cannot_be_resumed(write_suite, tmp_path, capsys):
    loaded, first = first_run(write_suite, tmp_path)
    holder = SamplesLog(first.samples_path)  # as if the run were still going
    try:
        with pytest.raises(RunInUse, match="being written by process"):
            resume(loaded, tmp_path, first.samples_path)
        assert main(["run", "--resume", "r1", "--output-dir", str(tmp_path / "results"), "--quiet"]) == 2
        assert "being written by process" in capsys.readouterr().err
    finally:
        holder.close()
    assert resume(loaded, tmp_path, first.samples_path).report.status == "complete"


@pytest.mark.parametrize("run_id", ["*", "../x", "", "r1/../r1", ".hidden", "r?"])
def test_run_ids_are_names_not_paths_or_globs(write_suite, tmp_path, capsys, run_id):
    first_run(write_suite, tmp_path)
    assert main(["run", "--resume", run_id, "--output-dir", str(tmp_path / "results"), "--quiet"]) == 2
    assert "no run" in capsys.readouterr().err


def test_a_log_without_a_header_is_a_clear_error(write_suite, tmp_path, capsys):
    loaded, first = first_run(write_suite, tmp_path)
    lines = first.samples_path.read_text().splitlines()
    first.samples_path.write_text("\n".join(line for line in lines if '"kind": "header"' not in line) + "\n")
    assert main(["run", "--resume", "r1", "--output-dir", str(tmp_path / "results"), "--quiet"]) == 2
    assert "no readable run header" in capsys.readouterr().err


def test_cli_numbers_and_paths_are_checked(write_suite, tmp_path, capsys):
    suite = write_suite(SUITE)
    assert main(["run", str(suite), "--repeats", "1000000000", "--quiet"]) == 2
    (tmp_path / "afile").write_text("x")
    assert main(["run", str(suite), "--output-dir", str(tmp_path / "afile"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--repeats must be 1..1000" in err and "is a file" in err


def test_reports_are_as_readable_as_logs(write_suite, tmp_path):
    _, first = first_run(write_suite, tmp_path, interrupt_after=None)
    assert first.report_path.stat().st_mode & 0o777 == first.samples_path.stat().st_mode & 0o777
    assert load_report(first.report_path).status == "complete"


def test_resume_from_another_folder(write_suite, tmp_path, monkeypatch):
    suite = write_suite(SUITE)
    monkeypatch.chdir(tmp_path)
    loaded = load_suite(suite.name)  # a relative path, as typed
    first = Runner(loaded, RunOptions(output_dir=tmp_path / "results", isolation="none"),
                   factory=Factory(interrupt_after=7)).run(run_id="r1")
    assert read_samples_log(first.samples_path).header.suite.path == str(suite.resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    from evalharness.cli_run import _load

    class Args:
        resume, output_dir, suite, case_files_anywhere = "r1", tmp_path / "results", None, False

    loaded_again, samples_path, code = _load(Args())
    assert code == 0 and samples_path == first.samples_path and loaded_again.sha256 == loaded.sha256
