"""Third-party warnings (torchao's optional kernels, torch's own deprecations, Python warnings)
reach a log file, not the terminal; `--verbose` keeps them on the terminal, in workers too."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import logging, warnings
import evalharness
logging.getLogger("torchao").warning("Failed to load /x/_C_mxfp8.so")
logging.getLogger("torch.utils._pytree").warning("register_constant() on Enum subclasses is deprecated")
warnings.warn("some FutureWarning", FutureWarning)
logging.getLogger("mine").warning("not third party: still shown")
"""


def _run(tmp_path, verbose: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVALHARNESS_CACHE": str(tmp_path)}
    env.pop("EVALHARNESS_VERBOSE", None)
    if verbose:
        env["EVALHARNESS_VERBOSE"] = "1"
    return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=60)


def test_third_party_warnings_go_to_the_log_file(tmp_path):
    out = _run(tmp_path, verbose=False)
    assert "Failed to load" not in out.stderr and "register_constant" not in out.stderr
    assert "FutureWarning" not in out.stderr and "not third party: still shown" in out.stderr
    log = (tmp_path / "third-party.log").read_text()
    assert "torchao WARNING: Failed to load" in log and "register_constant" in log and "FutureWarning" in log


def test_verbose_keeps_them_on_the_terminal(tmp_path):
    out = _run(tmp_path, verbose=True)
    assert "Failed to load" in out.stderr and "FutureWarning" in out.stderr
    assert not (tmp_path / "third-party.log").exists()


def test_the_verbose_flag_sets_it_for_the_workers_too(monkeypatch):
    from evalharness import lifecycle
    from evalharness.commands.main import main

    monkeypatch.delenv("EVALHARNESS_VERBOSE", raising=False)
    assert main(["--verbose", "validate", "suites/smoke-tiny.yaml"]) == 0
    assert os.environ.get("EVALHARNESS_VERBOSE") == "1" and lifecycle._routed == []
    monkeypatch.delenv("EVALHARNESS_VERBOSE")
