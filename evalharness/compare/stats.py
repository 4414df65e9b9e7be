"""Pure paired statistics for comparing two runs: bootstrap intervals and McNemar's test."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STATS = ("p50", "p95", "mean")


def pooled(values: np.ndarray, stat: str) -> np.ndarray:
    """Row-wise statistic of a 2-D array, ignoring NaN padding."""
    if stat == "mean":
        return np.nanmean(values, axis=1)
    q = {"p50": 50, "p95": 95}[stat]
    return np.nanpercentile(values, q, axis=1)


def pooled_value(groups: Sequence[Sequence[float]], stat: str) -> float:
    flat = np.asarray([x for g in groups for x in g], dtype=float)
    return float(pooled(flat[None, :], stat)[0])


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def paired_bootstrap_relative(
    baseline: Sequence[Sequence[float]],
    candidate: Sequence[Sequence[float]],
    stat: str = "p50",
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Relative change of a pooled statistic (candidate vs baseline), resampling *cases*.

    `baseline[i]` and `candidate[i]` hold the repeated measurements of case i. Both sides of a
    case are divided by the baseline's median for that case, so cases of very different size
    (long vs short prompts) and unequal sample counts (a failed repeat) do not masquerade as a
    change; each resample draws cases with replacement and keeps both sides together.
    """
    if len(baseline) != len(candidate) or not baseline:
        raise ValueError("need the same, non-zero number of cases on both sides")
    if stat not in STATS:
        raise ValueError(f"unknown statistic {stat!r}")
    n = len(baseline)
    width = max(len(x) for x in (*baseline, *candidate))
    base = np.full((n, width), np.nan)
    cand = np.full((n, width), np.nan)
    for i, (b, c) in enumerate(zip(baseline, candidate)):
        scale = float(np.median(b))
        if scale == 0:
            raise ValueError(f"case {i} has a zero baseline median")
        base[i, : len(b)] = np.asarray(b, dtype=float) / scale
        cand[i, : len(c)] = np.asarray(c, dtype=float) / scale
    estimate = float(pooled(cand.reshape(1, -1), stat)[0] / pooled(base.reshape(1, -1), stat)[0] - 1)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, (resamples, n))
    draws = pooled(cand[idx].reshape(resamples, -1), stat) / pooled(base[idx].reshape(resamples, -1), stat) - 1
    alpha = (1 - confidence) / 2
    return Interval(estimate, float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha)))


def paired_bootstrap_difference(
    baseline: Sequence[float],
    candidate: Sequence[float],
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Mean of (candidate - baseline) over paired cases, with a percentile bootstrap interval."""
    if len(baseline) != len(candidate) or not baseline:
        raise ValueError("need the same, non-zero number of paired values on both sides")
    diffs = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(diffs)
    draws = diffs[rng.integers(0, n, (resamples, n))].mean(axis=1)
    alpha = (1 - confidence) / 2
    return Interval(float(diffs.mean()), float(np.quantile(draws, alpha)),
                    float(np.quantile(draws, 1 - alpha)))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    b: pairs that passed in the baseline and failed in the candidate; c: the reverse.
    """
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def between_runs_bootstrap_relative(
    baseline_runs: Sequence[Sequence[Sequence[float]]],
    candidate: Sequence[Sequence[float]],
    stat: str = "p50",
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    noise_floor: float = 0.0,
) -> Interval:
    """Relative change of a pooled statistic of one candidate run against several baseline runs,
    with the noise *between runs* in the interval, not only the noise inside one.

    `baseline_runs[k][i]` holds baseline run k's repeats of case i; `candidate[i]` the candidate's.
    Each case is scaled by its median over all baseline runs. A resample draws cases (the same
    ones on both sides), draws baseline runs with replacement (the baseline's run-to-run noise),
    and shifts the candidate by a run-level deviation of its own (a single candidate run has a
    run-level shift that nothing inside it can reveal): s * t, with s the spread of the baseline
    runs' log statistic and t drawn from Student's t with runs - 1 degrees of freedom. Few runs
    estimate s poorly; the t's heavy tails say so (with 3 runs, 2 degrees of freedom: a 95% bound
    of 4.3 s, where resampling the 3 observed deviations could never exceed the largest one).
    s is at least `noise_floor`: three runs that happen to agree do not prove a quiet machine.
    """
    runs = len(baseline_runs)
    if runs < 2:
        raise ValueError("need at least two baseline runs")
    n = len(candidate)
    if n == 0 or any(len(r) != n for r in baseline_runs):
        raise ValueError("need the same, non-zero number of cases in every run")
    if stat not in STATS:
        raise ValueError(f"unknown statistic {stat!r}")
    width = max(len(x) for x in (*candidate, *(c for r in baseline_runs for c in r)))
    base = np.full((runs, n, width), np.nan)
    cand = np.full((n, width), np.nan)
    for i in range(n):
        scale = float(np.median([x for r in baseline_runs for x in r[i]]))
        if scale == 0:
            raise ValueError(f"case {i} has a zero baseline median")
        for k, r in enumerate(baseline_runs):
            base[k, i, : len(r[i])] = np.asarray(r[i], dtype=float) / scale
        cand[i, : len(candidate[i])] = np.asarray(candidate[i], dtype=float) / scale
    per_run = np.log(pooled(base.reshape(runs, -1), stat))
    spread = max(float(np.std(per_run, ddof=1)), noise_floor)
    estimate = float(pooled(cand.reshape(1, -1), stat)[0] / pooled(base.reshape(1, -1), stat)[0] - 1)
    rng = np.random.default_rng(seed)
    cases = rng.integers(0, n, (resamples, n))
    picked = rng.integers(0, runs, (resamples, runs))
    shift = spread * rng.standard_t(runs - 1, resamples)
    b = base[picked[:, :, None], cases[:, None, :]].reshape(resamples, -1)
    c = cand[cases].reshape(resamples, -1)
    draws = pooled(c, stat) * np.exp(shift) / pooled(b, stat) - 1
    alpha = (1 - confidence) / 2
    return Interval(estimate, float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha)))
