"""The streaming client against a scripted server: timings within 20 ms, faults as data."""

import socket

import pytest

from evalharness.endpoints.client import Timeouts, stream_chat
from tests.fake_openai import FakeOpenAI, Script

MSG = [{"role": "user", "content": "hi"}]


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def test_ttft_and_inter_token_latency_match_the_script(server):
    server.queue.append(Script(first_delay_s=0.30, gap_s=0.10))
    r = stream_chat(server.base_url, "m", MSG, api_key="sekret")
    assert r.success, r.error
    assert r.text == "Hello there, friend."
    assert r.ttft_s == pytest.approx(0.30, abs=0.02)
    assert r.inter_token_latency_s == pytest.approx(0.10, abs=0.02)
    assert r.output_tokens == 5 and r.token_count_source == "usage" and r.prompt_tokens == 7
    assert r.decode_tokens_per_s == pytest.approx(4 / 0.40, rel=0.1)
    assert r.latency_s >= r.ttft_s
    assert server.requests[0]["auth"] == "Bearer sekret"
    assert server.requests[0]["body"]["stream"] is True


def test_token_source_falls_back_to_tokenizer_then_chunks(server):
    server.queue.extend([Script(usage=False), Script(usage=False)])
    r = stream_chat(server.base_url, "m", MSG, count_tokens=lambda t: len(t.split()))
    assert (r.output_tokens, r.token_count_source) == (3, "tokenizer")
    r = stream_chat(server.base_url, "m", MSG)
    assert (r.output_tokens, r.token_count_source) == (5, "chunks")


@pytest.mark.parametrize("script,kind", [
    (Script(mode="http500"), "http_5xx"),
    (Script(mode="http429"), "http_4xx"),
    (Script(mode="garbage"), "malformed"),
    (Script(mode="truncate"), "truncated"),
    (Script(mode="empty"), "empty"),
    (Script(mode="error_event"), "server_error"),
    (Script(mode="drop"), "truncated"),
])
def test_faults_are_failed_results_with_reasons(server, script, kind):
    server.queue.append(script)
    r = stream_chat(server.base_url, "m", MSG)
    assert not r.success and r.error_kind == kind, (r.error_kind, r.error)
    assert r.error


def test_stall_before_first_token_is_a_first_token_timeout(server):
    server.queue.append(Script(mode="stall", stall_s=1.0))
    r = stream_chat(server.base_url, "m", MSG, timeouts=Timeouts(first_token_s=0.3))
    assert r.error_kind == "timeout_first_token"
    assert r.latency_s == pytest.approx(0.3, abs=0.15)


def test_total_timeout(server):
    server.queue.append(Script(gap_s=0.2, chunks=["a"] * 8))
    r = stream_chat(server.base_url, "m", MSG, timeouts=Timeouts(total_s=0.5))
    assert r.error_kind == "timeout_total"


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = stream_chat(f"http://127.0.0.1:{port}/v1", "m", MSG)
    assert not r.success and r.error_kind == "connect"
