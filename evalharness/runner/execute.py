"""The Runner: executes a plan variant by variant, logging every record as it is made, and
writes the report (running, then complete / partial / failed)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evalharness.alerts import evaluate
from evalharness.lifecycle import new_run_id, now_iso, sigterm_as_interrupt
from evalharness.measure.environment import environment
from evalharness.measure.roofline import machine_bandwidth_gbs
from evalharness.models.sources import SOURCES
from evalharness.reports.reader import SamplesLogContent, read_samples_log
from evalharness.reports.schema import (
    SCHEMA_VERSION,
    Environment,
    LoadFigures,
    ModelRef,
    NodeRecord,
    Report,
    ResumeRecord,
    RunConfig,
    RunHeader,
    RunStatus,
    Sample,
    SuiteRef,
    Variant,
    VariantStatus,
)
from evalharness.reports.store import ResultsStore
from evalharness.reports.writer import SamplesLog, atomic_write_json
from evalharness.runner import variant as steps
from evalharness.runner.assemble import assembled, run_status
from evalharness.runner.fidelity import ReferenceStore
from evalharness.runner.plan import (
    VariantPlan,
    in_shard,
    plan_variants,
    reference_for,
    reference_rank,
    resolve_device,
    task_in_shard,
)
from evalharness.runner.progress import NullProgress, Progress
from evalharness.runner.ray_session import RayContext, RaySession, connect, run_concurrently
from evalharness.runner.reuse import earlier_samples, suite_reports
from evalharness.runner.schedule import Group, GroupContext
from evalharness.runner.session import InProcessSession, Session
from evalharness.runner.worker import WorkerSession, start_early
from evalharness.runtimes import Backend
from evalharness.scoring import OpenScorers, score_samples
from evalharness.suite.loader import LoadedSuite
from evalharness.suite.schema import Axes, Case
from evalharness.tasks.run import task_source


@dataclass(frozen=True)
class RunOptions:
    output_dir: Path = Path("results")
    repeats: int | None = None
    variant_patterns: tuple[str, ...] = ()
    threads: int | None = None  # overrides the suite's `threads`
    isolation: Literal["process", "none"] | None = None  # these four: None takes the suite's
    schedule: Literal["sequential", "interleaved"] | None = None
    variant_timeout_s: float | None = None
    memory_budget_mb: float | None = None
    shard: str | None = None  # "K/N": measure only this share of the (case, repeat) units
    reuse: bool = False  # take outputs of unchanged cells from earlier runs of the suite
    reuse_timings: bool = False  # ... and their timings
    full_tasks: bool = False  # score every item of each benchmark task, whatever its `limit`
    executor: Literal["local", "ray"] = "local"  # ray: each variant a Ray actor, placed by Ray
    ray_address: str | None = None  # a running cluster (else RAY_ADDRESS, else a local Ray)
    ray_retries: int = 1  # a lost actor is started again this many times, then the variant fails


@dataclass
class RunOutcome:
    report: Report
    report_path: Path
    samples_path: Path
    interrupted: bool = False


class RuntimeFactory:
    """Loads a variant with its runtime; `prepare` does the imports a load timer must not count."""

    def prepare(self, plan: VariantPlan) -> None:
        plan.runtime.prepare([plan])

    def __call__(self, plan: VariantPlan) -> Backend:
        return plan.runtime.load(plan)


default_factory = RuntimeFactory()


@dataclass
class _RunState:
    header: RunHeader
    plans: list[VariantPlan]
    report_path: Path
    log: SamplesLog
    content: SamplesLogContent = field(default_factory=SamplesLogContent)
    references: ReferenceStore = field(default_factory=ReferenceStore)

    @property
    def variants(self) -> dict[str, Variant]:
        return self.content.variants

    @property
    def samples(self) -> dict[tuple[str, str, int], Sample]:
        return self.content.samples

    @property
    def references_dir(self) -> Path:
        return self.references.root


class Runner:
    def __init__(self, loaded: LoadedSuite, options: RunOptions = RunOptions(),
                 factory: steps.BackendFactory = default_factory, progress: Progress | None = None) -> None:
        self.loaded = loaded
        self.suite = loaded.suite
        self.options = options
        self.factory = factory
        self.progress = progress or NullProgress()
        self._ray: RayContext | None = None
        self._report_lock = threading.Lock()

    # -- public -------------------------------------------------------------------------------
    def run(self, run_id: str | None = None) -> RunOutcome:
        run_id = run_id or new_run_id()
        plans = plan_variants(self.suite, resolve_device(self.suite.device), self.options.variant_patterns)
        repeats = self.options.repeats or self.suite.repeats
        header = RunHeader(
            schema_version=SCHEMA_VERSION, run_id=run_id, started_at=now_iso(), suite=self._suite_ref(),
            environment=self._environment(plans), config=self._config(repeats),
            plan=[p.entry() for p in plans])
        samples_path = self.options.output_dir / self.suite.name / f"{run_id}.samples.jsonl"
        state = _RunState(header, plans, samples_path.with_name(f"{run_id}.json"), SamplesLog(samples_path))
        state.log.write("header", header)
        state.content.header = header
        return self._execute(state)

    def resume(self, samples_path: Path) -> RunOutcome:
        log = SamplesLog(samples_path)  # first: raises RunInUse while another process writes the run
        try:
            content = read_samples_log(samples_path)
            if content.header is None:
                raise ValueError(f"{samples_path}: no run header; cannot resume")
            header = content.header
            plans = [VariantPlan.from_entry(e) for e in header.plan]
            dropped = content.dropped()
            if dropped:
                self.progress.warn(f"{samples_path.name}: left out {dropped}; those units are measured again")
            self._drop_unplanned(content, plans)
            resume = ResumeRecord(at=now_iso(), environment=Environment.model_validate(environment()))
            log.write("resume", resume)
        except BaseException:
            log.close()  # never a stale lock: the next resume must be able to take the run
            raise
        content.resumes.append(resume)
        state = _RunState(header, plans, samples_path.with_name(f"{header.run_id}.json"), log, content)
        self.progress.message(f"resuming {header.run_id}: {len(content.samples)} samples already measured are kept")
        return self._execute(state)

    def _drop_unplanned(self, content: SamplesLogContent, plans: Sequence[VariantPlan]) -> None:
        """Records the plan never asked for (a log edited or mixed by hand) are left out."""
        planned = {p.id for p in plans}
        cases = {c.id for c in self.loaded.cases}
        repeats = content.header.config.repeats if content.header else 0
        stray = [k for k in content.samples if k[0] not in planned or k[1] not in cases or not 0 <= k[2] < repeats]
        for key in stray:
            del content.samples[key]
        for vid in [v for v in content.variants if v not in planned]:
            del content.variants[vid]
        if stray:
            self.progress.warn(f"{len(stray)} sample(s) outside the run's plan were dropped")

    # -- internals ----------------------------------------------------------------------------
    def _environment(self, plans: Sequence[VariantPlan]) -> Environment:
        env = environment()
        if any(p.device == "cpu" and p.runtime.capabilities.local_memory for p in plans):
            self.progress.message("measuring this machine's memory bandwidth (once; then cached)")
            env["memory_bandwidth_gbs"] = machine_bandwidth_gbs()
        return Environment.model_validate(env)

    def _suite_ref(self) -> SuiteRef:
        return SuiteRef(name=self.suite.name, path=str(self.loaded.path.resolve()), sha256=self.loaded.sha256)

    def _threads(self) -> int | None:
        return self.options.threads or self.suite.threads

    def _config(self, repeats: int) -> RunConfig:
        return RunConfig(warmup=self.suite.warmup, repeats=repeats, threads=self._threads(),
                         generation=self.suite.generation.model_dump(), scorers=list(self.suite.scorers),
                         cases=len(self.loaded.cases), isolation=self.isolation, schedule=self.schedule,
                         shard=self.options.shard, executor=self.options.executor)

    def _execute(self, state: _RunState) -> RunOutcome:
        pending = [p for p in state.plans if self._todo(state, p) or self._tasks_todo(state, p)]
        total = sum(len(units) + (self.suite.warmup if units else 0) + len(self._tasks_todo(state, p))
                    for p in pending for units in [self._todo(state, p)])
        if self._threads() is not None and self.isolation == "none":
            import torch

            torch.set_num_threads(self._threads())
        if self.options.executor == "ray":
            self.progress.message(connect(self.options.ray_address))
            self._ray = RayContext(self._threads(), self.options.variant_timeout_s or self.suite.variant_timeout_s,
                                   self.options.ray_retries, on_node=lambda node, env: self._node(state, node, env),
                                   nodes=state.content.nodes)
        elif self.isolation == "process" and pending:
            start_early()
        for runtime in {id(p.runtime): p.runtime for p in pending}.values():
            runtime.prepare([p for p in pending if p.runtime is runtime])  # conversions, once
        self.progress.start(total)
        self._write_report(state, "running")
        interrupted = False
        try:
            with sigterm_as_interrupt():
                self._run_groups(state, pending)
        except KeyboardInterrupt:
            interrupted = True
            self.progress.message("interrupted: writing a partial report with every finished sample")
        finally:
            self.progress.stop()
            state.log.close()
        content = state.content
        status = run_status(interrupted, list(content.variants.values()), list(content.samples.values()))
        report = self._write_report(state, status)
        state.references.close()
        self._index(state.report_path, report)
        return RunOutcome(report, state.report_path, state.log.path, interrupted)

    def _run_groups(self, state: _RunState, pending: Sequence[VariantPlan]) -> None:
        """Sequential: one group per variant; interleaved: one group of every supported variant."""
        reuse = None
        if self.options.reuse:
            reports = suite_reports(self.options.output_dir, self.suite.name)
            self.progress.message(f"--reuse: reading {len(reports)} earlier report(s) of {self.suite.name}")
            reuse = earlier_samples(reports, skip_run=state.header.run_id)
        ctx = GroupContext(self.suite, self.loaded.cases, self.progress, self._open_session, self._variant,
                           self.options.memory_budget_mb or self.suite.memory_budget_mb, reuse,
                           self.options.reuse_timings, {p.id: self._tasks_todo(state, p) for p in pending},
                           self.options.full_tasks)
        todo = {p.id: self._units(state, p) for p in pending}
        runnable = [p for p in pending if self._supported(state, p)]
        groups = [runnable] if self.schedule == "interleaved" else [[p] for p in runnable]

        def run_one(group: list[VariantPlan]) -> None:
            Group(ctx, state, todo).run(group)
            self._write_report(state, "running")

        if self._ray is None:
            for group in groups:
                run_one(group)
            return
        # on Ray, variants run at once; references first (base models' before adapters'), as
        # fidelity needs their answers
        rank = {p.id: reference_rank(self.suite, state.plans, p) for p in state.plans}
        for phase in range(3):
            run_concurrently([g for g in groups if min(rank[p.id] for p in g) == phase], run_one,
                             self._ray.cancel)

    def _index(self, report_path: Path, report: Report) -> None:
        """Add the finished report to the results store's index (the dashboard then need not read it)."""
        try:
            ResultsStore(self.options.output_dir).add(report_path, report)
        except (OSError, sqlite3.Error) as exc:  # the index is derived: a run never fails over it
            self.progress.message(f"results index not updated ({exc}); the dashboard will read the report")

    def _node(self, state: _RunState, node: str, env: Environment) -> None:
        """A Ray node seen for the first time: its environment goes into the log (and the report)."""
        state.log.write("node", NodeRecord(id=node, environment=env))
        self.progress.message(f"ray: node {node[:12]} ({env.cpu_model or '?'}, {env.cpu_count or '?'} CPUs)")

    @property
    def isolation(self) -> str:
        if self.options.executor == "ray":
            return "process"  # every Ray actor is a process of its own
        return self.options.isolation or self.suite.isolation

    @property
    def schedule(self) -> str:
        return self.options.schedule or self.suite.schedule

    def _open_session(self, plan: VariantPlan) -> Session:
        if self._ray is not None:
            return RaySession(plan, self.suite, self.loaded.cases, self.factory, self._ray)
        if self.isolation == "none":
            return InProcessSession(plan, self.suite, self.loaded.cases, self.factory)
        return WorkerSession(plan, self.suite, self.loaded.cases, self.factory, self._threads(),
                             self.options.variant_timeout_s or self.suite.variant_timeout_s)

    def _supported(self, state: _RunState, plan: VariantPlan) -> bool:
        from evalharness.quantization import SCHEMES

        reason = SCHEMES.get(plan.quantization).unsupported_reason(plan.device)
        if reason:
            why = f"not supported here: {reason}"
            state.content.variants[plan.id] = self._variant(plan, "skipped", why)
            state.log.write("variant", state.content.variants[plan.id])
            self.progress.message(f"{plan.id}: {why}")
            units = len(self._todo(state, plan))
            self.progress.advance(units + (self.suite.warmup if units else 0) + len(self._tasks_todo(state, plan)))
        return not reason

    def _units(self, state: _RunState, plan: VariantPlan) -> list[tuple[int, int]]:
        index = {c.id: i for i, c in enumerate(self.loaded.cases)}
        return [(index[c.id], r) for c, r in self._todo(state, plan)]

    def _todo(self, state: _RunState, plan: VariantPlan) -> list[tuple[Case, int]]:
        prior = state.content.variants.get(plan.id)
        if prior is not None and prior.status in ("skipped", "failed"):
            return []
        done = state.content.samples
        shard, n = state.header.config.shard, len(self.loaded.cases)
        return [(c, r) for i, c in enumerate(self.loaded.cases) for r in range(state.header.config.repeats)
                if (plan.id, c.id, r) not in done and in_shard(shard, i, r, n)]

    def _tasks_todo(self, state: _RunState, plan: VariantPlan) -> list[int]:
        """The suite's task indices this variant (in this shard) has not scored yet."""
        prior = state.content.variants.get(plan.id)
        if prior is not None and prior.status in ("skipped", "failed"):
            return []
        done = {t.source for t in prior.tasks if t.error is None} if prior is not None else set()
        return [i for i, spec in enumerate(self.suite.tasks)
                if task_in_shard(state.header.config.shard, i) and task_source(spec) not in done]

    def _variant(self, plan: VariantPlan, status: VariantStatus, error: str | None = None,
                 load: LoadFigures | None = None) -> Variant:
        return Variant(
            id=plan.id, model=ModelRef(source=plan.model.source, id=plan.model.id, label=plan.model.label,
                                             adapter=plan.model.adapter),
            quantization=plan.quantization, device=plan.device,
            axes={k: v for k, v in plan.axes.model_dump().items() if v != Axes.model_fields[k].default},
            backend=plan.runtime.name, synthetic=SOURCES.get(plan.model.source).synthetic,
            status=status, error=error, load=load or LoadFigures(),
        )

    def _write_report(self, state: _RunState, status: RunStatus) -> Report:
        scored = status != "running"
        order = {p.id: i for i, p in enumerate(state.plans)}
        case_order = {c.id: i for i, c in enumerate(self.loaded.cases)}
        samples = sorted(state.content.samples.values(),
                         key=lambda s: (order.get(s.variant_id, 1 << 30), case_order.get(s.case_id, 0), s.repeat))
        if scored:
            with OpenScorers.of_suite(self.suite, self.loaded.path.parent) as scorers:
                samples = score_samples(samples, {c.id: c for c in self.loaded.cases}, self.suite.scorers,
                                        self.suite.tag_scorers, scorers)
        variants: list[Variant] = []
        for plan in state.plans:
            v = state.content.variants.get(plan.id)
            if v is None:
                if not scored:
                    continue
                v = self._variant(plan, "skipped", "not run: the run was interrupted first"
                                  if status == "partial" else "not run")
            variants.append(v)
        refs = None
        if scored and self.suite.fidelity.enabled:
            refs = {p.id: r.id for p in state.plans if (r := reference_for(self.suite, state.plans, p)) is not None}
        variants = assembled(variants, samples, state.header.environment.memory_bandwidth_gbs, refs)
        alerts = evaluate(self.suite.all_alert_rules(), variants, samples) if scored else []
        h = state.header
        report = Report(schema_version=SCHEMA_VERSION, run_id=h.run_id, suite=h.suite, started_at=h.started_at,
                        finished_at=None if status == "running" else now_iso(), status=status,
                        environment=h.environment, config=h.config, variants=variants, samples=samples,
                        alerts=alerts, resumed=state.content.resumes, nodes=dict(state.content.nodes))
        with self._report_lock:
            atomic_write_json(state.report_path, report)
        return report
