"""The CUSUM's run lengths come from a Markov chain: a plain simulation of the same statistic
must agree, and the design must keep its false-alarm promise with the smallest threshold."""

import math

import numpy as np
import pytest

from evalharness.canary.cusum import BernoulliCusum, average_run_length, design


def simulated_run_length(h, p, p0, p1, runs, seed):
    rng = np.random.default_rng(seed)
    up, down = math.log(p1 / p0), math.log((1 - p1) / (1 - p0))
    lengths = []
    for _ in range(runs):
        s, n = 0.0, 0
        while s < h:
            n += 1
            s = max(0.0, s + (up if rng.random() < p else down))
        lengths.append(n)
    return float(np.mean(lengths)), float(np.std(lengths) / math.sqrt(runs))


@pytest.mark.parametrize("h,p,p0,p1", [(3.0, 0.05, 0.05, 0.5), (3.0, 0.2, 0.05, 0.5), (5.0, 0.5, 0.05, 0.5),
                                       (4.0, 0.05, 0.02, 0.3), (2.5, 0.1, 0.1, 0.6)])
def test_markov_chain_agrees_with_a_simulation(h, p, p0, p1):
    chain = average_run_length(h, p, p0, p1)
    mean, se = simulated_run_length(h, p, p0, p1, runs=3000, seed=7)
    assert abs(chain - mean) <= 4 * se + 0.01 * mean, (chain, mean, se)


def test_design_keeps_the_false_alarm_allowance_with_the_smallest_threshold():
    d = design(0.05, 0.5, probes_per_day=2880, false_alarms_per_day=1 / 30)
    assert d.false_alarms_per_day <= 1 / 30
    assert d.arl0 == pytest.approx(average_run_length(d.h, 0.05, 0.05, 0.5))
    lower = average_run_length(d.h * 0.97, 0.05, 0.05, 0.5)
    assert 2880 / lower > 1 / 30  # a threshold 3% lower breaks the allowance: h is not oversized
    assert 5 < d.arl1 < 30  # a change that breaks half the canaries is seen within tens of probes
    stricter = design(0.05, 0.5, probes_per_day=2880, false_alarms_per_day=1 / 365)
    assert stricter.h > d.h and stricter.arl1 > d.arl1


def test_statistic_climbs_on_mismatches_and_resets():
    c = BernoulliCusum(design(0.05, 0.5, 100, 0.1))
    assert not c.update(False) and c.value == 0.0
    fired = [c.update(True) for _ in range(10)]
    assert fired[-1] and not fired[0]
    c.reset()
    assert c.value == 0.0


def test_impossible_rates_are_refused():
    with pytest.raises(ValueError):
        design(0.5, 0.2, 100, 1)
