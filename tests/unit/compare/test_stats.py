import numpy as np
import pytest

from evalharness.compare.engine import judge
from evalharness.compare.stats import (
    Interval,
    mcnemar_exact,
    paired_bootstrap_difference,
    paired_bootstrap_relative,
)


def cases(values, noise, seed, scale=1.0, repeats=3):
    rng = np.random.default_rng(seed)
    return [[v * scale * (1 + rng.normal(0, noise)) for _ in range(repeats)] for v in values]


BASE = [1.0, 2.0, 0.5, 3.0, 1.5, 2.5, 0.8, 1.2]


def test_known_shift_is_detected_with_its_size():
    iv = paired_bootstrap_relative(cases(BASE, 0.03, 1), cases(BASE, 0.03, 2, scale=1.3), "p50")
    assert 0.2 < iv.low < iv.estimate < iv.high < 0.4
    assert judge(iv, 0.10) == "regression"


def test_no_shift_is_never_a_verdict_and_mostly_no_change():
    verdicts = []
    for seed in range(20):
        iv = paired_bootstrap_relative(cases(BASE, 0.03, seed), cases(BASE, 0.03, seed + 100), "p50")
        assert abs(iv.estimate) < 0.05
        verdicts.append(judge(iv, 0.10))
    assert set(verdicts) <= {"no change", "inconclusive"}
    assert verdicts.count("no change") >= 18


def test_noisy_small_shift_is_inconclusive_not_a_verdict():
    iv = paired_bootstrap_relative(cases(BASE, 0.25, 3), cases(BASE, 0.25, 4, scale=1.12), "p50")
    assert judge(iv, 0.10) == "inconclusive"


def test_pairing_removes_case_to_case_spread():
    # cases differ 100x in size; every case is exactly 5% slower: the interval is tight
    base = [[v] * 3 for v in (0.01, 1.0, 100.0, 5.0, 0.2)]
    cand = [[x * 1.05 for x in b] for b in base]
    iv = paired_bootstrap_relative(base, cand, "mean")
    assert iv.estimate == pytest.approx(0.05)
    assert iv.low == pytest.approx(0.05) and iv.high == pytest.approx(0.05)


def test_paired_difference_literal():
    iv = paired_bootstrap_difference([0.5, 0.6, 0.7, 0.8], [0.5, 0.6, 0.7, 0.8])
    assert (iv.estimate, iv.low, iv.high) == (0.0, 0.0, 0.0)
    iv = paired_bootstrap_difference([1.0] * 10, [0.5] * 10)
    assert iv.estimate == pytest.approx(-0.5) and iv.high == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        paired_bootstrap_difference([1.0], [1.0, 2.0])


def test_mcnemar_exact_literal_values():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 1024)
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(1, 3) == pytest.approx(2 * (1 + 4) / 16)  # = 0.625


def test_judge_orientation():
    assert judge(Interval(0.3, 0.2, 0.4), 0.1) == "regression"
    assert judge(Interval(-0.3, -0.4, -0.2), 0.1) == "improvement"
    assert judge(Interval(0.0, -0.05, 0.05), 0.1) == "no change"
    assert judge(Interval(0.1, 0.05, 0.2), 0.1) == "inconclusive"  # not beyond the tolerance


def test_judge_needs_significance_and_size():
    # beyond the tolerance and the interval excludes 0: a verdict, even if the interval reaches
    # inside the tolerance (the noise between runs widens it)
    assert judge(Interval(0.20, 0.02, 0.38), 0.1) == "regression"
    assert judge(Interval(-0.20, -0.38, -0.02), 0.1) == "improvement"
    # beyond the tolerance but the interval includes 0: could be luck
    assert judge(Interval(0.20, -0.01, 0.41), 0.1) == "inconclusive"
    assert judge(Interval(-0.20, -0.41, 0.01), 0.1) == "inconclusive"
    # significant but small: inside the tolerance is no change only if the interval is too
    assert judge(Interval(0.05, 0.01, 0.09), 0.1) == "no change"
    assert judge(Interval(0.08, 0.01, 0.15), 0.1) == "inconclusive"
