import pytest

from evalharness.measure.stats import is_stable, percentile, summarize


def test_summary_of_literal_numbers():
    s = summarize([4.0, 1.0, 3.0, 2.0, 10.0])
    assert s.n == 5
    assert s.mean == pytest.approx(4.0)
    assert s.min == 1.0 and s.max == 10.0
    assert s.p50 == pytest.approx(3.0)
    # linear interpolation: position (5-1)*0.95 = 3.8 between 4 and 10
    assert s.p95 == pytest.approx(4.0 + 0.8 * 6.0)
    assert s.p99 == pytest.approx(4.0 + 0.96 * 6.0)
    assert s.p90 == pytest.approx(4.0 + 0.6 * 6.0)
    # sample stdev of 1,2,3,4,10: var = (9+4+1+0+36)/4 = 12.5
    assert s.stdev == pytest.approx(12.5 ** 0.5)
    assert s.stable is False


def test_percentile_matches_numpy_linear():
    import numpy as np

    data = sorted([0.3, 1.7, 2.2, 9.1, 4.4, 4.4, 0.1])
    for q in (0, 10, 50, 95, 99, 100):
        assert percentile(data, q) == pytest.approx(float(np.percentile(data, q)))


def test_missing_values_are_left_out_and_empty_is_all_none():
    assert summarize([None, 2.0, None]).n == 1
    assert summarize([None, 2.0]).stdev is None
    empty = summarize([])
    assert empty.n == 0 and empty.mean is None and empty.p95 is None


def test_stability_threshold_is_ten_percent():
    assert is_stable(100.0, 9.99) is True
    assert is_stable(100.0, 10.0) is False
    assert is_stable(5.0, None) is None
    assert summarize([10.0, 10.0, 10.0]).stable is True


def test_percentile_rejects_bad_input():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)
