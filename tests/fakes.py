"""A fake clock and a fake backend with canned text: the runner without a model."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from typing import Any

from evalharness.measure.tokens import TimedGeneration
from evalharness.runtimes import GenParams
from evalharness.runtimes.local import LocalBackend


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeBackend(LocalBackend):
    """Each word of the canned answer is one token; prefill and each decode step take fixed time.

    Token id 0 is EOS. `fail_on` maps case ids to the exception generate raises for them.
    """

    answers: dict[str, str]
    prefill_s: float = 0.5
    step_s: float = 0.1
    clock: FakeClock = field(default_factory=FakeClock)
    fail_on: dict[str, BaseException] = field(default_factory=dict)
    synthetic: bool = False
    eos_ids: frozenset[int] = frozenset({0})
    calls: int = 0
    closed: bool = False
    vocab: dict[str, int] = field(default_factory=dict)
    logprobs: Any = None  # callable(target ids) -> [T, V] array, for fidelity tests

    def encode(self, case: Any) -> list[int]:
        text = case.prompt if case.prompt is not None else case.messages[-1].content
        self._current = case.id
        return [self._id(w) for w in text.split()]

    def _id(self, word: str) -> int:
        # the same word has the same id in every fake backend (fidelity compares ids)
        tok = zlib.crc32(word.encode("utf-8", "surrogatepass")) % 1_000_000 + 1
        self.vocab[word] = tok
        return tok

    def timed_generate(self, ids: list[int], params: GenParams) -> TimedGeneration:
        self.calls += 1
        case_id = self._current
        if case_id in self.fail_on:
            raise self.fail_on[case_id]
        words = self.answers.get(case_id, "ok").split()[: params.max_new_tokens]
        out = [self._id(w) for w in words]
        if len(out) < params.max_new_tokens:
            out.append(0)  # EOS, then nothing
        start = self.clock()
        times = []
        for i in range(len(out)):
            self.clock.advance(self.prefill_s if i == 0 else self.step_s)
            times.append(self.clock())
        return TimedGeneration(len(ids), out, start, times, self.clock())

    def decode(self, ids: list[int]) -> str:
        rev = {v: k for k, v in self.vocab.items()}
        return " ".join(rev[i] for i in ids)

    def footprint_mb(self) -> float | None:
        return 12.5

    def teacher_forced_logprobs(self, prompt: list[int], target: list[int]):
        return self.logprobs(target) if self.logprobs else None

    def close(self) -> None:
        self.closed = True


@dataclass
class WorkerFactory:
    """A picklable factory for runs in worker processes: per variant id, memory to hold after the
    load (MB) and a fault at the n-th generation: 'kill' (SIGKILL), 'segv' (a real segfault),
    'hang' (sleeps), 'exit' (os._exit(3))."""

    answers: dict[str, str]
    ballast_mb: dict[str, int] = field(default_factory=dict)
    faults: dict[str, tuple[str, int]] = field(default_factory=dict)
    once_marker: str | None = None  # a file: the fault strikes only while it does not exist (then once)

    def __call__(self, plan: Any) -> FakeBackend:
        ballast = bytearray(self.ballast_mb.get(plan.id, 0) * 1024 * 1024)
        for i in range(0, len(ballast), 4096):  # touch every page: resident, not just reserved
            ballast[i] = 1
        return FaultyBackend(answers=self.answers, fault=self.faults.get(plan.id), ballast=ballast,
                             once_marker=self.once_marker)


@dataclass
class FaultyBackend(FakeBackend):
    fault: tuple[str, int] | None = None
    ballast: bytearray = field(default_factory=bytearray)
    once_marker: str | None = None

    def timed_generate(self, ids: list[int], params: GenParams) -> TimedGeneration:
        if self.fault is not None and self.calls + 1 >= self.fault[1]:
            if self.once_marker is None:
                _fault(self.fault[0])
            elif not os.path.exists(self.once_marker):
                open(self.once_marker, "w").close()
                _fault(self.fault[0])
        return super().timed_generate(ids, params)


def _fault(kind: str) -> None:
    import ctypes
    import os
    import signal
    import time

    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "segv":
        ctypes.string_at(0)
    elif kind == "hang":
        time.sleep(3600)
    elif kind == "exit":
        os._exit(3)
    elif kind == "kill-forkserver":  # the out-of-memory killer's pick: the largest process but the workers
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(3600)  # this worker dies with its parent (PR_SET_PDEATHSIG)
