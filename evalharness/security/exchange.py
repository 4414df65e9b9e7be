"""One request to the deployment under test and what came back, through a transport the checks
share (HTTP here; a scripted server in the tests), and the clock the checks wait on.

A check asks for little: a chat completion of `max_tokens` tokens (1 by default: the controls
under test act before or without generation). Every exchange is kept for the report, with the
keys redacted from all a server sent back; whether a key came back at all is recorded apart.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from evalharness.endpoints.bounded import BodyTooLarge, BoundedBody, bounded_client, deadline, read_capped
from evalharness.endpoints.client import ERROR_CHARS, key_problem
from evalharness.endpoints.secrets import Redactor

ANSWER_BYTES = 1 << 20  # a one-token answer is a few hundred bytes; a chatty one a few KB


@dataclass(frozen=True)
class Ask:
    """What one request sends: `key` None sends no Authorization header."""

    prompt: str
    key: str | None
    system: str | None = None
    max_tokens: int = 1


@dataclass(frozen=True)
class Reply:
    status: int | None  # None: no HTTP answer (refused connection, deadline)
    elapsed_s: float
    text: str | None = None  # the generated text, when the answer is a completion
    prompt_tokens: int | None = None  # the server's `usage.prompt_tokens`
    retry_after: str | None = None
    error: str | None = None  # what the server or the transport said instead, keys redacted
    body_bytes: int = 0  # the request body's size
    key_echoed: bool = False  # a configured key, in any encoding, was in the answer or its headers

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.text is not None

    @property
    def refused(self) -> bool:
        """Turned away by the deployment (4xx), as a control should."""
        return self.status is not None and 400 <= self.status < 500


class Transport(Protocol):
    def send(self, ask: Ask) -> Reply: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))


def request_body(model: str, ask: Ask) -> bytes:
    """The chat request as UTF-8 JSON (non-ASCII text stays multi-byte, as a client sends it)."""
    messages = ([{"role": "system", "content": ask.system}] if ask.system is not None else [])
    messages.append({"role": "user", "content": ask.prompt})
    body = {"model": model, "messages": messages, "max_tokens": ask.max_tokens, "temperature": 0,
            "stream": False}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


@dataclass
class HttpTransport:
    """POST BASE/chat/completions, within a deadline and a byte budget; `secrets` are the keys the
    deployment issued (redacted from replies; one coming back is flagged), `also_redact` other
    keys the checks send (a deliberately wrong one: redacted, its echo not a leak)."""

    base_url: str
    model: str
    secrets: tuple[str, ...] = ()
    also_redact: tuple[str, ...] = ()
    total_s: float = 120.0
    clock: Clock = field(default_factory=RealClock)
    _http: httpx.Client = field(default_factory=lambda: bounded_client(max_connections=2, max_keepalive=0))

    def __post_init__(self) -> None:
        self._issued = [Redactor(s) for s in self.secrets if s]
        self._redactors = self._issued + [Redactor(s) for s in self.also_redact if s]

    def send(self, ask: Ask) -> Reply:
        body = request_body(self.model, ask)
        problem = key_problem(ask.key)
        if problem is not None:
            return Reply(None, 0.0, error=f"not sent: {problem}", body_bytes=len(body))
        headers = {"Content-Type": "application/json"}
        if ask.key is not None:
            headers["Authorization"] = f"Bearer {ask.key}"
        url = self.base_url.rstrip("/") + "/chat/completions"
        start = self.clock.now()
        try:
            with deadline(self.total_s), self._http.stream("POST", url, content=body, headers=headers,
                                                           timeout=self.total_s) as resp:
                raw = read_capped(resp) if resp.status_code >= 400 else self._read(resp)
                return self._reply(resp, raw, self.clock.now() - start, len(body))
        except httpx.HTTPError as exc:
            return Reply(None, self.clock.now() - start, error=self._clean(f"{type(exc).__name__}: {exc}"),
                         body_bytes=len(body))

    @staticmethod
    def _read(resp: httpx.Response) -> str:
        try:
            return b"".join(BoundedBody(resp, ANSWER_BYTES).chunks()).decode("utf-8", "replace")
        except BodyTooLarge:
            return ""

    def _reply(self, resp: httpx.Response, raw: str, elapsed: float, body_bytes: int) -> Reply:
        seen = raw + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
        echoed = any(r(seen) != seen for r in self._issued)
        text, tokens = _completion(raw) if resp.status_code < 400 else (None, None)
        return Reply(resp.status_code, elapsed, text=self._clean(text, limit=None), prompt_tokens=tokens,
                     retry_after=resp.headers.get("retry-after"),
                     error=None if text is not None else self._clean(raw), body_bytes=body_bytes,
                     key_echoed=echoed)

    def _clean(self, text: str | None, limit: int | None = ERROR_CHARS) -> str | None:
        for redact in self._redactors:
            text = redact(text)
        return text if text is None or limit is None or len(text) <= limit else text[:limit] + "…"


def _completion(raw: str) -> tuple[str | None, int | None]:
    """The answer's text and `usage.prompt_tokens`; (None, None) when it is not a completion."""
    try:
        answer = json.loads(raw)
        message = answer["choices"][0]["message"]
        text = message.get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None, None
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    tokens = usage.get("prompt_tokens")
    return (text if isinstance(text, str) else str(text)), (tokens if isinstance(tokens, int) else None)
