"""A fingerprint of the machine and libraries a run measured on."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil

from evalharness.measure.gpu import cuda_available, nvml_reading


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def git_commit(cwd: Path | None = None) -> str | None:
    """The commit of the project checkout evalharness runs from, if it is one."""
    where = cwd or Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment() -> dict[str, Any]:
    gpu = nvml_reading() if cuda_available() else None
    gpu_name = gpu.name if gpu else None
    if gpu is None and cuda_available():
        import torch

        gpu_name = torch.cuda.get_device_name(0)
    return {
        "evalharness": _version("evalharness") or "unknown",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "cpu_model": cpu_model(),
        "cpu_count": psutil.cpu_count(logical=True),
        "memory_total_mb": psutil.virtual_memory().total / (1024 * 1024),
        "gpu_name": gpu_name,
        "gpu_memory_mb": gpu.device_total_mb if gpu else None,
        "gpu_driver": gpu.driver if gpu else None,
        "git_commit": git_commit(),
    }
