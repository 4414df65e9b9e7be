"""Process RSS sampled in the background during a phase, and GPU memory where a GPU exists."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import psutil

MB = 1024 * 1024


def current_rss_bytes() -> int:
    return int(psutil.Process().memory_info().rss)


class PeakRSSSampler:
    """Samples this process's RSS on a background thread while the `with` block runs.

    The peak is the largest reading taken during the phase (the first reading is taken on entry
    and the last on exit), so it is a true in-phase peak, not a before/after difference.
    """

    def __init__(
        self, interval_s: float = 0.01, read_rss: Callable[[], int] = current_rss_bytes
    ) -> None:
        self.interval_s = interval_s
        self._read = read_rss
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.peak_bytes = 0
        self.samples = 0

    def _take(self) -> None:
        value = self._read()
        self.samples += 1
        if value > self.peak_bytes:
            self.peak_bytes = value

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._take()

    def __enter__(self) -> PeakRSSSampler:
        self._take()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._take()

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / MB


def high_water_mark_mb() -> float | None:
    """The kernel's peak resident set of this process since it started (Linux VmHWM), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MB
    except (OSError, ValueError, IndexError):
        return None
    return None


def release_free_memory() -> None:
    """Collect garbage and hand the C heap's free pages back to the kernel (glibc `malloc_trim`),
    so what a load freed (a float32 copy quantized away) stops counting in the resident set."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the figure keeps whatever the allocator holds
