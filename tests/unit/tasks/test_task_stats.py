"""Accuracy statistics with literal numbers worked by hand."""

from __future__ import annotations

import math
import random

import pytest

from evalharness.tasks.stats import (
    PairedCounts,
    _holm_rejects,
    compare_paired,
    detectable_difference,
    mcnemar_p,
    paired_interval,
    proportion_interval,
)


def test_wilson_interval_of_68_in_100():
    low, high = proportion_interval(68, 100)
    assert low == pytest.approx(0.58337, abs=1e-4) and high == pytest.approx(0.76331, abs=1e-4)
    assert proportion_interval(0, 0) == (None, None)
    assert proportion_interval(0, 8)[0] == 0.0 and proportion_interval(8, 8)[1] == 1.0


def test_paired_counts():
    c = PairedCounts.of([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (c.both, c.base_only, c.cand_only, c.neither, c.n) == (2, 1, 1, 1, 5)
    assert c.difference == 0.0
    with pytest.raises(ValueError):
        PairedCounts.of([1], [1, 0])


def test_adjusted_interval_by_hand():
    # 54 items right only in the baseline, none only in the candidate, of 1800: half an item per cell
    c = PairedCounts(both=1163, base_only=54, cand_only=0, neither=583)
    m = 1802
    pb, pc = 54.5 / m, 0.5 / m
    d = pc - pb
    se = math.sqrt((pb + pc - d * d) / m)
    low, high = paired_interval(c)
    assert low == pytest.approx(d - 1.959964 * se, abs=1e-6) and high == pytest.approx(d + 1.959964 * se, abs=1e-6)
    assert low == pytest.approx(-0.03791, abs=1e-4) and high == pytest.approx(-0.02202, abs=1e-4)


def test_mcnemar_exact():
    # 10 vs 2 discordant: 2 * P(X <= 2), X ~ Binomial(12, 1/2) = 2 * (1 + 12 + 66) / 4096
    assert mcnemar_p(PairedCounts(both=50, base_only=10, cand_only=2, neither=30)) == pytest.approx(158 / 4096)
    assert mcnemar_p(PairedCounts(both=5, base_only=0, cand_only=0, neither=5)) == 1.0


def _outcomes(n: int, rate: float, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [1 if rng.random() < rate else 0 for _ in range(n)]


def test_three_percent_flipped_is_inferior_at_1800_items():
    base = _outcomes(1800, 0.68, 1)
    cand = list(base)
    for i in random.Random(2).sample([i for i, b in enumerate(base) if b], 54):
        cand[i] = 0
    result = compare_paired("piqa.acc", base, cand, margin=0.01)
    assert result.verdict == "inferior"
    assert result.ci_high < -0.01 and result.difference == pytest.approx(-0.03)


@pytest.mark.parametrize("n", [10, 50, 200, 1000, 3000])
def test_identical_runs_are_never_inferior(n):
    base = _outcomes(n, 0.6, n)
    result = compare_paired("t.acc", base, base, margin=0.01)
    assert result.verdict != "inferior"
    # identical answers: the adjusted interval is +-1.96 / (n + 2), inside 1 point from n = 195 on
    assert result.verdict == ("non-inferior" if n >= 195 else "inconclusive")
    if result.verdict == "inconclusive":
        assert result.items_to_decide is not None and result.items_to_decide > n


def test_inconclusive_says_how_many_items_would_decide():
    base = _outcomes(200, 0.7, 3)
    cand = list(base)
    for i in random.Random(4).sample(range(200), 10):  # 5% of answers change, both ways
        cand[i] = 1 - cand[i]
    result = compare_paired("t.acc", base, cand, margin=0.01)
    assert result.verdict == "inconclusive" and result.items_to_decide > 200


def test_holm_step_down():
    # thresholds 0.025/3, 0.025/2, 0.025: the second p (0.013 > 0.0125) stops the procedure
    assert _holm_rejects([0.001, 0.013, 0.02], 0.025) == [True, False, False]
    assert _holm_rejects([0.02, 0.001, 0.012], 0.025) == [True, True, True]
    assert _holm_rejects([], 0.025) == []


def test_detectable_difference():
    # (z_0.975 + z_0.8) * sqrt(0.1 / 1000) = 2.8016 * 0.0100
    assert detectable_difference(1000, 0.1) == pytest.approx(2.80159 * math.sqrt(0.1 / 1000), rel=1e-4)
    assert detectable_difference(0, 0.1) is None
