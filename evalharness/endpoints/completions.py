"""One non-streamed `/completions` request (benchmark tasks through an endpoint): the JSON answer
read within a byte budget and by a hard deadline, every failure raised as `CompletionError` with
a kind and a message that never quotes the API key."""

from __future__ import annotations

import json
from typing import Any

import httpx

from evalharness.endpoints.bounded import BodyTooLarge, BoundedBody, deadline, deadline_passed, read_capped
from evalharness.endpoints.client import ERROR_CHARS, Timeouts, key_problem
from evalharness.endpoints.secrets import Redactor


class CompletionError(Exception):
    """A completion that did not come back: `kind` as the streaming client names its faults
    (connect, timeout_total, http_4xx, http_5xx, malformed, server_error, oversized, bad_key, protocol)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.detail = kind, message


def complete(http: httpx.Client, base_url: str, body: dict[str, Any], api_key: str | None,
             timeouts: Timeouts) -> dict[str, Any]:
    """POST `body` to BASE/completions; the decoded answer (a JSON object with `choices`)."""
    problem = key_problem(api_key)
    if problem is not None:
        raise CompletionError("bad_key", problem)
    redact = Redactor(api_key)
    url = base_url.rstrip("/") + "/completions"
    try:
        return _answer(_post(http, url, body, api_key, timeouts))
    except CompletionError as exc:
        raise CompletionError(exc.kind, redact.clip(exc.detail, ERROR_CHARS) or "") from None


def _post(http: httpx.Client, url: str, body: dict[str, Any], api_key: str | None, timeouts: Timeouts) -> bytes:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    # the answer comes whole, after the server has read the prompt (and computed its log-probs):
    # it may take until the request's deadline
    timeout = httpx.Timeout(connect=timeouts.connect_s, read=timeouts.total_s, write=timeouts.connect_s,
                            pool=timeouts.connect_s)
    try:
        with deadline(timeouts.total_s), http.stream("POST", url, json=body, headers=headers,
                                                     timeout=timeout) as resp:
            if resp.status_code >= 400:
                kind = "http_5xx" if resp.status_code >= 500 else "http_4xx"
                raise CompletionError(kind, f"HTTP {resp.status_code}: {read_capped(resp)}")
            return b"".join(BoundedBody(resp, timeouts.max_body_bytes).chunks())
    except BodyTooLarge as exc:
        raise CompletionError("oversized", f"the answer was refused: {exc}") from None
    except httpx.TimeoutException:
        if deadline_passed():
            raise CompletionError("timeout_total", f"no answer within {timeouts.total_s:g} s") from None
        raise CompletionError("timeout", f"{url} did not answer in time") from None
    except httpx.ConnectError as exc:
        raise CompletionError("connect", f"cannot connect to {url}: {exc}") from None
    except httpx.HTTPError as exc:
        raise CompletionError("protocol", f"{type(exc).__name__}: {exc}") from None


def _answer(raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw)
    except ValueError:
        raise CompletionError("malformed", f"not JSON: {raw[:200].decode('utf-8', 'replace')}") from None
    if isinstance(answer, dict) and isinstance(answer.get("choices"), list) and answer["choices"]:
        return answer
    if isinstance(answer, dict) and answer.get("error") is not None:
        raise CompletionError("server_error", json.dumps(answer["error"])[:ERROR_CHARS])
    raise CompletionError("malformed", f"no choices in the answer: {json.dumps(answer)[:200]}")
