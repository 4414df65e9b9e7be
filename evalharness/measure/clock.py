"""Clocks and a timer context manager with an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

Clock = Callable[[], float]


def monotonic_clock() -> float:
    """The default clock: a high-resolution monotonic counter in seconds."""
    return time.perf_counter()


def cuda_synchronized_clock(device: str) -> Clock:
    """A clock that waits for queued CUDA work before reading, so GPU time is not hidden."""
    import torch

    def clock() -> float:
        torch.cuda.synchronize(device)
        return time.perf_counter()

    return clock


def clock_for_device(device: str) -> Clock:
    return cuda_synchronized_clock(device) if device.startswith("cuda") else monotonic_clock


@dataclass
class Timer:
    """`with Timer() as t: ...` then `t.seconds`."""

    clock: Clock = monotonic_clock
    start: float | None = None
    end: float | None = None

    def __enter__(self) -> Timer:
        self.start = self.clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end = self.clock()

    @property
    def seconds(self) -> float:
        if self.start is None or self.end is None:
            raise RuntimeError("timer has not finished")
        return self.end - self.start
