"""Measure one generation: token timing, in-phase peak RSS and GPU memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from evalharness.measure import gpu
from evalharness.measure.energy import EnergyCounter, EnergyFigure, EnergyWindow, Unavailable
from evalharness.measure.memory import peak_rss
from evalharness.measure.tokens import TimedGeneration, timing_of, trim_at_eos
from evalharness.reports.schema import Timing


@dataclass(frozen=True)
class MeasuredGeneration:
    output_ids: list[int]  # generated ids before the first EOS
    timing: Timing
    peak_rss_mb: float
    gpu_peak_mb: float | None
    gpu_device_used_mb: float | None
    energy: EnergyFigure


def measure_generation(
    generate: Callable[[], TimedGeneration],
    eos_ids: Iterable[int],
    device: str = "cpu",
    rss_interval_s: float = 0.01,
    energy: EnergyCounter | Unavailable | None = None,
) -> MeasuredGeneration:
    """Run `generate` once while sampling memory and reading the energy counter around it;
    derive the timing figures from its tokens."""
    gpu.reset_peak(device)
    with peak_rss(rss_interval_s) as rss, EnergyWindow(energy) as joules:
        gen = generate()  # on cuda its clock synchronizes at the end: the GPU's work is done
    gpu_peak = gpu.torch_peak_allocated_mb(device)
    nvml = gpu.nvml_reading(gpu.device_index(device)) if device.startswith("cuda") else None
    output_ids = trim_at_eos(gen.generated_ids, eos_ids)
    return MeasuredGeneration(
        output_ids=output_ids,
        timing=timing_of(gen, len(output_ids)),
        peak_rss_mb=rss.peak_mb,
        gpu_peak_mb=gpu_peak,
        gpu_device_used_mb=nvml.device_used_mb if nvml else None,
        energy=joules.figure,
    )
