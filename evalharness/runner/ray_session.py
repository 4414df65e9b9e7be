"""`--executor ray`: each variant's session is a Ray actor, placed by Ray on any node of the
cluster with the variant's resources (CPU threads; one GPU for a CUDA variant).

The actor runs the very `InProcessSession` a worker process runs and answers each step with its
typed result and its own RSS high-water mark; the driver alone writes the samples log and the
report, and marks each sample with the node it ran on. An actor that dies (its node lost, a
crash, the OOM killer) is started again up to `retries` times, loaded, warmed and asked again;
after that the variant fails with the cause. Ray is an optional extra (`pip install ray`).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalharness.measure.environment import environment
from evalharness.reports.schema import Environment, Sample, WorkerFigures
from evalharness.runner.plan import VariantPlan
from evalharness.runner.session import LoadFailed, RemoteSteps, WorkerDied, answer, remote_body
from evalharness.runner.variant import BackendFactory
from evalharness.suite.schema import Case, Suite

POLL_S = 0.25  # how often a waiting call looks at the cancel flag (Ctrl-C)


def ray_module() -> Any:
    try:
        import ray
    except ImportError:
        raise RuntimeError("--executor ray needs Ray: pip install 'ray>=2.9' (or `make install`, which "
                           "installs the ray extra)") from None
    return ray


def connect(address: str | None) -> str:
    """Join the cluster at `address` (or RAY_ADDRESS); with neither, start a local one. Returns
    a line saying which."""
    ray = ray_module()
    address = address or os.environ.get("RAY_ADDRESS") or None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, ignore_reinit_error=True)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    cpus = sum(n.get("Resources", {}).get("CPU", 0) for n in nodes)
    gpus = sum(n.get("Resources", {}).get("GPU", 0) for n in nodes)
    where = f"cluster at {address}" if address else "a local Ray"
    return f"ray: {where}: {len(nodes)} node(s), {cpus:g} CPUs, {gpus:g} GPUs"


class VariantActor:
    """The body of the Ray actor: one variant's `InProcessSession` on whatever node Ray chose."""

    def __init__(self, plan: VariantPlan, suite: Suite, cases: list[Case], factory: BackendFactory,
                 threads: int | None) -> None:
        self.session = remote_body(plan, suite, cases, factory, threads)

    def where(self) -> tuple[str, dict[str, Any], int]:
        import ray

        return ray.get_runtime_context().get_node_id(), environment(), os.getpid()

    def call(self, name: str, *args: Any) -> tuple[str, Any, float | None]:
        return answer(self.session, name, args)


@dataclass
class RayContext:
    """What every Ray session of a run shares: resources, retries, the cancel flag, the nodes."""

    threads: int | None = None
    timeout_s: float | None = None
    retries: int = 1
    cancel: threading.Event = field(default_factory=threading.Event)
    nodes: dict[str, Environment] = field(default_factory=dict)
    on_node: Any = None  # callable(node id, Environment): the driver logs a node the first time
    lock: threading.Lock = field(default_factory=threading.Lock)


class RaySession(RemoteSteps):
    """The driver's handle on one variant's actor: the same steps as `InProcessSession`."""

    def __init__(self, plan: VariantPlan, suite: Suite, cases: Sequence[Case], factory: BackendFactory,
                 ctx: RayContext) -> None:
        self.plan, self.suite, self.cases, self.factory, self.ctx = plan, suite, list(cases), factory, ctx
        self.retries_left = ctx.retries
        self.figures: WorkerFigures | None = None
        self.node: str | None = None
        self.ended: str | None = None
        self._spent_s = 0.0
        self._done: list[tuple[str, tuple[Any, ...]]] = []  # steps a restarted actor must redo
        self._actor: Any = None
        self._start()

    def _start(self) -> None:
        ray = ray_module()
        threads = self.ctx.threads or self.plan.axes.threads or 1
        gpus = 1 if self.plan.device.startswith("cuda") else 0
        remote = ray.remote(VariantActor).options(num_cpus=threads, num_gpus=gpus, max_restarts=0,
                                                  max_concurrency=1,
                                                  scheduling_strategy="SPREAD")
        self._actor = remote.remote(self.plan, self.suite, self.cases, self.factory, self.ctx.threads)
        node, env, pid = self._wait(self._actor.where.remote(), None, "start")
        self.node = node
        self.figures = WorkerFigures(pid=pid)
        with self.ctx.lock:
            if node not in self.ctx.nodes:
                self.ctx.nodes[node] = Environment.model_validate(env)
                if self.ctx.on_node is not None:
                    self.ctx.on_node(node, self.ctx.nodes[node])

    # -- the steps (the rest are RemoteSteps') ---------------------------------------------------
    def measure(self, case_index: int, repeat: int) -> tuple[Sample, bool]:
        sample, fatal = self._call("measure", case_index, repeat)
        return sample.model_copy(update={"node": self.node}), fatal

    def close(self) -> WorkerFigures | None:
        if self.ended is None and self._actor is not None:
            with contextlib.suppress(WorkerDied, RuntimeError):
                self._call("close", retry=False)
        self.kill()
        return self.figures

    def kill(self) -> None:
        if self._actor is not None:
            with contextlib.suppress(Exception):
                ray_module().kill(self._actor, no_restart=True)
            self._actor = None

    # -- calls ----------------------------------------------------------------------------------
    def _call(self, name: str, *args: Any, retry: bool = True) -> Any:
        if self.ended is not None:
            raise WorkerDied(self.ended, self.figures)
        while True:
            try:
                value = self._once(name, args)
            except _ActorLost as lost:
                if not retry or self.retries_left <= 0:
                    raise self._died(str(lost)) from None
                self.retries_left -= 1
                self._restart(str(lost))
                continue
            if name in ("load", "warm_up"):
                self._done.append((name, args))
            return value

    def _once(self, name: str, args: tuple[Any, ...]) -> Any:
        limit = None if not self.ctx.timeout_s else self.ctx.timeout_s - self._spent_s
        started = time.monotonic()
        try:
            outcome, value, hwm = self._wait(self._actor.call.remote(name, *args), limit, name)
        finally:
            self._spent_s += time.monotonic() - started
        if hwm is not None and self.figures is not None:
            self.figures = self.figures.model_copy(update={"hwm_rss_mb": hwm})
        if outcome == "load-failed":
            raise LoadFailed(value)
        if outcome == "error":
            raise RuntimeError(f"{self.plan.id}: {name} failed in the Ray actor: {value}")
        return value

    def _restart(self, cause: str) -> None:
        """A new actor (maybe on another node), brought to where the lost one was."""
        self.kill()
        try:
            self._start()
            for name, args in self._done:
                self._once(name, args)
        except _ActorLost as lost:
            raise self._died(f"{cause}; retry failed: {lost}") from None

    def _wait(self, ref: Any, limit_s: float | None, step: str) -> Any:
        ray = ray_module()
        deadline = None if limit_s is None else time.monotonic() + limit_s
        while True:
            if self.ctx.cancel.is_set():
                self.kill()
                raise KeyboardInterrupt
            if deadline is not None and time.monotonic() >= deadline:
                self.kill()
                raise self._died(f"actor timed out: the variant ran past its {self.ctx.timeout_s:g} s limit")
            ready, _ = ray.wait([ref], timeout=POLL_S)
            if not ready:
                continue
            try:
                return ray.get(ready[0])
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.NodeDiedError, ray.exceptions.OutOfMemoryError) as exc:
                raise _ActorLost(f"Ray actor lost during {step}: {_first_line(exc)}") from None

    def _died(self, cause: str) -> WorkerDied:
        self.ended = cause
        self.figures = (self.figures or WorkerFigures()).model_copy(update={"ended": cause})
        self.kill()
        return WorkerDied(cause, self.figures)


class _ActorLost(Exception):
    pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def run_concurrently(groups: Sequence[Sequence[VariantPlan]], run_one: Any, cancel: threading.Event) -> None:
    """Each group on a thread of its own (Ray places and queues their actors); Ctrl-C sets the
    cancel flag, every waiting call ends its actor and raises, and the interrupt goes on up."""
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    if not groups:
        return
    with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="evalharness-ray") as pool:
        futures = [pool.submit(run_one, group) for group in groups]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_EXCEPTION)
                for f in done:
                    if f.exception() is not None:
                        raise f.exception()
        except BaseException:
            cancel.set()
            wait(futures)
            raise
