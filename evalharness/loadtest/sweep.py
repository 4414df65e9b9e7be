"""A sweep: synchronous (the unloaded baseline), then maximum throughput (closed loop at the
given concurrency), then open-loop rates evenly spaced between the two achieved rates and one
overload stage at 1.25x the higher of them (so that the sweep brackets the server's capacity),
stopping at the first saturated stage; the knee is the highest offered rate served without
saturation.

A server that gains nothing from concurrency (one slot: throughput within 5% of synchronous, or
below it) gets its rates spaced from half the synchronous rate instead, so the stages still draw
latency against load up to the overload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from evalharness.loadtest.engine import Send, StageResult, StageSpec, run_stage


@dataclass
class Sweep:
    stages: list[StageResult] = field(default_factory=list)
    knee_rate: float | None = None  # the highest offered rate served without saturation
    saturated_at: float | None = None  # the first offered rate that saturated, if one did


OVERLOAD = 1.25  # the last stage offers this much more than the highest rate achieved


def sweep_rates(sync_rate: float, max_rate: float, steps: int) -> list[float]:
    """`steps` rates evenly spaced strictly between the synchronous and the maximum rate, then
    the overload rate."""
    lo, hi = sorted((sync_rate, max_rate))
    if hi - lo < 0.05 * hi:
        lo = hi / 2
    gap = (hi - lo) / (steps + 1)
    return [lo + gap * (i + 1) for i in range(steps)] + [hi * OVERLOAD]


def run_sweep(base: StageSpec, send: Send, steps: int, origin: float,
              note: Callable[[str], None] = lambda _: None) -> Sweep:
    """`base` gives the per-stage requests/duration/warm-up and the throughput concurrency."""
    out = Sweep()
    sync = run_stage(replace(base, profile="synchronous"), send, origin=origin)
    out.stages.append(sync)
    note(f"synchronous: {_rate(sync.achieved_rate)} req/s")
    peak = run_stage(replace(base, profile="throughput"), send, origin=origin)
    out.stages.append(peak)
    note(f"throughput (concurrency {base.concurrency}): {_rate(peak.achieved_rate)} req/s")
    if not sync.achieved_rate or not peak.achieved_rate:
        return out
    for rate in sweep_rates(sync.achieved_rate, peak.achieved_rate, steps):
        stage = run_stage(replace(base, profile="poisson" if base.profile == "poisson" else "constant",
                                  rate=rate), send, origin=origin)
        out.stages.append(stage)
        saturated, why = stage.saturated()
        note(f"{rate:.3g} req/s offered: {_rate(stage.achieved_rate)} achieved" + (f" — saturated ({why})"
                                                                                   if saturated else ""))
        if saturated:
            out.saturated_at = rate
            break
        out.knee_rate = rate
    return out


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"
