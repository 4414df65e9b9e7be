"""Canaries against llama-cpp-python's server: pins from a run against two builds of the model,
an unchanged server raises nothing, a swapped build is named and its answers flagged as drifted."""

import pytest

from tests.canary_llama import swap_scenario
from tests.llama_server import available

pytestmark = pytest.mark.skipif(not available(),
                                reason="needs llama-cpp-python[server] (make llama-cpp builds and installs it)")


def test_a_swapped_build_is_named_and_its_answers_flagged(tmp_path):
    f = swap_scenario(tmp_path, unchanged=16, log=lambda s: None)
    assert f["unchanged_probes"] >= 12 and not f["unchanged_alerts"], f["alerts"]
    # llama-cpp-python's server is not perfectly repeatable (its prompt cache): most, not all
    assert f["unchanged_exact"] >= 0.75 * f["unchanged_probes"], f["output"][-2000:]
    assert f["unchanged_matched"] == ["q4_k_m/served/remote"]
    assert f["changed_to"] == "q8_0/served/remote", f["alerts"]
    h = f["start"]["canary"]
    assert f["drift_delay"] is not None and f["drift_delay"] <= 4 * h["arl1_probes"], (f["drift_delay"], h)
    assert f["changed_delay"] <= 3 * h["match_window"]
