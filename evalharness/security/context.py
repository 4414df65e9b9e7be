"""What every check works with: the transport to the deployment, the clock, the keys, and the log of
every exchange (kept for the report)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from evalharness.reports.security import Exchange, Finding
from evalharness.security.exchange import Ask, Clock, RealClock, Reply, Transport

ANSWER_CHARS = 2000  # an answer kept in the report: enough to judge it, not a flood
PROGRESS_S = 30.0
PATIENCE_S = 180.0  # the longest a check waits out a rate limit for one request


def retry_after_s(value: str | None) -> float | None:
    """Retry-After in seconds (the delay form; an HTTP date is not followed), None when absent or odd."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 3600 else None


def wrong_key() -> str:
    """A well-formed key that no deployment has issued."""
    return "sk-evalharness-wrong-" + secrets.token_hex(12)


@dataclass
class CheckContext:
    transport: Transport
    key: str | None = None  # the key the deployment issued (None: it has none, or we were not given one)
    second_key: str | None = None  # another client's key (per-key rate limits)
    clock: Clock = field(default_factory=RealClock)
    wrong: str = field(default_factory=wrong_key)
    exchanges: list[Exchange] = field(default_factory=list)
    note: Callable[[str], None] | None = None  # progress lines for long checks
    _noted: float = -1e9

    def progress(self, check: str, done: int, total: int) -> None:
        """A line every PROGRESS_S of a long check, and at its end."""
        now = self.clock.now()
        if self.note is not None and (done == total or now - self._noted >= PROGRESS_S):
            self._noted = now
            self.note(f"{check}: {done}/{total} attempts")

    def ask(self, check: str, what: str, prompt: str, key: str | None | bool = True, system: str | None = None,
            max_tokens: int = 1, patient: bool = True) -> Reply:
        """Send one request and log it; `key` True sends the configured key. A `patient` ask
        answered 429 waits as told (Retry-After, else 1 s, doubling) and asks again, up to
        PATIENCE_S in all: the checks other than the rate limit's must not be throttled by it."""
        sent_key = self.key if key is True else (None if key is False else key)
        waited, pause = 0.0, 1.0
        while True:
            reply = self._send(check, what, Ask(prompt, sent_key, system, max_tokens))
            if not patient or reply.status != 429 or waited >= PATIENCE_S:
                return reply
            wait = min(retry_after_s(reply.retry_after) or pause, PATIENCE_S - waited)
            self.clock.sleep(wait)
            waited, pause = waited + wait, min(pause * 2, 30.0)

    def _send(self, check: str, what: str, ask: Ask) -> Reply:
        reply = self.transport.send(ask)
        prompt = ask.prompt
        answer = reply.text if reply.text is None or len(reply.text) <= ANSWER_CHARS else reply.text[:ANSWER_CHARS]
        self.exchanges.append(Exchange(
            check=check, what=what, prompt_chars=len(prompt), body_bytes=reply.body_bytes, status=reply.status,
            elapsed_s=reply.elapsed_s, prompt_tokens=reply.prompt_tokens, retry_after=reply.retry_after,
            answer=answer, error=reply.error, key_echoed=reply.key_echoed))
        return reply


def key_leak_finding(ctx: CheckContext) -> Finding | None:
    """A failed `auth` finding when any answer or header carried a configured key back."""
    echoed = [e for e in ctx.exchanges if e.key_echoed]
    if not echoed:
        return None
    first = echoed[0]
    return Finding(check="auth", status="fail", severity="critical",
                   title="the deployment sent an API key back",
                   evidence=f"{len(echoed)} of {len(ctx.exchanges)} answers carried a key (first: {first.check}, "
                            f"{first.what}, HTTP {first.status}); it is redacted in this report",
                   observed={"key_echoed": len(echoed)})


def describe(reply: Reply) -> str:
    if reply.status is None:
        return f"no answer ({reply.error or 'connection failed'})"
    if reply.accepted:
        return f"HTTP {reply.status} answered in {reply.elapsed_s:.3f} s"
    detail = f": {reply.error[:120]}" if reply.error else ""
    return f"HTTP {reply.status} in {reply.elapsed_s:.3f} s{detail}"
