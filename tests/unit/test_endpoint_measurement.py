"""Endpoint figures defined like local ones: inter-token latency per token, latency ending
with the stream (not after local token counting), every generation parameter sent."""

import time

import pytest

from evalharness.endpoints.client import stream_chat
from evalharness.runtimes import GenParams
from evalharness.runtimes.openai import request_sampling
from tests.fake_openai import FakeOpenAI, Script

MSG = [{"role": "user", "content": "hi"}]


def test_inter_token_latency_is_per_token_when_chunks_carry_several():
    with FakeOpenAI() as srv:
        srv.queue.append(Script(gap_s=0.1, usage_tokens=9))  # 5 chunks, 9 tokens
        r = stream_chat(srv.base_url, "m", MSG)
    assert r.output_tokens == 9
    assert r.inter_token_latency_s == pytest.approx(0.4 / 8, abs=0.01)
    assert r.decode_tokens_per_s == pytest.approx(1 / r.inter_token_latency_s, rel=1e-6)


def test_latency_ends_with_the_stream_not_after_local_counting():
    def slow_count(text):
        time.sleep(0.5)
        return len(text.split())

    with FakeOpenAI() as srv:
        srv.queue.append(Script(first_delay_s=0.1, gap_s=0.02, usage=False))
        r = stream_chat(srv.base_url, "m", MSG, count_tokens=slow_count)
    assert r.token_count_source == "tokenizer" and r.latency_s < 0.4


def test_every_generation_parameter_is_sent():
    sampled = GenParams(max_new_tokens=8, min_new_tokens=4, do_sample=True, temperature=0.7, top_p=0.9, seed=11)
    greedy = GenParams(max_new_tokens=8, min_new_tokens=0, do_sample=False, temperature=1.0, top_p=1.0, seed=3)
    with FakeOpenAI() as srv:
        stream_chat(srv.base_url, "m", MSG, max_tokens=8, temperature=0.7, sampling=request_sampling(sampled))
        stream_chat(srv.base_url, "m", MSG, max_tokens=8, temperature=0.0, sampling=request_sampling(greedy))
        first, second = srv.requests[0]["body"], srv.requests[1]["body"]
    assert (first["top_p"], first["seed"], first["min_tokens"], first["temperature"]) == (0.9, 11, 4, 0.7)
    assert second["seed"] == 3 and "top_p" not in second and "min_tokens" not in second
