import pytest

from evalharness.measure.tokens import TimedGeneration, timing_of, trim_at_eos


def test_trim_stops_at_first_eos_and_drops_it():
    assert trim_at_eos([5, 6, 1, 7, 1], {1, 106}) == [5, 6]
    assert trim_at_eos([5, 106, 6], {1, 106}) == [5]
    assert trim_at_eos([5, 6], {1}) == [5, 6]
    assert trim_at_eos([1, 5], {1}) == []


def test_timing_from_token_arrivals():
    gen = TimedGeneration(prompt_tokens=10, generated_ids=[7, 8, 9, 1], start_s=100.0,
                          token_times_s=[100.5, 100.6, 100.7, 100.8], end_s=100.9)
    t = timing_of(gen, output_tokens=3)  # the EOS (4th token) is not counted
    assert t.latency_s == pytest.approx(0.9)
    assert t.ttft_s == pytest.approx(0.5)
    assert t.prefill_tokens_per_s == pytest.approx(20.0)
    assert t.decode_tokens_per_s == pytest.approx(2 / 0.2)
    assert t.inter_token_latency_s == pytest.approx(0.1)
    assert t.output_tokens == 3
    assert t.ttft_s < t.latency_s


def test_single_token_has_no_decode_rate_and_empty_has_no_ttft():
    one = TimedGeneration(4, [7], 0.0, [0.2], 0.25)
    t = timing_of(one, 1)
    assert t.decode_tokens_per_s is None and t.inter_token_latency_s is None
    assert t.ttft_s == pytest.approx(0.2)
    none = TimedGeneration(4, [], 0.0, [], 0.1)
    t0 = timing_of(none, 0)
    assert t0.ttft_s is None and t0.prefill_tokens_per_s is None and t0.output_tokens == 0


def test_more_counted_tokens_than_timestamps_is_an_error():
    with pytest.raises(ValueError):
        timing_of(TimedGeneration(1, [1, 2], 0.0, [0.1], 0.2), 2)


def test_an_endpoint_stream_and_a_local_generation_share_one_formula():
    """One token per chunk: the endpoint's figures are the local ones (but no prefill rate, as an
    endpoint's TTFT holds the network); chunks carrying several tokens count the tokens, and
    without a token count the inter-token latency is per chunk and there is no decode rate."""
    from evalharness.endpoints.client import EndpointResult

    times = [100.5, 100.6, 100.7]
    local = timing_of(TimedGeneration(10, [7, 8, 9], 100.0, times, 100.9), 3)
    stream = EndpointResult(True, None, None, 200, "abc", 100.0, 100.9, chunk_times_s=times, output_tokens=3,
                            token_count_source="usage")
    remote = stream.timing
    for name in ("latency_s", "ttft_s", "decode_tokens_per_s", "inter_token_latency_s", "output_tokens"):
        assert getattr(remote, name) == pytest.approx(getattr(local, name)), name
    assert remote.prefill_tokens_per_s is None and local.prefill_tokens_per_s == pytest.approx(20.0)
    assert (remote.token_count_source, local.token_count_source) == ("usage", "tokenizer")
    # 7 tokens in 3 chunks: 6 tokens after the first over 0.2 s
    multi = EndpointResult(True, None, None, 200, "x", 100.0, 100.9, chunk_times_s=times, output_tokens=7)
    assert multi.decode_tokens_per_s == pytest.approx(30.0) and multi.inter_token_latency_s == pytest.approx(0.2 / 6)
    uncounted = EndpointResult(True, None, None, 200, "x", 100.0, 100.9, chunk_times_s=times)
    assert uncounted.decode_tokens_per_s is None and uncounted.inter_token_latency_s == pytest.approx(0.1)
    one_chunk = EndpointResult(True, None, None, 200, "x", 100.0, 100.9, chunk_times_s=[100.5], output_tokens=5)
    assert one_chunk.decode_tokens_per_s is None and one_chunk.inter_token_latency_s is None
    assert one_chunk.ttft_s == pytest.approx(0.5)
    from evalharness.reports.schema import Measurement

    assert set(local.model_dump()) <= set(Measurement.model_fields)
