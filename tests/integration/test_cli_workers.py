"""Worker processes through the CLI, on the tiny real model: kill -9 one worker mid-variant."""

import json
import os
import signal
import time
from pathlib import Path

import psutil

from evalharness.reports import load_report
from tests.integration.conftest import cli_popen


def _records(log: Path) -> list[dict]:
    out = []
    for line in log.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # a line being written
    return out


def _worker_mid_variant(out: Path, variant: str, proc, timeout: float = 300) -> tuple[Path, int]:
    """The pid of `variant`'s worker once it has measured at least one sample."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log in out.glob("tiny/*.samples.jsonl"):
            records = _records(log)
            pids = [r["worker"]["pid"] for r in records if r.get("kind") == "variant" and r["id"] == variant
                    and r.get("worker")]
            if pids and any(r.get("kind") == "sample" and r["variant_id"] == variant for r in records):
                return log, pids[-1]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"{variant} never started measuring")


def test_sigkill_of_one_worker_fails_that_variant_and_the_rest_complete(tiny_suite, tmp_path):
    out = tmp_path / "out"
    proc = cli_popen("run", str(tiny_suite(tokens=24, repeats=15)), "--output-dir", str(out), "--quiet")
    victim = "tiny-random-gemma3/bf16/cpu"
    log, pid = _worker_mid_variant(out, victim, proc)
    assert pid != proc.pid
    os.kill(pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 1, stderr  # a failed variant fails the command
    assert f"failed variants: {victim}" in stdout.replace("\n", "")
    report = load_report(log.with_name(log.name.replace(".samples.jsonl", ".json")))
    assert report.status == "complete"
    by_id = {v.id: v for v in report.variants}
    assert by_id[victim].status == "failed"
    assert by_id[victim].error.startswith("worker killed by SIGKILL"), by_id[victim].error
    kept = [s for s in report.samples if s.variant_id == victim]
    assert 1 <= len(kept) < 30 and all(s.success for s in kept)
    for vid in ("tiny-random-gemma3/fp32/cpu", "tiny-random-gemma3/int8-dynamic/cpu"):
        assert by_id[vid].status == "ok"
        assert len([s for s in report.samples if s.variant_id == vid and s.success]) == 30
    pids = {v.worker.pid for v in report.variants}
    assert len(pids) == 3 and proc.pid not in pids
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


def test_sigterm_to_the_run_ends_its_workers(tiny_suite, tmp_path):
    out = tmp_path / "out"
    proc = cli_popen("run", str(tiny_suite(tokens=24, repeats=15)), "--output-dir", str(out), "--quiet")
    log, pid = _worker_mid_variant(out, "tiny-random-gemma3/fp32/cpu", proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


def test_interleaved_run_gates_one_variant_against_another(tiny_suite, tmp_path):
    from tests.integration.conftest import cli

    out = tmp_path / "out"
    suite = str(tiny_suite(tokens=8, repeats=3))
    fp32, bf16 = "tiny-random-gemma3/fp32/cpu", "tiny-random-gemma3/bf16/cpu"
    bad = cli("run", suite, "--output-dir", str(out), "--quiet", "--gate-variants", f"{fp32}=nope")
    assert bad.returncode == 2 and "'nope' is not a variant of this run" in bad.stderr
    assert not out.exists()  # refused before anything ran
    done = cli("run", suite, "--output-dir", str(out), "--quiet", "--schedule", "interleaved",
               "--variant", "*/fp32/*", "--variant", "*/bf16/*", "--gate-variants", f"{fp32}={fp32}",
               "--json", str(tmp_path / "gate.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "gate: no regression" in done.stdout
    report = load_report(Path(done.stdout.split("report: ")[1].split()[0]))
    assert report.config.schedule == "interleaved" and {v.status for v in report.variants} == {"ok"}
    gate = json.loads((tmp_path / "gate.json").read_text())
    assert gate["baseline_run"] == f"{report.run_id}:{fp32}" and gate["rows"]
    assert bf16 in {v.id for v in report.variants}
