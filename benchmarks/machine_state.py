"""Is the machine in a state where multi-threaded timings mean anything right now?

On the 2-vCPU VMs this project runs on, multi-threaded memory-bound work has periods of seconds
in which it runs 5-8x slower while the same work on one thread does not slow down at all
(measured: an int8 -> float32 conversion of a 2048 x 640 weight and its mat-vec, what torchao's
int8 weight-only Linear does on every call, 150 us on 2 threads, then 1,320 us for ~5 s, then
150 us again; 180 us on 1 thread throughout, interleaved every 0.4 s). Two measurements taken
minutes apart then disagree by 2x whatever either measures; this probe tells such a period apart
so that a benchmark can take its measurement again.

`parallel_slowdown(threads)` = time per op on `threads` threads / time per op on 1 thread (about
0.8 on a calm 2-core machine, 5-8 in a slow period); `disturbed(x)` is x > SLOW.
"""

from __future__ import annotations

import time

SLOW = 1.5  # N threads taking 1.5x the time of one: the threads are not running side by side


def _per_op_s(op, seconds: float) -> float:
    op()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        op()
        n += 1
    return (time.perf_counter() - start) / n


def parallel_slowdown(threads: int, seconds: float = 0.3) -> float | None:
    """Time per op on `threads` threads over time per op on one; None for one thread (nothing
    to compare)."""
    import torch

    if threads <= 1:
        return None
    weight = torch.randint(-128, 127, (2048, 640), dtype=torch.int8)
    x = torch.randn(1, 640)

    def op() -> object:
        return torch.mm(x, weight.t().to(torch.float32))

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        many = _per_op_s(op, seconds)
        torch.set_num_threads(1)
        one = _per_op_s(op, seconds)
    finally:
        torch.set_num_threads(before)
    return many / one


def disturbed(slowdown: float | None) -> bool:
    return slowdown is not None and slowdown > SLOW
