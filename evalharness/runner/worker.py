"""Worker processes: each variant is loaded and measured in a process of its own.

The parent (`WorkerSession`) spawns a fresh interpreter (same executable, same environment,
same `sys.path`), hands it the plan, the suite and the cases once, then sends one command per
step (load, warm_up, measure, fidelity, close) over a pipe. The worker (`serve`) runs an
`InProcessSession` and answers each command with its typed result and its own kernel RSS
high-water mark. Timing happens inside the worker, so the pipe costs no measured time.

A worker that dies (a signal, an OOM kill, a segfault, an exit) or runs past the variant's time
limit raises `WorkerDied` naming the cause; the parent alone writes the log and the report.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from evalharness.lifecycle import error_text
from evalharness.reports.schema import WorkerFigures
from evalharness.runner.plan import VariantPlan
from evalharness.runner.session import LoadFailed, RemoteSteps, WorkerDied, answer, remote_body
from evalharness.runner.variant import BackendFactory
from evalharness.suite.schema import Case, Suite

PROGRESS = "progress"  # a message from a worker before its reply: (requests done, total) of a task
CLOSE_WAIT_S = 30.0  # a worker gets this long to close its backend and exit before it is killed
# imported once by the fork server, so a worker does not pay seconds of imports before its load
PRELOAD = ["evalharness.runner.worker", "torch", "transformers", "transformers.models.auto.modeling_auto",
           "transformers.modeling_utils", "transformers.quantizers.auto", "transformers.models.gemma3.modeling_gemma3"]


def worker_context() -> Any:
    """Workers fork from a server process started fresh (never from the run's own process, whose
    memory holds nothing of any variant anyway), with the heavy libraries already imported;
    where there is no fork server, each worker is spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def ended_by(exitcode: int | None) -> str:
    """Why a worker process ended, in words a report can carry."""
    if exitcode is None:
        return "worker stopped answering"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        hint = " (the kernel's out-of-memory killer sends SIGKILL)" if -exitcode == signal.SIGKILL else ""
        return f"worker killed by {name}{hint}"
    return f"worker exited with code {exitcode}"


def fork_server_death() -> str | None:
    """How the workers' fork server ended, when it has (None while it runs, or with no fork
    server): its workers die with it (they are its children, killed on its death), and their own
    exit status is lost (multiprocessing reports 255). The status is read without reaping the
    server, so multiprocessing can still restart it for the next worker."""
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if pid is None:
        return None
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except (ChildProcessError, OSError):
        return None
    if info is None or info.si_pid == 0:
        return None
    if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
        sig = info.si_status
        name = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
        hint = " (the kernel's out-of-memory killer sends SIGKILL)" if sig == signal.SIGKILL else ""
        how = f"was killed by {name}{hint}"
    else:
        how = f"exited with code {info.si_status}"
    return f"the workers' fork server (pid {pid}) {how}, and its worker with it"


LOST_STATUS = 255  # what multiprocessing reports when the fork server could not pass the status on


def _await_fork_server_death(wait_s: float = 2.0) -> str | None:
    """`fork_server_death`, given the moment a dying server needs to become a zombie: its pipes
    close (which is how the worker's end is seen) a little before its status can be read."""
    until = time.monotonic() + wait_s
    while True:
        death = fork_server_death()
        if death is not None or time.monotonic() >= until:
            return death
        time.sleep(0.02)


def start_early() -> None:
    """Start the fork server now, so its imports overlap the parent's own preparation."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with _main_module_importable():
            forkserver.ensure_running()


@contextlib.contextmanager
def _main_module_importable() -> Iterator[None]:
    """A worker re-imports the parent's main script; one with no file (python reading stdin, an
    embedded interpreter) cannot be, so it is left out while the worker starts."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or Path(path).is_file() or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class WorkerSession(RemoteSteps):
    """The parent's handle on one variant's worker process; the same steps as `InProcessSession`."""

    def __init__(self, plan: VariantPlan, suite: Suite, cases: Sequence[Case], factory: BackendFactory,
                 threads: int | None = None, timeout_s: float | None = None) -> None:
        self.plan = plan
        self.timeout_s = timeout_s
        self._spent_s = 0.0  # time this worker has worked on commands: the variant's time limit counts it
        ctx = worker_context()
        self._conn, child = ctx.Pipe()
        here = Here(dict(os.environ), os.getcwd())
        self._proc = ctx.Process(target=serve, args=(child, plan, suite, list(cases), factory, threads, here),
                                 name=f"evalharness-worker {plan.id}")
        try:
            with _main_module_importable():
                self._proc.start()
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError(f"{plan.id}: a worker process needs a picklable backend factory "
                            f"({error_text(exc)}); run in-process with isolation 'none'") from None
        finally:
            child.close()
        self.figures = WorkerFigures(pid=self._proc.pid)
        self.ended: str | None = None

    def close(self) -> WorkerFigures | None:
        """Ask the worker to close its backend and exit; kill it if it does not."""
        if self.ended is None and self._proc.is_alive():
            with contextlib.suppress(WorkerDied, OSError, RuntimeError):
                self._call("close", limit_s=CLOSE_WAIT_S)
        self.kill()
        return self.figures

    def kill(self) -> None:
        """End the worker now (an interrupted run, a hung or finished worker)."""
        self._proc.join(timeout=0.5 if self.ended is None else 0)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=2)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout=2)
        self._conn.close()

    # -- the pipe -------------------------------------------------------------------------------
    def _call(self, name: str, *args: Any, limit_s: float | None = None) -> Any:
        if self.ended is not None:
            raise WorkerDied(self.ended, self.figures)
        try:
            self._conn.send((name, args))
        except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
            raise self._died() from None
        started = time.monotonic()
        if limit_s is None and self.timeout_s:
            limit_s = self.timeout_s - self._spent_s
        try:
            outcome, value, hwm = self._reply(None if limit_s is None else started + limit_s)
        finally:
            self._spent_s += time.monotonic() - started
        if hwm is not None:
            self.figures = self.figures.model_copy(update={"hwm_rss_mb": hwm})
        if outcome == "load-failed":
            raise LoadFailed(value)
        if outcome == "error":
            raise RuntimeError(f"{self.plan.id}: {name} failed in the worker: {value}")
        return value

    def _reply(self, deadline: float | None) -> tuple[str, Any, float | None]:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise self._died(f"worker timed out: the variant ran past its {self.timeout_s:g} s limit"
                                 if self.timeout_s else "worker did not close in time")
            ready = wait([self._conn, self._proc.sentinel], timeout=left)
            if self._conn in ready:
                try:
                    reply = self._conn.recv()
                except (EOFError, OSError):
                    raise self._died() from None
                if reply[0] != PROGRESS:
                    return reply
                if self.on_progress is not None:
                    self.on_progress(*reply[1])
            if self._proc.sentinel in ready:
                raise self._died()

    def _died(self, cause: str | None = None) -> WorkerDied:
        if cause is None:
            self._proc.join(timeout=5)
            cause = ended_by(self._proc.exitcode)
            if self._proc.exitcode == LOST_STATUS:  # the status was lost: was it the fork server?
                cause = _await_fork_server_death() or cause
        self.ended = cause
        self.figures = self.figures.model_copy(update={"ended": cause})
        self.kill()
        return WorkerDied(cause, self.figures)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the parent dies, so no worker outlives its run."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass(frozen=True)
class Here:
    """The parent's environment variables and working folder as the worker starts: a fork
    server started earlier must not hand a worker an older environment (an API key set since)."""

    environ: dict[str, str]
    cwd: str

    def enter(self) -> None:
        os.environ.clear()
        os.environ.update(self.environ)
        with contextlib.suppress(OSError):
            os.chdir(self.cwd)


def serve(conn: Connection, plan: VariantPlan, suite: Suite, cases: list[Case], factory: BackendFactory,
          threads: int | None, here: Here) -> None:
    """The worker's main loop: one command in, one (outcome, value, high-water mark) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    _die_with_parent()
    here.enter()
    session = remote_body(plan, suite, cases, factory, threads)
    session.on_progress = lambda done, total: conn.send((PROGRESS, (done, total), None))
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):
            break  # the parent is gone
        conn.send(answer(session, name, args))
        if name == "close":
            break
    conn.close()
