"""The CLI as users run it: exit codes, reports, Ctrl-C/SIGTERM and kill -9 with --resume."""

import json
import signal
import time
from pathlib import Path

from evalharness.reports import load_report, read_samples_log
from tests.integration.conftest import cli, cli_popen


def _wait_for_samples(out: Path, n: int, proc, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list(out.glob("tiny/*.samples.jsonl"))
        if logs and sum('"kind": "sample"' in line for line in logs[0].read_text().splitlines()) >= n:
            return logs[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("run produced no samples in time")


def test_run_prints_report_path_and_exit_codes(tiny_suite, tmp_path):
    suite = tiny_suite(repeats=1, extra="""
    alerts:
      - name: always
        metric: latency_s
        op: ">"
        threshold: 0
        severity: info
    """)
    out = tmp_path / "out"
    ok = cli("run", str(suite), "--output-dir", str(out), "--quiet", "--variant", "*/fp32/*",
             "--summary", str(tmp_path / "one-page.html"))
    assert ok.returncode == 0, ok.stderr
    path = Path(ok.stdout.split("report: ")[1].split()[0])
    assert f"summary: {tmp_path / 'one-page.html'}" in ok.stdout.replace("\n", "")
    assert "tiny-random-gemma3/fp32/cpu" in (tmp_path / "one-page.html").read_text()
    bad = cli("run", str(suite), "--output-dir", str(out), "--quiet", "--summary", str(tmp_path / "x.txt"))
    assert bad.returncode == 2 and "name a .md or .html file" in bad.stderr
    report = load_report(path)
    assert [v.id for v in report.variants] == ["tiny-random-gemma3/fp32/cpu"]
    assert [a.rule for a in report.alerts] == ["always"]
    assert "always" in ok.stdout
    gated = cli("run", str(suite), "--output-dir", str(out), "--quiet", "--variant", "*/fp32/*",
                "--fail-on", "info")
    assert gated.returncode == 1
    not_gated = cli("run", str(suite), "--output-dir", str(out), "--quiet", "--variant",
                    "*/fp32/*", "--fail-on", "warning")
    assert not_gated.returncode == 0
    bad = cli("run", str(tmp_path / "missing.yaml"))
    assert bad.returncode == 2 and "missing.yaml:1: (file): cannot read" in bad.stderr


def test_sigterm_leaves_partial_report_with_every_finished_sample(tiny_suite, tmp_path):
    out = tmp_path / "out"
    proc = cli_popen("run", str(tiny_suite(tokens=48, repeats=40)), "--output-dir", str(out), "--quiet")
    log = _wait_for_samples(out, 3, proc)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    report = load_report(log.with_name(log.name.replace(".samples.jsonl", ".json")))
    assert report.status == "partial"
    logged = read_samples_log(log).samples
    assert len(report.samples) == len(logged) >= 3
    assert "--resume" in stdout


def test_kill_9_then_resume_finishes_without_redoing(tiny_suite, tmp_path):
    out = tmp_path / "out"
    suite = tiny_suite(tokens=16, repeats=4)
    proc = cli_popen("run", str(suite), "--output-dir", str(out), "--quiet")
    log = _wait_for_samples(out, 4, proc)
    proc.kill()
    proc.wait(timeout=30)
    before = {k: s.latency_s for k, s in read_samples_log(log).samples.items()}
    assert len(before) >= 4
    run_id = log.name.split(".")[0]
    resumed = cli("run", "--resume", run_id, "--output-dir", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    report = load_report(out / "tiny" / f"{run_id}.json")
    assert report.status == "complete" and report.run_id == run_id
    assert len(report.samples) == 3 * 2 * 4
    for s in report.samples:
        if s.key in before:
            assert s.latency_s == before[s.key]  # measured once, kept, not redone
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    # a sample may be logged again with its fidelity attached, but each is measured only once
    measured: dict[tuple, set] = {}
    for r in lines:
        if r.get("kind") == "sample":
            measured.setdefault((r["variant_id"], r["case_id"], r["repeat"]), set()).add(r["latency_s"])
    assert len(measured) == 24
    assert all(len(latencies) == 1 for latencies in measured.values())
    unknown = cli("run", "--resume", "nope", "--output-dir", str(out))
    assert unknown.returncode == 2 and "no run 'nope'" in unknown.stderr
