"""The peak resident set of this process during a phase: the kernel's own high-water mark where
Linux lets a process reset it, else RSS sampled on a background thread."""

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


_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"
_lifetime_peak_mb = 0.0  # the high-water mark as it stood before each reset (see KernelPeakRSS)


def _vm_hwm_mb() -> float | None:
    try:
        with open(_STATUS, encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MB
    except (OSError, ValueError, IndexError):
        return None
    return None


def high_water_mark_mb() -> float | None:
    """The peak resident set of this process since it started, in MB: the kernel's (Linux VmHWM),
    together with what it was before any `KernelPeakRSS` reset it."""
    current = _vm_hwm_mb()
    return None if current is None else max(current, _lifetime_peak_mb)


def _reset_vm_hwm() -> bool:
    """Set the kernel's high-water mark back to the current RSS (`clear_refs` 5, Linux >= 4.0),
    folding the old mark into the lifetime peak and into every open `KernelPeakRSS` block; False
    where the kernel does not allow it. Call with `_lock` held."""
    global _lifetime_peak_mb
    before = _vm_hwm_mb()
    if before is None:
        return False
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    _lifetime_peak_mb = max(_lifetime_peak_mb, before)
    for block in _open_blocks:
        block.carried_mb = max(block.carried_mb, before)
    return True


_lock = threading.Lock()
_open_blocks: list[KernelPeakRSS] = []
_kernel_peak: bool | None = None  # can this process reset its high-water mark? (asked once)


class KernelPeakRSS:
    """The kernel's own peak RSS over the `with` block: its high-water mark reset on entry and
    read on exit. Exact (every page the process touched counts, however briefly) and free: no
    thread competes with the measured work (a 10 ms sampler cost ~4% decode on 2 cores).
    Blocks may nest or overlap: a reset inside one is folded into it (`carried_mb`)."""

    def __init__(self) -> None:
        self.carried_mb = 0.0
        self.peak_bytes = 0

    def __enter__(self) -> KernelPeakRSS:
        with _lock:
            _reset_vm_hwm()
            _open_blocks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            _open_blocks.remove(self)
            mark = _vm_hwm_mb()
        self.peak_bytes = int(max(mark or 0.0, self.carried_mb) * MB)

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / MB


def peak_rss(interval_s: float = 0.01) -> KernelPeakRSS | PeakRSSSampler:
    """What measures a phase's peak RSS here: the kernel's high-water mark where this process
    may reset it (Linux), else a sampler thread reading RSS every `interval_s`."""
    global _kernel_peak
    if _kernel_peak is None:
        with _lock:
            _kernel_peak = _reset_vm_hwm()
    return KernelPeakRSS() if _kernel_peak else PeakRSSSampler(interval_s=interval_s)


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
