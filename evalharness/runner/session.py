"""A variant's session: the steps the scheduler drives for one loaded variant.

`InProcessSession` runs them in this process; `runner.worker.WorkerSession` runs the very same
object in a worker process of its own and forwards each step over a pipe. The scheduler sees
one interface either way: load, warm_up, measure, fidelity, score_task, close.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalharness.lifecycle import error_text
from evalharness.measure.memory import high_water_mark_mb
from evalharness.models.sources import SOURCES, folder_fingerprint
from evalharness.reports.schema import LoadFigures, Sample, WorkerFigures
from evalharness.reports.tasks import TaskResult
from evalharness.runner import variant as steps
from evalharness.runner.fidelity import ReferenceStore, measure_fidelity
from evalharness.runner.plan import VariantPlan
from evalharness.runner.reuse import ReuseTable, reused
from evalharness.runtimes import Backend
from evalharness.suite.schema import Case, Suite


class LoadFailed(Exception):
    """The variant could not be loaded; the message says why."""


class WorkerDied(Exception):
    """The variant's worker process ended (signal, exit, timeout); the message names the cause."""

    def __init__(self, cause: str, figures: WorkerFigures | None = None) -> None:
        super().__init__(cause)
        self.figures = figures


@dataclass
class WarmUp:
    cold: LoadFigures | None  # the load figures with the cold first call added, when measured
    problems: list[str] = field(default_factory=list)


class Session(Protocol):
    plan: VariantPlan
    figures: WorkerFigures | None  # the worker's pid, RSS high-water mark, how it ended
    on_progress: Callable[[int, int], None] | None  # told (requests done, total) while a task is scored

    def load(self) -> LoadFigures: ...
    def warm_up(self) -> WarmUp: ...
    def measure(self, case_index: int, repeat: int) -> tuple[Sample, bool]: ...
    def fidelity(self, ref_id: str, samples: Mapping[tuple[str, str, int], Sample],
                 store_dir: Path) -> list[Sample]: ...
    def reuse(self, units: Sequence[tuple[int, int]], table: ReuseTable, timings: bool) -> list[Sample]: ...
    def score_task(self, task_index: int, full: bool) -> TaskResult: ...
    def close(self) -> WorkerFigures | None: ...
    def kill(self) -> None: ...


class InProcessSession:
    """One variant loaded in this process (`--isolation none`, and the body of every worker)."""

    def __init__(self, plan: VariantPlan, suite: Suite, cases: Sequence[Case],
                 factory: steps.BackendFactory) -> None:
        self.plan = plan
        self.suite = suite
        self.cases = list(cases)
        self.factory = factory
        self.backend: Backend | None = None
        self.load_figures = LoadFigures()
        self.figures: WorkerFigures | None = None
        self.fingerprint: str | None = None
        self.on_progress: Callable[[int, int], None] | None = None

    def load(self) -> LoadFigures:
        with steps.torch_threads(self.plan.axes.threads):
            try:
                self.backend, self.load_figures = steps.load_variant(self.factory, self.plan)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # a variant that cannot load is data, not a crash
                raise LoadFailed(f"load failed: {error_text(exc)}") from None
        with_images = [c.id for c in self.cases if c.images]
        if with_images and not getattr(self.backend, "accepts_images", False):
            self.close()
            shown = ", ".join(with_images[:3]) + (f" and {len(with_images) - 3} more" if len(with_images) > 3 else "")
            raise LoadFailed(f"this model reads text only, and cases {shown} have images: give a vision model "
                             "(Gemma 3 4B and up, tiny-random-gemma3-vision) or leave those cases out")
        try:
            self.fingerprint = SOURCES.get(self.plan.model.source).fingerprint(self.plan.model.id,
                                                                               self.plan.model.revision)
            if self.fingerprint is not None and self.plan.model.adapter is not None:
                adapter = folder_fingerprint(Path(self.plan.model.adapter))
                self.fingerprint += f" adapter-sha256:{adapter}"
        except OSError:
            self.fingerprint = None  # no key: outputs are generated every time
        return self.load_figures

    def warm_up(self) -> WarmUp:
        backend = self._loaded()
        problems: list[str] = []
        with steps.torch_threads(self.plan.axes.threads):
            cold = steps.warm_up(backend, self.suite, self.cases, self.plan, problems.append)
        if cold is None or not backend.capabilities.local_memory:
            return WarmUp(None, problems)
        self.load_figures = self.load_figures.model_copy(
            update={"cold_ttft_s": cold.ttft_s, "cold_latency_s": cold.latency_s})
        return WarmUp(self.load_figures, problems)

    def measure(self, case_index: int, repeat: int) -> tuple[Sample, bool]:
        with steps.torch_threads(self.plan.axes.threads):
            return steps.measure_one(self._loaded(), self.suite, self.cases[case_index], repeat, self.plan,
                                     self.fingerprint)

    def reuse(self, units: Sequence[tuple[int, int]], table: ReuseTable, timings: bool) -> list[Sample]:
        """Samples for those units whose reuse key an earlier run already generated."""
        out = []
        for case_index, repeat in units:
            base, _ = steps.sample_base(self._loaded(), self.suite, self.cases[case_index], repeat, self.plan,
                                        self.fingerprint)
            earlier = table.get(base["reuse_key"]) if base["reuse_key"] else None
            if earlier is not None:
                out.append(reused(earlier, base, timings))
        return out

    def fidelity(self, ref_id: str, samples: Mapping[tuple[str, str, int], Sample],
                 store_dir: Path) -> list[Sample]:
        """Outside every timed block: teacher-forced comparison with the reference variant."""
        backend = self._loaded()
        with steps.torch_threads(self.plan.axes.threads):
            return measure_fidelity(backend, self.plan.id, ref_id, self.cases, self.suite, samples,
                                    ReferenceStore(store_dir),
                                    supported=backend.capabilities.teacher_forced_logprobs)

    def score_task(self, task_index: int, full: bool) -> TaskResult:
        """Outside every timed block: one of the suite's benchmark tasks."""
        with steps.torch_threads(self.plan.axes.threads):
            return steps.score_task(self._loaded(), self.suite.tasks[task_index], full, self.on_progress)

    def close(self) -> WorkerFigures | None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None
        return None

    def kill(self) -> None:
        self.close()

    def _loaded(self) -> Backend:
        if self.backend is None:
            raise RuntimeError(f"{self.plan.id}: not loaded")
        return self.backend


def remote_body(plan: VariantPlan, suite: Suite, cases: list[Case], factory: steps.BackendFactory,
                threads: int | None) -> InProcessSession:
    """What a worker process or a Ray actor runs: torch threads set, the factory's imports and
    conversions done (before any load timer), and the variant's `InProcessSession`."""
    if threads is not None:
        with contextlib.suppress(ImportError):
            import torch

            torch.set_num_threads(threads)
    prepare = getattr(factory, "prepare", None)
    if prepare is not None:
        with contextlib.suppress(Exception):  # the load reports what went wrong
            prepare(plan)
    return InProcessSession(plan, suite, cases, factory)


def answer(session: InProcessSession, name: str, args: tuple[Any, ...]) -> tuple[str, Any, float | None]:
    """One step run remotely: (outcome, value, the process's RSS high-water mark), where the
    outcome is "ok", "load-failed" or "error" (the value then says why)."""
    try:
        reply: tuple[str, Any] = ("ok", getattr(session, name)(*args))
    except LoadFailed as exc:
        reply = ("load-failed", str(exc))
    except Exception as exc:
        reply = ("error", error_text(exc))
    return (*reply, high_water_mark_mb())


class RemoteSteps:
    """The steps of a session that runs elsewhere (a worker process, a Ray actor), each forwarded
    as one `_call`; a fidelity step sends only the variant's own samples."""

    plan: VariantPlan
    on_progress: Callable[[int, int], None] | None = None  # a worker process tells it; a Ray actor does not

    def _call(self, name: str, *args: Any) -> Any:
        raise NotImplementedError

    def load(self) -> LoadFigures:
        return self._call("load")

    def warm_up(self) -> WarmUp:
        return self._call("warm_up")

    def measure(self, case_index: int, repeat: int) -> tuple[Sample, bool]:
        return self._call("measure", case_index, repeat)

    def fidelity(self, ref_id: str, samples: Mapping[tuple[str, str, int], Sample],
                 store_dir: Path) -> list[Sample]:
        own = {k: s for k, s in samples.items() if k[0] == self.plan.id}
        return self._call("fidelity", ref_id, own, store_dir)

    def reuse(self, units: Sequence[tuple[int, int]], table: ReuseTable, timings: bool) -> list[Sample]:
        return self._call("reuse", list(units), table, timings)

    def score_task(self, task_index: int, full: bool) -> TaskResult:
        return self._call("score_task", task_index, full)
