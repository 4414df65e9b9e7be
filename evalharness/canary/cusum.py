"""A Bernoulli CUSUM on canary mismatches, designed for a stated false-alarm rate.

Each probe gives x = 1 when the served answer differs from the reference's pinned answer. In
control (the reference is serving) mismatches happen at rate p0 (servers are not perfectly
deterministic); after a change at rate p1 or more. The statistic is the log-likelihood-ratio CUSUM
    S = max(0, S + x ln(p1/p0) + (1 - x) ln((1 - p1)/(1 - p0)))
and it signals when S >= h. The average run length (ARL: probes until a signal) is computed with
Brook and Evans' Markov chain on a fine grid of S; h is the smallest threshold whose in-control ARL
gives at most the allowed false alarms per day at the probing interval, and the out-of-control ARL
at p1 is the expected detection delay in probes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_STEPS = 120  # at most this many grid cells per up-step ln(p1/p0)


def weights(p0: float, p1: float) -> tuple[float, float]:
    """The increments for a mismatch (positive) and a match (negative)."""
    if not 0 < p0 < p1 < 1:
        raise ValueError(f"need 0 < p0 < p1 < 1, got p0={p0}, p1={p1}")
    return math.log(p1 / p0), math.log((1 - p1) / (1 - p0))


def average_run_length(h: float, p: float, p0: float, p1: float) -> float:
    """Expected probes until S (starting at 0) reaches h when mismatches come at rate p."""
    u, d, step = _grid(*weights(p0, p1))
    states = max(1, math.ceil(h / step))
    q = np.zeros((states, states))
    for j in range(states):
        if j + u < states:
            q[j, j + u] += p
        q[j, max(0, j - d)] += 1 - p
    runs = np.linalg.solve(np.eye(states) - q, np.ones(states))
    return float(runs[0])


def _grid(up: float, down: float) -> tuple[int, int, float]:
    """Whole numbers of cells (u, d) for the two steps and the cell's size: the pair whose ratio
    is nearest to up / -down, so the chain takes both steps almost exactly."""
    best = min(((abs(round(u * -down / up) * up / u + down), u) for u in range(MAX_STEPS // 5, MAX_STEPS + 1)))
    u = best[1]
    return u, max(1, round(u * -down / up)), up / u


@dataclass(frozen=True)
class Design:
    p0: float
    p1: float
    h: float
    arl0: float  # probes between false alarms while the reference serves (mismatch rate p0)
    arl1: float  # probes until a signal once mismatches come at p1 (the detection delay)
    probes_per_day: float
    false_alarms_per_day: float  # probes_per_day / arl0


def design(p0: float, p1: float, probes_per_day: float, false_alarms_per_day: float) -> Design:
    """The smallest h (to 1%) whose false alarms per day stay within the allowance."""
    if probes_per_day <= 0 or false_alarms_per_day <= 0:
        raise ValueError("probes_per_day and false_alarms_per_day must be positive")
    wanted = probes_per_day / false_alarms_per_day
    up, _ = weights(p0, p1)
    low, high = up * 0.5, up
    while average_run_length(high, p0, p0, p1) < wanted:
        low, high = high, high * 2
        if high > 1e4:
            raise ValueError("no threshold reaches that false-alarm allowance")
    while high - low > 0.01 * high:
        mid = (low + high) / 2
        low, high = (mid, high) if average_run_length(mid, p0, p0, p1) < wanted else (low, mid)
    arl0 = average_run_length(high, p0, p0, p1)
    return Design(p0, p1, high, arl0, average_run_length(high, p1, p0, p1), probes_per_day,
                  probes_per_day / arl0)


class BernoulliCusum:
    def __init__(self, d: Design) -> None:
        self.design = d
        self.up, self.down = weights(d.p0, d.p1)
        self.value = 0.0

    def update(self, mismatch: bool) -> bool:
        """Feed one probe; True when S has reached h."""
        self.value = max(0.0, self.value + (self.up if mismatch else self.down))
        return self.value >= self.design.h

    def reset(self) -> None:
        self.value = 0.0
