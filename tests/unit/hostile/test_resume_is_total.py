"""Resume reads any samples log it is given: torn tails, foreign lines, a run in use, run ids
that are not run ids (issue: hostile input)."""

import json

import pytest

from evalharness.commands.main import main
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
    from evalharness.commands.run import _load

    class Args:
        resume, output_dir, suite, case_files_anywhere = "r1", tmp_path / "results", None, False

    loaded_again, samples_path, code = _load(Args())
    assert code == 0 and samples_path == first.samples_path and loaded_again.sha256 == loaded.sha256


def _measured_line(path) -> dict:
    return json.loads(next(line for line in path.read_text().splitlines() if '"kind": "sample"' in line))


@pytest.mark.parametrize("update", [{"latency_s": -0.5}, {"ttft_s": -1.0}, {"output_tokens": -3},
                                    {"decode_tokens_per_s": -2.0}, {"repeat": -1}])
def test_a_sample_with_impossible_figures_is_measured_again(write_suite, tmp_path, capsys, update):
    """4401442 accepted a negative latency on resume (a variant's mean came out at -0.52 s)."""
    loaded, first = first_run(write_suite, tmp_path)
    sample = _measured_line(first.samples_path)
    unit = (sample["variant_id"], sample["case_id"], sample["repeat"])

    def other(line: str) -> bool:
        rec = json.loads(line)
        return rec.get("kind") != "sample" or (rec["variant_id"], rec["case_id"], rec["repeat"]) != unit

    lines = [line for line in first.samples_path.read_text().splitlines() if other(line)]
    lines.append(json.dumps({**sample, **update}))
    first.samples_path.write_text("\n".join(lines) + "\n")
    report = resume(loaded, tmp_path, first.samples_path).report
    assert report.status == "complete" and len(report.samples) == 16
    assert all(s.latency_s >= 0 and (s.output_tokens or 0) >= 0 for s in report.samples)
    assert all(v.summary["latency_s"].mean > 0 for v in report.variants if "latency_s" in v.summary)
    assert "left out 1 line(s) that are not valid records" in capsys.readouterr().err  # said even when quiet


def test_a_duplicated_sample_line_never_replaces_the_measured_one(write_suite, tmp_path, capsys):
    loaded, first = first_run(write_suite, tmp_path)
    sample = _measured_line(first.samples_path)
    with open(first.samples_path, "a") as fh:
        fh.write(json.dumps({**sample, "latency_s": 999.0}) + "\n")  # a false high-latency alert
    report = resume(loaded, tmp_path, first.samples_path).report
    kept = next(s for s in report.samples if (s.variant_id, s.case_id, s.repeat) ==
                (sample["variant_id"], sample["case_id"], sample["repeat"]))
    assert kept.latency_s == sample["latency_s"]
    assert "contradict an earlier measurement" in capsys.readouterr().err


def test_a_header_with_an_invalid_run_id_leaves_no_lock(write_suite, tmp_path, capsys):
    loaded, first = first_run(write_suite, tmp_path)
    text = first.samples_path.read_text().replace('"run_id": "r1"', '"run_id": "../../etc/x"', 1)
    first.samples_path.write_text(text)
    assert main(["run", "--resume", "r1", "--output-dir", str(tmp_path / "results"), "--quiet"]) == 2
    assert "no readable run header" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no run header"):
        resume(loaded, tmp_path, first.samples_path)
    lock = first.samples_path.with_name(first.samples_path.name + ".lock")
    SamplesLog(first.samples_path).close()  # the lock can be taken: nobody holds it
    assert not lock.exists() or lock.read_text().strip() == ""


def test_a_full_disk_is_a_message_and_the_run_resumes(write_suite, tmp_path, capsys, monkeypatch):
    """4401442: OSError 28 from the report writer came out as a traceback."""
    import errno

    from evalharness.reports import writer

    suite = write_suite(SUITE)
    real = writer.atomic_write_text
    calls = []

    def full(path, text):
        calls.append(path)
        if len(calls) > 1:  # the first report ("running") fits, a later one does not
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, text)

    import evalharness.runner

    monkeypatch.setattr(evalharness.runner, "Runner", lambda *a, **kw: Runner(*a, **kw, factory=Factory()))
    monkeypatch.setattr(writer, "atomic_write_text", full)
    results = tmp_path / "results"
    code = main(["run", str(suite), "--output-dir", str(results), "--isolation", "none", "--quiet"])
    err = capsys.readouterr().err
    assert code == 3 and "No space left on device" in err and "--resume" in err
    run_id = err.split("--resume ")[1].split()[0]
    monkeypatch.setattr(writer, "atomic_write_text", real)
    assert main(["run", "--resume", run_id, "--output-dir", str(results), "--isolation", "none", "--quiet"]) in (0, 1)
    assert load_report(next(results.rglob(f"{run_id}.json"))).status == "complete"
