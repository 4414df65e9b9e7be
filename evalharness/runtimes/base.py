"""The runtime protocol: what every way of running a model (transformers, llama.cpp, an HTTP
endpoint, ...) provides, and the registry the runner finds them in.

A runtime loads a variant into a `Backend`; a backend encodes a case, generates with timing
(a typed `Measurement`), optionally gives teacher-forced log-probs, reports its footprint and
closes. What a runtime can do is declared in `Capabilities`; callers read those, never names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from evalharness.registry import Registry
from evalharness.reports.schema import Measurement
from evalharness.tasks.errors import TaskScoringUnsupported as TaskScoringUnsupported  # raised by backends


@dataclass(frozen=True)
class GenParams:
    max_new_tokens: int
    min_new_tokens: int
    do_sample: bool
    temperature: float
    top_p: float
    seed: int


@dataclass(frozen=True)
class Capabilities:
    teacher_forced_logprobs: bool = True  # KL fidelity against a reference can be measured
    local_memory: bool = True  # the model lives in this process: load, RSS and GPU figures are ours
    gpu: bool = True  # variants may be placed on a CUDA device
    fixed_variant: tuple[str, str] | None = None  # (quantization, device) a served model always is


class GenerationError(Exception):
    """A generation that produced no usable answer; the message says why (no traceback needed)."""


class LoadTarget(Protocol):
    """What a runtime needs to load one variant (the runner's VariantPlan)."""

    id: str
    model: Any  # suite ModelSpec: source, id, revision, endpoint
    quantization: str
    device: str
    axes: Any  # suite Axes


class Backend(Protocol):
    """A loaded variant."""

    capabilities: Capabilities
    synthetic: bool
    accepts_images: bool  # cases with image parts can be encoded (a vision model, or a server)

    def encode(self, case: Any) -> Any: ...
    def generate(self, prompt: Any, params: GenParams) -> Measurement: ...
    def teacher_forced_logprobs(self, prompt: Any, target: list[int]) -> Any | None: ...
    def footprint_mb(self) -> float | None: ...
    def read_per_token(self) -> tuple[float | None, float | None]: ...
    def task_scorer(self) -> Any: ...  # log-likelihoods and greedy text for tasks; raises TaskScoringUnsupported
    def close(self) -> None: ...


class Runtime:
    """A way of running models, registered by name; schemes and sources name the one they need."""

    name: str = ""
    description: str = ""
    capabilities: Capabilities = Capabilities()

    def prepare(self, plans: Sequence[LoadTarget]) -> None:
        """One-time work (imports, conversions) before any load is timed."""

    def load(self, plan: LoadTarget) -> Backend:
        raise NotImplementedError

    def is_fatal(self, exc: BaseException) -> bool:
        """An error after which the variant cannot go on (out of memory)."""
        return isinstance(exc, MemoryError)

    def probe(self, scheme: str, device: str) -> tuple[bool, str]:
        """Try a scheme on a tiny model: (ran, note). Runtimes that cannot say so in the note."""
        return False, f"not probed: {self.description}"


RUNTIMES: Registry[Runtime] = Registry("runtime")
register = RUNTIMES.plugin
