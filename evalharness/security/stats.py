"""An attack-success (or refusal) rate with a 95% interval that treats attempts sharing a behaviour
or a template as dependent.

Attempts of one template, or about one behaviour, succeed or fail together far more often than
independent draws would: an interval that counts them as independent (garak's bootstrap over
generations) is too narrow. Here the variance of the share is the cluster-robust one, two-way when
attempts are crossed by two factors (Cameron, Gelbach and Miller 2011: V_A + V_B - V_AB, the
one-way maximum where that is not positive), and the interval is Wilson's with the effective
number of attempts n * V_iid / V (never more than n). A share of 0 or 1 carries no information
about the clustering: its interval is Wilson's over the n attempts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from evalharness.tasks.stats import Z95, proportion_interval, wilson


def _cluster_variance(ys: Sequence[float], groups: Sequence[object], p: float) -> float:
    sums: dict[object, float] = defaultdict(float)
    for y, g in zip(ys, groups, strict=True):
        sums[g] += y - p
    k, n = len(sums), len(ys)
    if k < 2:
        return 0.0
    return k / (k - 1) * sum(s * s for s in sums.values()) / (n * n)


def clustered_interval(outcomes: Sequence[bool], clusters: Sequence[tuple[object, ...]],
                       z: float = Z95) -> tuple[float | None, float | None]:
    """95% interval of the share of True `outcomes`; `clusters[i]` holds attempt i's factors (one
    or two: a behaviour, a template)."""
    n = len(outcomes)
    if n == 0:
        return None, None
    ys = [1.0 if o else 0.0 for o in outcomes]
    p = sum(ys) / n
    iid = p * (1 - p) / n
    if iid == 0:
        return proportion_interval(int(sum(ys)), n, z)
    factors = len(clusters[0]) if clusters else 0
    one_way = [_cluster_variance(ys, [c[f] for c in clusters], p) for f in range(factors)]
    variance = max(one_way, default=iid)
    if factors == 2:
        both = _cluster_variance(ys, [tuple(c) for c in clusters], p)
        two_way = one_way[0] + one_way[1] - both
        variance = two_way if two_way > 0 else variance
    n_eff = n * min(1.0, iid / variance) if variance > 0 else n
    return wilson(p, n_eff, z)

