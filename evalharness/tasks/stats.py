"""Statistics of benchmark accuracy: an interval for one proportion (Wilson), the paired
difference of two variants on the same items (Agresti and Min's adjusted interval for matched
proportions), McNemar's exact test, and the non-inferiority verdict against a margin, with Holm's
step-down over a family of comparisons. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

Z95 = NormalDist().inv_cdf(0.975)
ALPHA = 0.025  # one-sided, the two-sided 95% interval's lower bound against the margin
Verdict = Literal["non-inferior", "inferior", "inconclusive"]


def proportion_interval(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson score interval of successes / n (None, None for n = 0)."""
    if n <= 0:
        return None, None
    return wilson(successes / n, n, z)


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a share `p` over `n` attempts (`n` may be an effective, fractional
    count)."""
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, round(centre - half, 12)), min(1.0, round(centre + half, 12))


@dataclass(frozen=True)
class PairedCounts:
    """Items scored by both: right in both (both), baseline only (base_only), candidate only
    (cand_only), neither."""

    both: int
    base_only: int
    cand_only: int
    neither: int

    @classmethod
    def of(cls, baseline: Sequence[float], candidate: Sequence[float]) -> PairedCounts:
        if len(baseline) != len(candidate):
            raise ValueError("paired outcomes need the same items on both sides")
        pairs = [(bool(b), bool(c)) for b, c in zip(baseline, candidate, strict=True)]
        return cls(both=pairs.count((True, True)), base_only=pairs.count((True, False)),
                   cand_only=pairs.count((False, True)), neither=pairs.count((False, False)))

    @property
    def n(self) -> int:
        return self.both + self.base_only + self.cand_only + self.neither

    @property
    def difference(self) -> float:
        """Candidate's accuracy minus the baseline's."""
        return (self.cand_only - self.base_only) / self.n if self.n else 0.0


def _adjusted(c: PairedCounts) -> tuple[float, float]:
    """Agresti and Min's adjusted estimate of the paired difference and its standard error: half an
    item added to each cell of the 2x2 table (so no discordant item at all still leaves uncertainty)."""
    m = c.n + 2
    base_only, cand_only = (c.base_only + 0.5) / m, (c.cand_only + 0.5) / m
    d = cand_only - base_only
    return d, math.sqrt(max(base_only + cand_only - d * d, 0.0) / m)


def paired_interval(c: PairedCounts, z: float = Z95) -> tuple[float, float]:
    """The interval of the paired difference (candidate - baseline): Agresti and Min (2005)'s
    adjusted Wald interval for matched proportions, which keeps its coverage with few or no
    discordant items (Newcombe's and the plain Wald's collapse to zero width there)."""
    d, se = _adjusted(c)
    return max(-1.0, d - z * se), min(1.0, d + z * se)


def mcnemar_p(c: PairedCounts) -> float:
    """Two-sided exact McNemar p-value: the discordant items as a fair coin's tosses."""
    from scipy.stats import binomtest

    discordant = c.base_only + c.cand_only
    if discordant == 0:
        return 1.0
    return float(binomtest(c.cand_only, discordant, 0.5).pvalue)


def _bound_p(c: PairedCounts, margin: float, lower: bool) -> float:
    """One-sided p-value against the margin, from the same adjusted estimate as the interval: the
    95% interval's lower (upper) bound clears -margin exactly when this is below 2.5%."""
    d, se = _adjusted(c)
    z = (d + margin) / se
    return 1.0 - NormalDist().cdf(z) if lower else NormalDist().cdf(z)


@dataclass(frozen=True)
class Comparison:
    name: str
    counts: PairedCounts
    margin: float
    difference: float
    ci_low: float
    ci_high: float
    mcnemar_p: float
    p_non_inferior: float  # H0: the candidate is worse by the margin or more
    p_inferior: float  # H0: the candidate is within the margin
    verdict: Verdict = "inconclusive"
    items_to_decide: int | None = None  # about how many items would decide an inconclusive one


def compare_paired(name: str, baseline: Sequence[float], candidate: Sequence[float], margin: float) -> Comparison:
    """One comparison on its own (its verdict at the 95% level; `holm` adjusts a family)."""
    c = PairedCounts.of(baseline, candidate)
    low, high = paired_interval(c)
    comparison = Comparison(name=name, counts=c, margin=margin, difference=c.difference, ci_low=low, ci_high=high,
                            mcnemar_p=mcnemar_p(c), p_non_inferior=_bound_p(c, margin, lower=True),
                            p_inferior=_bound_p(c, margin, lower=False))
    return holm([comparison])[0]


def holm(comparisons: Sequence[Comparison], alpha: float = ALPHA) -> list[Comparison]:
    """Verdicts with Holm's step-down over the family, separately for the claim 'non-inferior' and
    the claim 'inferior', so the chance of any false claim of either kind stays at most alpha."""
    claims_ni = _holm_rejects([c.p_non_inferior for c in comparisons], alpha)
    claims_inf = _holm_rejects([c.p_inferior for c in comparisons], alpha)
    out = []
    for c, ni, inf in zip(comparisons, claims_ni, claims_inf, strict=True):
        verdict: Verdict = "non-inferior" if ni else "inferior" if inf else "inconclusive"
        # the last step of Holm's procedure tests at alpha / K: the items that clear it decide
        decide = items_to_decide(c, NormalDist().inv_cdf(1 - alpha / len(comparisons)))
        out.append(Comparison(**{**c.__dict__, "verdict": verdict,
                                 "items_to_decide": None if verdict != "inconclusive" else decide}))
    return out


def _holm_rejects(ps: Sequence[float], alpha: float) -> list[bool]:
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    rejected = [False] * len(ps)
    for rank, i in enumerate(order):
        if ps[i] > alpha / (len(ps) - rank):
            break
        rejected[i] = True
    return rejected


def items_to_decide(c: Comparison, z: float = Z95) -> int | None:
    """About how many items (at the same rate of changed answers and the same difference) would
    put the interval (95%, or the level `z` that Holm's procedure asks) clear of the margin; None
    when the difference sits on the margin."""
    n = c.counts.n
    gap = abs(c.difference + c.margin)
    if n == 0 or gap < 1e-12:
        return None
    discordant = (c.counts.base_only + c.counts.cand_only + 1) / (n + 2)  # the adjusted estimate's rate
    sd = math.sqrt(max(discordant - c.difference ** 2, 1.0 / (n + 2)))
    return max(n + 1, math.ceil((z * sd / gap) ** 2))


def detectable_difference(n: int, discordant_rate: float, power: float = 0.8, alpha: float = ALPHA) -> float | None:
    """The smallest shortfall that `n` paired items detect with this power, when this share of
    items change answer between the two variants (None for n = 0)."""
    if n <= 0:
        return None
    z = NormalDist().inv_cdf(1 - alpha) + NormalDist().inv_cdf(power)
    return z * math.sqrt(discordant_rate / n)
