"""A streaming chat-completions client that times every chunk and turns faults into data.

TTFT is the arrival of the first content chunk; inter-token latency is the mean gap between
content chunks; decode tokens/s is (tokens - 1) over the time from the first to the last
content chunk. Token counts come from the server's `usage` report, else a local tokenizer
when one is given, else the number of content chunks; `token_count_source` says which.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import httpx

from evalharness.endpoints.bounded import BodyTooLarge, bounded_client, deadline, deadline_passed, lines, read_capped
from evalharness.endpoints.secrets import Redactor
from evalharness.measure.tokens import generation_timing
from evalharness.reports.endpoint import ProbeRequest
from evalharness.reports.schema import Timing

Clock = Callable[[], float]
R = TypeVar("R", bound=Timing)


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 5.0
    first_token_s: float = 30.0  # also the longest allowed stall between chunks
    total_s: float = 120.0  # a hard deadline: every socket operation of the request ends by then
    max_line_bytes: int = 1 << 20  # one server-sent event
    max_body_bytes: int = 64 << 20  # the whole stream

ERROR_CHARS = 300  # an error message kept in a record, cut after the key is redacted


@dataclass
class EndpointResult:
    success: bool
    error_kind: str | None  # connect, timeout_connect, timeout_first_token, stall, timeout_total,
    #                         http_4xx, http_5xx, malformed, server_error, truncated, empty,
    #                         oversized, bad_key (not sent), protocol
    error: str | None
    status_code: int | None
    text: str
    start_s: float
    end_s: float
    chunk_times_s: list[float] = field(default_factory=list)
    output_tokens: int | None = None
    prompt_tokens: int | None = None
    token_count_source: str | None = None

    @cached_property
    def timing(self) -> Timing:
        """TTFT, inter-token latency and decode rate by the formula local runtimes use, from the
        content chunks' arrivals (a chunk may carry several tokens; per chunk when tokens were
        not counted). No prefill rate: TTFT at an endpoint holds the network and the queue.
        Built once per result (a finished request is not changed afterwards): the properties
        below and the load test's window, goodput and summaries read it per request."""
        t = self.chunk_times_s
        return generation_timing(self.start_s, self.end_s, t[0] if t else None, t[-1] if t else None,
                                 self.output_tokens, gaps=max(len(t) - 1, 0), source=self.token_count_source)

    @property
    def latency_s(self) -> float:
        return self.timing.latency_s

    @property
    def ttft_s(self) -> float | None:
        return self.timing.ttft_s

    @property
    def inter_token_latency_s(self) -> float | None:
        return self.timing.inter_token_latency_s

    @property
    def decode_tokens_per_s(self) -> float | None:
        return self.timing.decode_tokens_per_s

    def as_record(self, cls: type[R], timed: bool = True, **fields: Any) -> R:
        """A typed record of this request (a probe's, a load test's, a monitor's): its timing
        fields filled from `timing` (left null with timed=False), then `fields`."""
        timing = self.timing.model_dump() if timed else {"token_count_source": self.token_count_source}
        return cls(**timing, **fields)

    def record(self) -> ProbeRequest:
        return self.as_record(ProbeRequest, success=self.success, error_kind=self.error_kind, error=self.error,
                              status_code=self.status_code, text=self.text, start_s=self.start_s, end_s=self.end_s,
                              prompt_tokens=self.prompt_tokens, chunks=len(self.chunk_times_s))


@dataclass
class _Stream:
    """What one streamed answer has gathered so far."""

    start: float
    clock: Clock
    count_tokens: Callable[[str], int] | None
    parts: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    status: int | None = None

    redactor: Redactor = field(default_factory=lambda: Redactor(None))

    def result(self, kind: str | None, error: str | None) -> EndpointResult:
        end = self.clock()
        text = self.redactor("".join(self.parts))
        tokens, source = _count(self.usage, text, self.times, self.count_tokens)
        prompt = self.usage.get("prompt_tokens")
        prompt = prompt if isinstance(prompt, int) and not isinstance(prompt, bool) and prompt >= 0 else None
        return EndpointResult(success=kind is None, error_kind=kind, error=self.redactor.clip(error, ERROR_CHARS),
                              status_code=self.status, text=text, start_s=self.start, end_s=end,
                              chunk_times_s=self.times, output_tokens=tokens, prompt_tokens=prompt,
                              token_count_source=source)


def api_key_from_env(variable: str | None) -> str | None:
    """The API key held by an environment variable (None when no variable is named); ValueError
    naming the variable, never quoting the key, when it is unset or cannot be a header."""
    if not variable:
        return None
    key = os.environ.get(variable)
    if key is None:
        raise ValueError(f"environment variable {variable} is not set")
    problem = key_problem(key)
    if problem:
        raise ValueError(f"environment variable {variable}: {problem}")
    return key


def key_problem(api_key: str | None) -> str | None:
    """Why an API key cannot be sent in a header (the key itself is never quoted)."""
    if api_key is None:
        return None
    if not api_key.strip():
        return "the API key is empty"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in api_key):
        return "the API key contains whitespace or a control character (a trailing newline?)"
    if not api_key.isascii():
        return "the API key contains non-ASCII characters"
    return None


def _content_of(chunk: Any) -> tuple[list[str] | None, dict[str, Any] | None, str | None]:
    """(content pieces, usage, problem) of one event; anything of the wrong shape is a problem."""
    if not isinstance(chunk, dict):
        return None, None, f"an event that is not a JSON object: {str(chunk)!r}"
    if "error" in chunk:
        return None, None, f"server error in stream: {chunk['error']}"
    usage = chunk.get("usage")
    if usage is not None and not isinstance(usage, dict):
        return None, None, "`usage` is not an object"
    choices = chunk.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        return None, None, "`choices` is not a list of objects"
    pieces = []
    for choice in choices:
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            return None, None, "`delta` is not an object"
        content = delta.get("content")
        if content is not None and not isinstance(content, str):
            return None, None, "`delta.content` is not text"
        if content:
            pieces.append(content)
    return pieces, usage, None


def _read_events(resp: httpx.Response, st: _Stream, timeouts: Timeouts) -> tuple[str | None, str | None]:
    """Consume server-sent events up to [DONE]: (None, None), or the failure (kind, message)."""
    return consume_events(lines(resp, timeouts.max_line_bytes, timeouts.max_body_bytes), st, timeouts.total_s)


def consume_events(events: Iterable[str], st: _Stream, total_s: float) -> tuple[str | None, str | None]:
    """The lines of an event stream into `st`: (None, None) at [DONE], or the failure (kind, message)."""
    for line in events:
        if st.clock() - st.start > total_s or deadline_passed():
            return "timeout_total", f"no complete answer within {total_s:g} s"
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return None, None
        try:
            chunk = json.loads(payload)
        except (json.JSONDecodeError, RecursionError, ValueError):
            return "malformed", f"unparseable server-sent event: {payload!r}"
        pieces, usage, problem = _content_of(chunk)
        if problem is not None:
            kind = "server_error" if problem.startswith("server error") else "malformed"
            return kind, problem
        if usage:
            st.usage = usage
        for piece in pieces or ():
            st.times.append(st.clock())
            st.parts.append(piece)
    return "truncated", "the stream ended without [DONE]"


def stream_chat(
    base_url: str,
    model: str,
    messages: Sequence[dict[str, str]],
    max_tokens: int = 64,
    temperature: float = 0.0,
    sampling: dict[str, Any] | None = None,
    api_key: str | None = None,
    timeouts: Timeouts = Timeouts(),
    count_tokens: Callable[[str], int] | None = None,
    clock: Clock = time.perf_counter,
    client: httpx.Client | None = None,
) -> EndpointResult:
    """One streamed chat completion; every failure comes back as a result, never raised.

    `sampling` adds request fields (top_p, seed, min_tokens). The clock stops when the stream
    ends, before any local token counting."""
    url = base_url.rstrip("/") + "/chat/completions"
    body = {"model": model, "messages": list(messages), "max_tokens": max_tokens,
            "temperature": temperature, "stream": True, "stream_options": {"include_usage": True},
            **(sampling or {})}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    timeout = httpx.Timeout(connect=timeouts.connect_s, read=timeouts.first_token_s,
                            write=timeouts.connect_s, pool=timeouts.connect_s)
    bad_key = key_problem(api_key)
    if bad_key is not None:
        return _Stream(start=clock(), clock=clock, count_tokens=None).result("bad_key", bad_key)
    own = client is None
    http = client or bounded_client()  # built before the clock starts: its set-up is not the server's time
    st = _Stream(start=clock(), clock=clock, count_tokens=count_tokens, redactor=Redactor(api_key))
    try:
        with deadline(timeouts.total_s):
            return _exchange(http, url, body, headers, timeout, timeouts, st)
    finally:
        if own:
            http.close()


def _exchange(http: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str], timeout: httpx.Timeout,
              timeouts: Timeouts, st: _Stream) -> EndpointResult:
    try:
        with http.stream("POST", url, json=body, headers=headers, timeout=timeout) as resp:
            st.status = resp.status_code
            if st.status >= 400:
                detail = read_capped(resp)
                return st.result("http_5xx" if st.status >= 500 else "http_4xx", f"HTTP {st.status}: {detail}")
            kind, error = _read_events(resp, st, timeouts)
            if kind is not None:
                return st.result(kind, error)
    except BodyTooLarge as exc:
        return st.result("oversized", f"the answer was refused: {exc}")
    except httpx.TimeoutException as exc:
        if deadline_passed():
            return st.result("timeout_total", f"no complete answer within {timeouts.total_s:g} s")
        if isinstance(exc, httpx.ConnectTimeout):
            return st.result("timeout_connect", f"no connection within {timeouts.connect_s:g} s")
        if not st.times:
            return st.result("timeout_first_token", f"no first token within {timeouts.first_token_s:g} s")
        return st.result("stall", f"the stream stalled for over {timeouts.first_token_s:g} s")
    except httpx.ConnectError as exc:
        return st.result("connect", f"cannot connect to {url}: {exc}")
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        return st.result("truncated", f"the connection broke mid-stream: {exc}")
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return st.result("protocol", f"the request failed: {type(exc).__name__}: {exc}")
    if not "".join(st.parts).strip():
        return st.result("empty", "the server answered with no content")
    return st.result(None, None)


def _count(usage: dict[str, Any], text: str, times: list[float],
           count_tokens: Callable[[str], int] | None) -> tuple[int | None, str | None]:
    reported = usage.get("completion_tokens")
    if isinstance(reported, int) and not isinstance(reported, bool) and reported >= 0:
        return reported, "usage"
    if count_tokens is not None and text:
        return count_tokens(text), "tokenizer"
    if times:
        return len(times), "chunks"
    return None, None
