"""Energy read from the machine's own counters, around each measured generation.

- GPU (a `cuda` device): NVML's total energy since the driver loaded (millijoules,
  `nvmlDeviceGetTotalEnergyConsumption`, Volta and newer), through nvidia-ml-py.
- CPU: the kernel's RAPL powercap counters (`/sys/class/powercap/intel-rapl:N`, also on AMD),
  each package plus its DRAM domain where the machine has one, in microjoules, wrapping at
  `max_energy_range_uj`.

Both count the whole device or package, not this process: other work on it counts too (the
method says which counter was read). Where no counter can be read the figure is None with the
reason; an estimate from a rated power (TDP) is never reported as measured.

zeus reads the same counters but brings scikit-learn, pandas, amdsmi and a background process
per RAPL file; these few lines read them directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

POWERCAP = Path("/sys/class/powercap")


class EnergyCounter(Protocol):
    method: str  # which counter is read, e.g. "nvml total energy (cuda:0)"

    def joules(self) -> float:
        """The counter now, in joules (an arbitrary origin; only differences mean anything)."""
        ...


@dataclass(frozen=True)
class Unavailable:
    reason: str


@dataclass
class NvmlEnergy:
    nvml: Any
    handle: Any
    method: str

    def joules(self) -> float:
        return self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle) / 1000.0


@dataclass(frozen=True)
class RaplDomain:
    path: Path
    name: str
    max_range_uj: int

    def read_uj(self) -> int:
        return int((self.path / "energy_uj").read_text().strip())


class RaplEnergy:
    """The sum of RAPL domains, each unwrapped (a window shorter than one wrap, ~minutes at full
    power, is assumed: a generation is)."""

    def __init__(self, domains: list[RaplDomain]) -> None:
        self.domains = domains
        self.method = "rapl " + "+".join(d.name for d in domains)
        self._last = [d.read_uj() for d in domains]
        self._total_uj = 0

    def joules(self) -> float:
        for i, domain in enumerate(self.domains):
            now = domain.read_uj()
            delta = now - self._last[i]
            if delta < 0:  # the counter wrapped
                delta += domain.max_range_uj
            self._total_uj += delta
            self._last[i] = now
        return self._total_uj / 1e6


def nvml_counter(index: int, nvml: Any | None = None) -> EnergyCounter | Unavailable:
    from evalharness.measure import gpu

    nv = nvml if nvml is not None else gpu._nvml()
    if nv is None:
        return Unavailable("NVML cannot be loaded (no NVIDIA driver or nvidia-ml-py)")
    try:
        handle = nv.nvmlDeviceGetHandleByIndex(index)
        counter = NvmlEnergy(nv, handle, f"nvml total energy (cuda:{index})")
        counter.joules()
    except nv.NVMLError as exc:
        return Unavailable(f"NVML total energy of GPU {index} cannot be read: {exc} "
                           "(the counter needs a Volta or newer GPU)")
    return counter


def rapl_domains(root: Path | None = None) -> list[RaplDomain] | Unavailable:
    """Package domains (`intel-rapl:N`) and their DRAM subdomains, where readable."""
    root = POWERCAP if root is None else root
    if not root.is_dir():
        return Unavailable(f"this machine has no RAPL counters ({root} does not exist: a VM or a "
                           "kernel without powercap)")
    packages = sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1)
    if not packages:
        return Unavailable(f"{root} has no intel-rapl package domain")
    domains = []
    for package in packages:
        for zone in [package, *sorted(package.glob(f"{package.name}:*"))]:
            try:
                name = (zone / "name").read_text().strip()
            except OSError:
                continue
            if zone is not package and name != "dram":
                continue  # core/uncore lie inside the package's count
            try:
                max_range = int((zone / "max_energy_range_uj").read_text().strip())
                domain = RaplDomain(zone, name, max_range)
                domain.read_uj()
            except PermissionError:
                return Unavailable(f"{zone / 'energy_uj'} is readable by root only (Linux since 5.10); "
                                   f"grant read access (e.g. chmod o+r) to measure CPU energy")
            except (OSError, ValueError) as exc:
                return Unavailable(f"{zone / 'energy_uj'} cannot be read: {exc}")
            domains.append(domain)
    return domains


def counter_for(device: str, root: Path | None = None, nvml: Any | None = None) -> EnergyCounter | Unavailable:
    """The counter that covers a variant on `device`: NVML for cuda, RAPL otherwise."""
    if os.environ.get("EVALHARNESS_NO_ENERGY"):
        return Unavailable("energy measurement switched off (EVALHARNESS_NO_ENERGY)")
    if device.startswith("cuda"):
        from evalharness.measure.gpu import device_index

        return nvml_counter(device_index(device), nvml)
    domains = rapl_domains(root)
    return domains if isinstance(domains, Unavailable) else RaplEnergy(domains)


@dataclass(frozen=True)
class EnergyFigure:
    joules: float | None
    method: str | None
    missing: str | None  # why `joules` is None


class EnergyWindow:
    """`with EnergyWindow(counter) as w: ...` then `w.figure`: the energy the block used."""

    def __init__(self, counter: EnergyCounter | Unavailable | None) -> None:
        self.counter = counter
        self._start: float | None = None
        self.figure = EnergyFigure(None, None, counter.reason if isinstance(counter, Unavailable)
                                   else None if counter is not None else "no counter for this runtime")

    def __enter__(self) -> EnergyWindow:
        if self.counter is not None and not isinstance(self.counter, Unavailable):
            try:
                self._start = self.counter.joules()
            except Exception as exc:  # a counter that stops answering: no figure, with the reason
                self.figure = EnergyFigure(None, None, f"{self.counter.method}: {type(exc).__name__}: {exc}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start is None or isinstance(self.counter, Unavailable) or self.counter is None:
            return
        try:
            used = self.counter.joules() - self._start
        except Exception as error:
            self.figure = EnergyFigure(None, None, f"{self.counter.method}: {type(error).__name__}: {error}")
            return
        self.figure = EnergyFigure(max(used, 0.0), self.counter.method, None)
