"""--executor ray: a local Ray and a two-node cluster on loopback give the outputs and scores of
the local run, token for token; each sample names its node and the report keeps every node's
environment; a lost actor is retried, then recorded."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from evalharness.reports import load_report
from tests.integration.conftest import ROOT, cli

ray = pytest.importorskip("ray")

TIMING = {"latency_s", "ttft_s", "prefill_tokens_per_s", "decode_tokens_per_s", "inter_token_latency_s",
          "peak_rss_mb", "gpu_peak_mb", "gpu_device_used_mb", "node"}
EXTRA = """
    threads: 1
    scorers: [factual, refusal, coherence]
"""
VARIANTS = ("--variant", "*/fp32/*", "--variant", "*/int8-dynamic/*")
NO_AUTH = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}  # a throwaway loopback cluster


def _report(result) -> Path:
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(result.stdout.split("report: ")[1].split()[0])


def _same_outputs(local, remote) -> None:
    assert [s.key for s in local.samples] == [s.key for s in remote.samples] and local.samples
    for a, b in zip(local.samples, remote.samples):
        assert a.model_dump(exclude=TIMING) == b.model_dump(exclude=TIMING)
    for a, b in zip(local.variants, remote.variants):
        assert (a.id, a.status, a.scores, a.success_rate) == (b.id, b.status, b.scores, b.success_rate)
        assert a.fidelity == b.fidelity


@pytest.fixture(autouse=True)
def _no_stray_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def test_local_ray_gives_the_local_run(tiny_suite, tmp_path):
    suite = tiny_suite(tokens=8, repeats=2, extra=EXTRA)
    out = tmp_path / "out"
    local = load_report(_report(cli("run", str(suite), "--output-dir", str(out), "--quiet", *VARIANTS)))
    done = cli("run", str(suite), "--output-dir", str(out), "--quiet", *VARIANTS, "--executor", "ray")
    remote = load_report(_report(done))
    _same_outputs(local, remote)
    assert remote.config.executor == "ray" and len(remote.nodes) == 1
    node, env = next(iter(remote.nodes.items()))
    assert {s.node for s in remote.samples} == {node} and env.python == local.environment.python
    assert all(v.worker is not None and v.worker.pid for v in remote.variants)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("ray")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **NO_AUTH})


def test_two_node_cluster_on_loopback_gives_the_local_run(tiny_suite, tmp_path):
    if shutil.which("ray", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("the ray command is not installed beside this python")
    port = _free_port()
    address = f"127.0.0.1:{port}"
    try:
        head = _ray("start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
                    "--disable-usage-stats")
        assert head.returncode == 0, head.stdout + head.stderr
        second = _ray("start", f"--address={address}", "--num-cpus=1")
        assert second.returncode == 0, second.stdout + second.stderr
        suite = tiny_suite(tokens=8, repeats=2, extra=EXTRA)
        out = tmp_path / "out"
        three = (*VARIANTS, "--variant", "*/bf16/*")
        local = load_report(_report(cli("run", str(suite), "--output-dir", str(out), "--quiet", *three)))
        done = cli("run", str(suite), "--output-dir", str(out), "--quiet", *three, "--executor", "ray",
                   "--ray-address", address, env={**os.environ, **NO_AUTH})
        remote = load_report(_report(done))
        _same_outputs(local, remote)
        # one CPU per node and per variant: bf16 and int8-dynamic (after the fp32 reference) ran at
        # once, so on the two nodes
        assert len(remote.nodes) == 2 and {s.node for s in remote.samples} == set(remote.nodes)
        by_variant = {v: {s.node for s in remote.samples if s.variant_id == v} for v in {s.variant_id for s in
                                                                                      remote.samples}}
        assert all(len(nodes) == 1 for nodes in by_variant.values())
    finally:
        _ray("stop", "--force", timeout=60)


def test_sigterm_cancels_the_actors_and_resume_finishes(tiny_suite, tmp_path):
    import signal

    from tests.integration.conftest import cli_popen
    from tests.integration.test_cli_run import _wait_for_samples

    out = tmp_path / "out"
    suite = tiny_suite(tokens=8, repeats=30, extra=EXTRA)
    proc = cli_popen("run", str(suite), "--output-dir", str(out), "--quiet", *VARIANTS, "--executor", "ray")
    log = _wait_for_samples(out, 3, proc, timeout=180)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    run_id = log.name.split(".")[0]
    partial = load_report(out / "tiny" / f"{run_id}.json")
    assert partial.status == "partial" and 3 <= len(partial.samples) < 2 * 2 * 30
    done = cli("run", "--resume", run_id, "--output-dir", str(out), "--quiet", "--executor", "ray")
    report = load_report(_report(done))
    assert report.status == "complete" and len(report.samples) == 2 * 2 * 30
    kept = {s.key: s.latency_s for s in partial.samples}
    assert all(s.latency_s == kept[s.key] for s in report.samples if s.key in kept)  # not measured again


SUITE = """
name: fake
models: [{source: hf, id: org/model-a, name: a}]
quantizations: [fp32]
device: cpu
generation: {max_new_tokens: 4}
warmup: 1
repeats: 3
cases:
  - {id: one, prompt: "hello"}
  - {id: two, prompt: "there"}
"""


@pytest.fixture(scope="module")
def local_ray():
    before = {k: os.environ.get(k) for k in NO_AUTH}
    os.environ.update(NO_AUTH)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})  # the actors import tests.fakes
    yield
    ray.shutdown()
    for k, v in before.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.parametrize("retries", [1, 0])
def test_a_lost_actor_is_retried_then_recorded(local_ray, write_suite, tmp_path, retries):
    from evalharness.runner import Runner, RunOptions
    from evalharness.suite import load_suite
    from tests.fakes import WorkerFactory

    # the actor SIGKILLs itself at its 3rd generation (warm-up, one, then two), once
    factory = WorkerFactory(answers={"one": "a b", "two": "c d"}, faults={"a/fp32/cpu": ("kill", 3)},
                            once_marker=str(tmp_path / "struck"))
    opts = RunOptions(output_dir=tmp_path / "out", executor="ray", ray_retries=retries)
    report = Runner(load_suite(write_suite(SUITE)), opts, factory=factory).run().report
    v = report.variants[0]
    if retries:
        assert v.status == "ok" and len(report.samples) == 6 and all(s.success for s in report.samples)
        assert [s.output for s in report.samples] == ["a b", "a b", "a b", "c d", "c d", "c d"]
    else:
        assert v.status == "failed" and "Ray actor lost during measure" in v.error
        assert len(report.samples) == 1 and v.worker.ended == v.error
