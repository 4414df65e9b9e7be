"""Pure summary statistics over measured values."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

from evalharness.reports.schema import Summary

STABILITY_CV = 0.10  # stdev at or above 10% of the mean is flagged as unstable


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default method) of already sorted values."""
    if not sorted_values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be in [0, 100], got {q}")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return float(sorted_values[lo])
    frac = pos - lo
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac)


def summarize(values: Iterable[float | None]) -> Summary:
    """n, mean, min, p50, p90, p95, p99, max, stdev (sample) and a stability flag.

    Missing values (None) are left out; with no values every figure is None.
    `stdev` needs two values; `stable` is False when stdev >= 10% of |mean|.
    """
    data = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)))
    n = len(data)
    if n == 0:
        return Summary(n=0, mean=None, min=None, p50=None, p90=None, p95=None, p99=None, max=None,
                       stdev=None, stable=None)
    mean = statistics.fmean(data)
    stdev = statistics.stdev(data) if n >= 2 else None
    return Summary(n=n, mean=mean, min=data[0], p50=percentile(data, 50), p90=percentile(data, 90),
                   p95=percentile(data, 95), p99=percentile(data, 99), max=data[-1], stdev=stdev,
                   stable=is_stable(mean, stdev))


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are present, or None."""
    return summarize(values).mean


def is_stable(mean: float, stdev: float | None) -> bool | None:
    if stdev is None:
        return None
    if mean == 0:
        return stdev == 0
    return stdev < STABILITY_CV * abs(mean)
