"""GPU memory: torch's peak allocation per phase and NVML's device / per-process use.

Every reader returns None where there is no GPU (or no NVML): never 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def reset_peak(device: str) -> None:
    """Start a new phase: forget torch's previous peak on this device."""
    if not device.startswith("cuda"):
        return
    import torch

    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)


def torch_peak_allocated_mb(device: str) -> float | None:
    if not device.startswith("cuda"):
        return None
    import torch

    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / MB


@dataclass(frozen=True)
class NvmlReading:
    device_used_mb: float
    device_total_mb: float
    process_used_mb: float | None
    name: str
    driver: str


def _nvml() -> Any | None:
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    return pynvml


def nvml_reading(index: int = 0, pid: int | None = None, nvml: Any | None = None) -> NvmlReading | None:
    """Device memory in use (all processes), its total, and this process's share, via NVML."""
    nv = nvml if nvml is not None else _nvml()
    if nv is None:
        return None
    try:
        handle = nv.nvmlDeviceGetHandleByIndex(index)
        info = nv.nvmlDeviceGetMemoryInfo(handle)
        name = nv.nvmlDeviceGetName(handle)
        driver = nv.nvmlSystemGetDriverVersion()
        process_mb: float | None = None
        me = os.getpid() if pid is None else pid
        try:
            for proc in nv.nvmlDeviceGetComputeRunningProcesses(handle):
                if proc.pid == me and proc.usedGpuMemory is not None:
                    process_mb = proc.usedGpuMemory / MB
        except nv.NVMLError:
            process_mb = None
    except nv.NVMLError:
        return None
    return NvmlReading(
        device_used_mb=info.used / MB,
        device_total_mb=info.total / MB,
        process_used_mb=process_mb,
        name=name.decode() if isinstance(name, bytes) else str(name),
        driver=driver.decode() if isinstance(driver, bytes) else str(driver),
    )


def device_index(device: str) -> int:
    """'cuda' -> 0, 'cuda:1' -> 1."""
    _, _, idx = device.partition(":")
    return int(idx) if idx else 0
