"""Server-sent events of the wrong shape are failed samples, never exceptions; the API key is
never stored or printed, whatever the server echoes (issue: hostile input)."""

import pytest

from evalharness.endpoints.client import Timeouts, key_problem, stream_chat
from tests.fake_openai import FakeOpenAI, Script

KEY = "sk-test-abcdef0123456789"
SHAPES = ["5", '"text"', "[1, 2]", '{"choices": "abc"}', '{"choices": [{"delta": "x"}]}',
          '{"choices": [1]}', '{"choices": [{"delta": {"content": 5}}]}', '{"usage": [1]}',
          '{"choices": [], "usage": "many"}', "[" * 5000 + "]" * 5000, "null"]


@pytest.mark.parametrize("event", SHAPES)
def test_valid_json_of_the_wrong_shape_is_a_malformed_result(event):
    with FakeOpenAI() as srv:
        srv.queue.append(Script(mode="raw", events=[event]))
        r = stream_chat(srv.base_url, "m", [{"role": "user", "content": "hi"}], timeouts=Timeouts(total_s=10))
    assert not r.success and r.error_kind in ("malformed", "empty"), (event, r.error_kind, r.error)


def test_negative_or_odd_usage_is_not_trusted():
    events = ['{"choices": [{"delta": {"content": "a"}}]}', '{"choices": [{"delta": {"content": "b"}}]}',
              '{"choices": [], "usage": {"completion_tokens": -5, "prompt_tokens": "x"}}']
    with FakeOpenAI() as srv:
        srv.queue.append(Script(mode="raw", events=events))
        r = stream_chat(srv.base_url, "m", [{"role": "user", "content": "hi"}])
    assert r.success and r.output_tokens == 2 and r.token_count_source == "chunks" and r.prompt_tokens is None
    assert r.decode_tokens_per_s is None or r.decode_tokens_per_s > 0


def test_a_401_that_echoes_the_key_is_redacted():
    with FakeOpenAI() as srv:
        srv.queue.append(Script(mode="echo401"))
        r = stream_chat(srv.base_url, "m", [{"role": "user", "content": "hi"}], api_key=KEY)
        assert srv.requests[-1]["auth"] == f"Bearer {KEY}"  # it was sent ...
    assert r.error_kind == "http_4xx" and "[redacted]" in r.error  # ... and never kept
    assert KEY not in repr(r.record())


@pytest.mark.parametrize("key", [KEY + "\n", " " + KEY, "sk-\x00abc", "sk-é-abcdef", ""])
def test_a_key_that_cannot_be_a_header_is_refused_before_sending(key):
    with FakeOpenAI() as srv:
        r = stream_chat(srv.base_url, "m", [{"role": "user", "content": "hi"}], api_key=key)
        assert srv.requests == []
    assert r.error_kind == "bad_key" and KEY not in (r.error or "")
    assert key_problem(key) is not None and key_problem(KEY) is None


def test_probe_output_and_json_never_hold_the_key(tmp_path, monkeypatch, capsys):
    from evalharness.commands.main import main

    monkeypatch.setenv("EH_TEST_KEY", KEY)
    out = tmp_path / "probe.json"
    with FakeOpenAI() as srv:
        srv.default = Script(mode="echo401")
        code = main(["probe", srv.base_url, "--model", "m", "--requests", "2", "--api-key-env", "EH_TEST_KEY",
                     "--json", str(out)])
    printed = capsys.readouterr()
    assert code == 1 and "redacted" in out.read_text()
    assert KEY not in out.read_text() and KEY not in printed.out and KEY not in printed.err
    monkeypatch.setenv("EH_TEST_KEY", KEY + "\n")
    assert main(["probe", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "EH_TEST_KEY"]) == 2
    assert KEY not in capsys.readouterr().err
