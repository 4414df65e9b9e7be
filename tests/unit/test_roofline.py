"""Roofline: bytes a decode step reads, the machine's bandwidth (measured once, cached), the fraction."""

import torch

from evalharness.measure import roofline
from evalharness.measure.roofline import memory_bandwidth_gbs, roofline_fraction, weight_bytes_per_token
from evalharness.reports.schema import LoadFigures, Sample, Variant
from evalharness.runner.assemble import summarize_variant, with_roofline
from tests.unit.test_footprint import TiedLM


def test_a_tied_head_reads_the_whole_table_an_untied_embedding_one_row():
    tied = TiedLM()
    assert weight_bytes_per_token(tied) == (100 * 16 + 16 * 32 + 32 + 8) * 4
    untied = TiedLM()
    untied.head.weight = torch.nn.Parameter(torch.zeros(100, 16))
    # the head (6400 B) is read whole; of the embedding's 6400 B one 64-byte row
    assert weight_bytes_per_token(untied) == (100 * 16 + 16 + 16 * 32 + 32 + 8) * 4


def test_bandwidth_is_measured_once_per_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def measure():
        calls.append(1)
        return 12.5

    assert memory_bandwidth_gbs("cpu-a", measure) == 12.5
    assert memory_bandwidth_gbs("cpu-a", measure) == 12.5
    assert memory_bandwidth_gbs("cpu-b", measure) == 12.5
    assert len(calls) == 2


def test_triad_measures_something_plausible():
    gbs = roofline.triad_gbs(elements=2 * 1024 * 1024, passes=3)
    assert 0.1 < gbs < 2000


def test_fraction_is_tokens_times_bytes_over_bandwidth():
    assert roofline_fraction(10.0, 1e9, 20.0) == 0.5
    assert roofline_fraction(None, 1e9, 20.0) is None
    samples = [Sample(variant_id="v", case_id="c", repeat=r, prompt="p", output="o", prompt_tokens=10,
                      output_tokens=20, latency_s=1.0, ttft_s=0.1, decode_tokens_per_s=tps, prefill_tokens_per_s=None,
                      peak_rss_mb=None, gpu_peak_mb=None, error=None, success=True)
               for r, tps in enumerate((4.0, 5.0, 6.0))]
    variant = Variant(id="v", model={"source": "x", "id": "y", "label": "y"}, quantization="fp32", device="cpu",
                      status="ok", load=LoadFigures(weights_per_token_mb=1000.0, kv_per_position_kb=100.0))
    done = with_roofline(summarize_variant(variant, samples), samples, bandwidth_gbs=10.0)
    per_token = 1000.0 * 2**20 + 100.0 * 1024 * (10 + 20 / 2)
    assert done.load.roofline_fraction == 5.0 * per_token / 10e9
