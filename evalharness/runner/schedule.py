"""Running a group of variants: open a session for each (a worker process, or this process), load
and warm them, measure their (case, repeat) units, take fidelity, score benchmark tasks, close.

A sequential run is a group of one variant at a time. An interleaved run is one group of every
variant, all warm at once (within a memory budget checked before each load), measured
round-robin unit by unit, the order of the variants reversed on every other unit, so a slowdown
of a shared machine lands on all of them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

from evalharness.lifecycle import error_text
from evalharness.reports.schema import LoadFigures, Sample, Variant, VariantStatus, WorkerFigures
from evalharness.reports.writer import SamplesLog
from evalharness.runner.plan import VariantPlan, reference_for, reference_of, reference_rank
from evalharness.runner.progress import Progress, StepProgress
from evalharness.runner.reuse import ReuseTable
from evalharness.runner.session import LoadFailed, Session, WorkerDied
from evalharness.suite.schema import Case, Suite
from evalharness.tasks.summary import task_line

Unit = tuple[int, int]  # (case index, repeat)


class RunState(Protocol):
    """What the scheduler reads and writes of the run (the runner's state)."""

    plans: list[VariantPlan]
    log: SamplesLog
    references_dir: Path

    @property
    def variants(self) -> dict[str, Variant]: ...
    @property
    def samples(self) -> dict[tuple[str, str, int], Sample]: ...


@dataclass
class GroupContext:
    suite: Suite
    cases: Sequence[Case]
    progress: Progress
    open_session: Callable[[VariantPlan], Session]
    new_variant: Callable[..., Variant]  # (plan, status, error=None, load=None) -> Variant
    memory_budget_mb: float | None = None
    reuse: Mapping[str, ReuseTable] | None = None  # --reuse: earlier samples by variant id
    reuse_timings: bool = False
    tasks: Mapping[str, list[int]] | None = None  # the suite's task indices each variant still scores
    full_tasks: bool = False  # --full-tasks: every item of each task, whatever its `limit`


@dataclass
class _Live:
    session: Session
    todo: list[Unit]


def available_memory_mb() -> float:
    return psutil.virtual_memory().available / (1024 * 1024)


class Group:
    def __init__(self, ctx: GroupContext, state: RunState, todo: dict[str, list[Unit]]) -> None:
        self.ctx = ctx
        self.state = state
        self.todo = todo
        self.live: dict[str, _Live] = {}
        # a worker's RSS high-water mark before task scoring: the variant's memory is its generations',
        # not that of a batch of teacher-forced logits
        self.before_tasks: dict[str, WorkerFigures | None] = {}

    # -- the whole group ------------------------------------------------------------------------
    def run(self, plans: Sequence[VariantPlan]) -> None:
        try:
            for plan in plans:
                if not self._fits(plan):
                    continue
                self._open(plan)
            for vid in list(self.live):
                self._warm(vid)
            self._measure_round_robin()
            for vid in sorted(self.live, key=self._reference_rank):
                self._fidelity(vid)
            for vid in list(self.live):
                self._tasks(vid)
        except BaseException:  # interrupted: a worker may be mid-command, so end it, do not ask
            for live in self.live.values():
                live.session.kill()
            self.live.clear()
            raise
        for vid in list(self.live):
            self._close(vid)

    def _fits(self, plan: VariantPlan) -> bool:
        """Before another variant is loaded beside warm ones: does it fit the memory budget?"""
        if not self.live:
            return True
        sizes = [self._size(vid) for vid in self.live]
        need = sum(sizes) + max(sizes)  # the next one is assumed as large as the largest so far
        budget = self.ctx.memory_budget_mb or 0.9 * (available_memory_mb() + sum(sizes))
        if need <= budget:
            return True
        why = (f"not loaded: the interleaved schedule's memory budget ({budget:,.0f} MB) cannot hold "
               f"another warm variant beside {len(sizes)} using {sum(sizes):,.0f} MB; raise "
               "memory_budget_mb, run fewer variants (--variant) or use --schedule sequential")
        self._finish(plan, "skipped", why, self._steps(plan.id))
        return False

    def _steps(self, vid: str) -> int:
        """A variant's progress steps: its units, their warm-up and its tasks."""
        units = len(self.todo[vid])
        return units + (self.ctx.suite.warmup if units else 0) + len((self.ctx.tasks or {}).get(vid, []))

    def _size(self, vid: str) -> float:
        variant = self.state.variants[vid]
        worker = variant.worker.hwm_rss_mb if variant.worker else None
        return worker or variant.load.peak_rss_mb or variant.load.footprint_mb or 0.0

    # -- one variant's steps ----------------------------------------------------------------------
    def _open(self, plan: VariantPlan) -> None:
        steps_left = self._steps(plan.id)
        self.ctx.progress.message(f"{plan.id}: loading")
        try:
            session = self.ctx.open_session(plan)
        except (TypeError, OSError) as exc:  # an unpicklable factory; no process to be had
            self._finish(plan, "failed", f"could not start: {error_text(exc)}", steps_left)
            return
        try:
            load = session.load()
        except (LoadFailed, WorkerDied) as exc:
            figures = exc.figures if isinstance(exc, WorkerDied) else session.figures
            session.close()
            why = str(exc) if isinstance(exc, LoadFailed) else f"load failed: {exc}"
            self._finish(plan, "failed", why, steps_left, worker=figures)
            return
        self.live[plan.id] = _Live(session, list(self.todo[plan.id]))
        prior = self.state.variants.get(plan.id)  # a resumed run keeps the tasks it already scored
        self._record(self.ctx.new_variant(plan, "ok", load=load).model_copy(
            update={"worker": session.figures, "tasks": prior.tasks if prior is not None else []}))
        if self.ctx.reuse is not None:
            self._reuse(plan.id)

    def _reuse(self, vid: str) -> None:
        """--reuse: units an earlier run generated with the same key are taken, not generated."""
        live = self.live[vid]
        try:
            taken = live.session.reuse(live.todo, self.ctx.reuse.get(vid, {}), self.ctx.reuse_timings)
        except WorkerDied as died:
            self._died(vid, died)
            return
        index = {c.id: i for i, c in enumerate(self.ctx.cases)}
        for sample in taken:
            self.state.samples[sample.key] = sample
            self.state.log.write("sample", sample)
            live.todo.remove((index[sample.case_id], sample.repeat))
        self.ctx.progress.advance(len(taken) + (self.ctx.suite.warmup if not live.todo else 0),
                                  note=f"{vid} reused {len(taken)}")

    def _warm(self, vid: str) -> None:
        live = self.live.get(vid)
        if live is None or not live.todo:  # nothing left to generate (all reused): no warm-up either
            return
        try:
            warm = live.session.warm_up()
        except WorkerDied as died:
            self._died(vid, died)
            return
        for problem in warm.problems:
            self.ctx.progress.message(problem)
        self.ctx.progress.advance(self.ctx.suite.warmup, note=f"{vid} warm-up")
        if warm.cold is not None:
            self._update(vid, load=warm.cold, worker=live.session.figures)

    def _measure_round_robin(self) -> None:
        units = sorted({u for live in self.live.values() for u in live.todo}, key=lambda u: (u[1], u[0]))
        for k, unit in enumerate(units):
            order = list(self.live) if k % 2 == 0 else list(reversed(self.live))
            for vid in order:
                live = self.live.get(vid)
                if live is not None and unit in live.todo:
                    self._measure(vid, unit)

    def _measure(self, vid: str, unit: Unit) -> None:
        live = self.live[vid]
        try:
            sample, fatal = live.session.measure(*unit)
        except WorkerDied as died:
            self._died(vid, died)
            return
        self.state.samples[sample.key] = sample
        self.state.log.write("sample", sample)
        self.ctx.progress.advance(1, note=f"{vid} {sample.case_id}")
        if fatal:
            self._update(vid, status="failed", error=sample.error)
            self.ctx.progress.message(f"{vid}: stopped: {sample.error}")
            self._close(vid)

    def _fidelity(self, vid: str) -> None:
        """Outside every timed block: teacher-forced comparison with the reference variant."""
        suite = self.ctx.suite
        live = self.live[vid]
        plan = live.session.plan
        if not suite.fidelity.enabled or self.state.variants[vid].status != "ok":
            return
        # a model's reference first keeps its own answers and log-probs for the others; an
        # adapter's reference then compares itself with its base model's reference
        compare = reference_for(suite, self.state.plans, plan)
        ref_ids = [vid] if reference_of(suite, self.state.plans, plan.model.label) == plan else []
        ref_ids += [compare.id] if compare is not None else []
        for ref_id in ref_ids:
            try:
                updated = live.session.fidelity(ref_id, self.state.samples, self.state.references_dir)
            except WorkerDied as died:
                self._died(vid, died)
                return
            except RuntimeError as exc:  # a fidelity bug must not cost the variant's measurements
                self.ctx.progress.message(f"{vid}: fidelity not measured: {exc}")
                return
            for sample in updated:
                self.state.samples[sample.key] = sample
                self.state.log.write("sample", sample)

    def _tasks(self, vid: str) -> None:
        """Outside every timed block: the benchmark tasks, each recorded as soon as it is scored."""
        if self.state.variants[vid].status != "ok" or not (self.ctx.tasks or {}).get(vid):
            return
        self.before_tasks[vid] = self.live[vid].session.figures
        for index in (self.ctx.tasks or {}).get(vid, []):
            live = self.live.get(vid)
            if live is None:
                return
            label = self.ctx.suite.tasks[index].label
            self.ctx.progress.message(f"{vid}: scoring task {label}")
            live.session.on_progress = StepProgress(self.ctx.progress, f"{vid}: {label}")
            try:
                result = live.session.score_task(index, self.ctx.full_tasks)
            except WorkerDied as died:
                self._died(vid, died)
                return
            except RuntimeError as exc:  # a scoring bug must not cost the variant's measurements
                self.ctx.progress.message(f"{vid}: task {label} not scored: {exc}")
                self.ctx.progress.advance(1)
                continue
            tasks = [t for t in self.state.variants[vid].tasks if t.task != result.task] + [result]
            self._record(self.state.variants[vid].model_copy(update={"tasks": tasks}))
            self.ctx.progress.message(f"{vid}: {task_line(result)}")
            self.ctx.progress.advance(1, note=f"{vid} {result.task}")

    def _close(self, vid: str) -> None:
        live = self.live.pop(vid)
        figures = live.session.close()
        before = self.before_tasks.get(vid)
        if figures is not None and before is not None and before.hwm_rss_mb is not None:
            figures = figures.model_copy(update={"hwm_rss_mb": before.hwm_rss_mb})
        if figures is not None and self.state.variants[vid].status == "ok":
            self._update(vid, worker=figures)

    def _died(self, vid: str, died: WorkerDied) -> None:
        live = self.live[vid]
        left = len([u for u in live.todo if self._key(vid, u) not in self.state.samples])
        self._update(vid, status="failed", error=str(died), worker=died.figures)
        self.ctx.progress.message(f"{vid}: failed: {died}")
        self.ctx.progress.advance(left)
        self._close(vid)

    # -- records ----------------------------------------------------------------------------------
    def _reference_rank(self, vid: str) -> int:
        return reference_rank(self.ctx.suite, self.state.plans, self.live[vid].session.plan)

    def _key(self, vid: str, unit: Unit) -> tuple[str, str, int]:
        return (vid, self.ctx.cases[unit[0]].id, unit[1])

    def _record(self, variant: Variant) -> None:
        self.state.variants[variant.id] = variant
        self.state.log.write("variant", variant)

    def _update(self, vid: str, *, status: VariantStatus | None = None, error: str | None = None,
                load: LoadFigures | None = None, worker: WorkerFigures | None = None) -> None:
        changes = {k: v for k, v in {"status": status, "error": error, "load": load,
                                      "worker": worker}.items() if v is not None}
        self._record(self.state.variants[vid].model_copy(update=changes))

    def _finish(self, plan: VariantPlan, status: VariantStatus, why: str, steps_left: int,
                worker: WorkerFigures | None = None) -> None:
        self._record(self.ctx.new_variant(plan, status, why).model_copy(update={"worker": worker}))
        self.ctx.progress.message(f"{plan.id}: {why}")
        self.ctx.progress.advance(steps_left)

