"""Fidelity maths on literal distributions, and the runner's fidelity with a fake backend."""

import math

import numpy as np
import pytest

from evalharness.measure.fidelity import first_divergence, kl_mean, kl_rows, token_agreement


def test_token_agreement_and_first_divergence():
    assert token_agreement([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert token_agreement([1, 2, 3, 4], [1, 9, 3, 4]) == 0.75
    assert token_agreement([1, 2, 3, 4], [1, 2]) == 0.5
    assert token_agreement([], []) == 1.0 and token_agreement([], [5]) == 0.0
    assert first_divergence([1, 2, 3], [1, 2, 3]) is None
    assert first_divergence([1, 2, 3], [1, 7, 3]) == 1
    assert first_divergence([1, 2], [1, 2, 3]) == 2
    assert first_divergence([5], [6]) == 0


def test_kl_known_values():
    p = np.log(np.array([[0.5, 0.5], [0.9, 0.1]]))
    q = np.log(np.array([[0.5, 0.5], [0.5, 0.5]]))
    rows = kl_rows(p, q)
    assert rows[0] == pytest.approx(0.0)
    assert rows[1] == pytest.approx(0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5))
    assert kl_mean(p, q) == pytest.approx(rows.mean())
    assert kl_mean(p, p) == pytest.approx(0.0)


def test_kl_zero_mass_and_non_finite():
    with np.errstate(divide="ignore"):
        p = np.log(np.array([[1.0, 0.0]]))  # log 0 = -inf contributes nothing
    q = np.log(np.array([[0.25, 0.75]]))
    assert kl_mean(p, q) == pytest.approx(math.log(4))
    nan = np.full((1, 2), np.nan)
    assert kl_mean(q, nan) is None
    with pytest.raises(ValueError):
        kl_rows(p, np.zeros((2, 2)))
