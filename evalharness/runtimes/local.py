"""What in-process runtimes share: a generation timed token by token, turned into a `Measurement`
with the process's peak RSS and GPU memory sampled during it."""

from __future__ import annotations

from typing import Any

from evalharness.measure.energy import EnergyCounter, Unavailable, counter_for
from evalharness.measure.sample import measure_generation
from evalharness.measure.tokens import TimedGeneration
from evalharness.reports.schema import Measurement
from evalharness.runtimes.base import Capabilities, GenParams, TaskScoringUnsupported


class LocalBackend:
    """Subclasses provide `encode`, `timed_generate` (ids + arrival times) and `decode`."""

    capabilities = Capabilities()
    synthetic: bool = False
    eos_ids: frozenset[int] = frozenset()
    device: str = "cpu"
    batch_size: int = 1
    accepts_images: bool = False  # cases with images need a vision model (and its processor)

    def encode(self, case: Any) -> list[int]:
        raise NotImplementedError

    def timed_generate(self, ids: list[int], params: GenParams) -> TimedGeneration:
        raise NotImplementedError

    def decode(self, ids: list[int]) -> str:
        raise NotImplementedError

    _energy: EnergyCounter | Unavailable | None = None

    @property
    def energy_counter(self) -> EnergyCounter | Unavailable:
        """The counter of the device this variant runs on, found on first use."""
        if self._energy is None:
            self._energy = counter_for(self.device)
        return self._energy

    def generate(self, prompt: list[int], params: GenParams) -> Measurement:
        measured = measure_generation(lambda: self.timed_generate(prompt, params), self.eos_ids, self.device,
                                      energy=self.energy_counter)
        t = measured.timing
        energy = measured.energy
        return Measurement(
            output=self.decode(measured.output_ids), output_ids=measured.output_ids, prompt_tokens=len(prompt),
            **t.model_dump(), peak_rss_mb=measured.peak_rss_mb, gpu_peak_mb=measured.gpu_peak_mb,
            gpu_device_used_mb=measured.gpu_device_used_mb, batch_size=self.batch_size,
            energy_j=energy.joules, energy_method=energy.method, energy_missing=energy.missing,
        )

    def teacher_forced_logprobs(self, prompt: list[int], target: list[int]) -> Any | None:
        return None

    def footprint_mb(self) -> float | None:
        return None

    def task_scorer(self) -> Any:
        raise TaskScoringUnsupported(f"{type(self).__name__} cannot score benchmark tasks yet")

    def read_per_token(self) -> tuple[float | None, float | None]:
        """(weight bytes a decode step reads, KV cache bytes per context position), where known."""
        return None, None

    def close(self) -> None:
        pass
