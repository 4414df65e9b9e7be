"""One variant's turn: load it (timed), warm it up, measure every pending (case, repeat), then
take its fidelity against the reference, outside every timed block."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from evalharness.lifecycle import error_text
from evalharness.measure import gpu
from evalharness.measure.clock import Timer
from evalharness.measure.memory import MB, current_rss_bytes, peak_rss, release_free_memory
from evalharness.models.chat import render_prompt
from evalharness.reports.schema import LoadFigures, Measurement, Sample
from evalharness.reports.tasks import TaskResult
from evalharness.runner.plan import VariantPlan
from evalharness.runner.reuse import reuse_key
from evalharness.runtimes import Backend, GenerationError
from evalharness.runtimes.base import TaskScoringUnsupported
from evalharness.suite.params import gen_params
from evalharness.suite.schema import Case, Suite
from evalharness.suite.tasks import TaskSpec

BackendFactory = Callable[[VariantPlan], Backend]
Loaded = tuple[Backend, LoadFigures]


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run one variant with its own torch thread count, then restore the previous one."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_variant(factory: BackendFactory, plan: VariantPlan) -> Loaded:
    """The loaded backend and its load figures (null where the model is not in this process)."""
    gpu.reset_peak(plan.device)
    release_free_memory()
    before = current_rss_bytes()
    with Timer() as timer, peak_rss(0.05) as rss:
        backend = factory(plan)
    footprint = backend.footprint_mb()  # accounting, not loading: outside the timer
    release_free_memory()  # the load's freed heap is not the variant's memory
    resident = (current_rss_bytes() - before) / MB  # weights, tokenizer, runtime state as mapped
    if not backend.capabilities.local_memory:
        return backend, LoadFigures()  # the server's figures are not ours to report
    weights, kv = backend.read_per_token()
    return backend, LoadFigures(seconds=timer.seconds, peak_rss_mb=rss.peak_mb, footprint_mb=footprint,
                                resident_mb=resident,
                                gpu_peak_mb=gpu.torch_peak_allocated_mb(plan.device),
                                weights_per_token_mb=None if weights is None else weights / (1024 * 1024),
                                kv_per_position_kb=None if kv is None else kv / 1024)


def warm_up(backend: Backend, suite: Suite, cases: Sequence[Case], plan: VariantPlan,
            note: Callable[[str], None]) -> Measurement | None:
    """Unmeasured generations; the first one's figures (the cold call), when it succeeded."""
    cold = None
    for i in range(suite.warmup):
        case = cases[i % len(cases)]
        try:
            result = backend.generate(backend.encode(case), gen_params(suite, case))
            cold = result if i == 0 else cold
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            note(f"{plan.id}: warm-up failed: {error_text(exc)}")
    return cold


def identity(suite: Suite, case: Case, repeat: int, plan: VariantPlan) -> dict[str, Any]:
    return {"variant_id": plan.id, "case_id": case.id, "repeat": repeat, "tags": list(case.tags),
            "prompt": render_prompt(case.messages, case.prompt)}


def sample_base(backend: Backend, suite: Suite, case: Case, repeat: int, plan: VariantPlan,
                fingerprint: str | None) -> tuple[dict[str, Any], Any]:
    """A sample's identity fields (its reuse key included) and the prompt as the runtime encodes it."""
    prompt = backend.encode(case)
    key = reuse_key(plan, fingerprint, gen_params(suite, case), prompt, repeat)
    return {**identity(suite, case, repeat, plan), "reuse_key": key}, prompt


def measure_one(backend: Backend, suite: Suite, case: Case, repeat: int, plan: VariantPlan,
                fingerprint: str | None = None) -> tuple[Sample, bool]:
    """One sample, and whether the variant must stop (out of memory)."""
    base = identity(suite, case, repeat, plan)
    try:
        base, prompt = sample_base(backend, suite, case, repeat, plan, fingerprint)
        generation = backend.generate(prompt, gen_params(suite, case))
    except GenerationError as exc:
        return failed_sample(base, str(exc)), False
    except Exception as exc:
        fatal = plan.runtime.is_fatal(exc)
        return failed_sample(base, ("out of memory: " if fatal else "generation failed: ") + error_text(exc)), fatal
    return Sample(**base, **generation.model_dump(), success=True, error=None), False


def score_task(backend: Backend, spec: TaskSpec, full: bool, report: Any = None) -> TaskResult:
    """One benchmark task on the loaded variant (outside every timed block of the generations)."""
    from evalharness.tasks.run import TaskRequest, failed, score_task, task_source

    path = Path(task_source(spec))
    request = TaskRequest(path, spec.num_fewshot, None if full else spec.limit, spec.seed)
    try:
        scorer = backend.task_scorer()
    except TaskScoringUnsupported as exc:
        return failed(request, f"not supported: {exc}")
    return score_task(scorer, request, report)


def failed_sample(base: dict[str, Any], error: str) -> Sample:
    return Sample(**base, output=None, output_tokens=None, latency_s=None, ttft_s=None,
                  prefill_tokens_per_s=None, decode_tokens_per_s=None, peak_rss_mb=None,
                  gpu_peak_mb=None, success=False, error=error)
