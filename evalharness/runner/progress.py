"""How a run reports progress: the console's bar, or nothing (warnings still reach stderr)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, steps: int = 1, note: str = "") -> None: ...
    def message(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...  # shown even when progress is not (--quiet)
    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, steps: int = 1, note: str = "") -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)

    def stop(self) -> None:
        pass


PROGRESS_EVERY_S = 30.0  # at most one progress line this often during one long step


class StepProgress:
    """Progress inside one long step (a benchmark task's requests): the bar's note follows every
    report; a line is printed at most every `every_s` seconds with the share done and the time
    left at the rate so far, so a log shows a long task moving."""

    def __init__(self, progress: Progress, what: str, every_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.progress, self.what, self.clock = progress, what, clock
        self.every_s = PROGRESS_EVERY_S if every_s is None else every_s
        self._total = -1
        self._started = self._said = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if total != self._total or done == 0:  # a new batch of requests: the rate starts again
            self._total, self._started, self._said = total, now, now
        share = done / total if total else 1.0
        self.progress.advance(0, note=f"{self.what} {share:.0%}")
        if done == 0 or done >= total or now - self._said < self.every_s:
            return
        self._said = now
        rate = done / (now - self._started) if now > self._started else None
        left = f", about {_duration((total - done) / rate)} left" if rate else ""
        self.progress.message(f"{self.what}: {done}/{total} requests ({share:.0%}){left}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
