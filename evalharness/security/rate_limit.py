"""Rate limit: N requests per W seconds per key, then 429 with Retry-After; service back after the
window; another key unaffected; and no 2N across a window boundary (a sliding window, or a
bucket, rather than a fixed window).

The check runs first (earlier requests would use up part of the quota) and sends no more than it
needs: a burst until the first refusal (at most `max_requests`), one request with a second key,
polls until the service returns (their pace a twentieth of the time waited so far), and a
boundary probe: a burst shortly before the window that began at the return ends, then requests
every few tenths of a second across that moment (polls and probe paced finer than
the probe's lead, so the return is found before the next window's end). A fixed window answers about 2N of them within
much less than W; a sliding one never more than N (plus the one that expired).

With nothing declared, N is the burst's count and W the longer of two waits for the service to
return (after the first burst, and after a second one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evalharness.reports.security import Finding
from evalharness.security.context import CheckContext, describe
from evalharness.security.exchange import Reply

CHECK = "rate-limit"
PROMPT = "Say OK."
FIXED_SHARE = 1.5  # more than 1.5 N answered within SPAN x W: not a sliding window
SPAN = 0.85


@dataclass
class Tally:
    """The send times of answered requests, and the refusals seen."""

    answered: list[float] = field(default_factory=list)
    refusals: list[Reply] = field(default_factory=list)
    sent: int = 0

    def most_within(self, span: float) -> int:
        """The largest number of answered requests whose send times lie within `span` seconds."""
        times, best, start = sorted(self.answered), 0, 0
        for end, t in enumerate(times):
            while t - times[start] > span:
                start += 1
            best = max(best, end - start + 1)
        return best


@dataclass
class RateLimitCheck:
    ctx: CheckContext
    declared: tuple[int, float] | None = None  # (N, W seconds)
    max_requests: int = 120
    max_wait_s: float = 180.0
    tally: Tally = field(default_factory=Tally)

    def send(self, what: str, key: str | None | bool = True) -> tuple[float, Reply]:
        t = self.ctx.clock.now()
        reply = self.ctx.ask(CHECK, what, PROMPT, key=key, patient=False)
        self.tally.sent += 1
        if reply.accepted and key is True:
            self.tally.answered.append(t)
        elif not reply.accepted:
            self.tally.refusals.append(reply)
        return t, reply

    def burst(self, what: str, limit: int) -> tuple[int, Reply | None]:
        """Requests back to back until one is not answered (returned), at most `limit`."""
        for i in range(limit):
            _, reply = self.send(f"{what} #{i + 1}")
            if not reply.accepted:
                return i, reply
        return limit, None

    def wait_for_return(self, since: float, expected: float | None = None) -> float | None:
        """Poll until a request is answered; when it was sent, None past max_wait_s. With an
        `expected` window the polls are half the boundary probe's lead apart from the
        start (a fixed window may end any moment after the burst); else their pace is a fiftieth
        of the time waited (0.02 to 0.5 s)."""
        while self.ctx.clock.now() - since < self.max_wait_s:
            waited = self.ctx.clock.now() - since
            pause = delta_for(expected) / 2 if expected is not None else max(0.02, min(0.5, waited / 50))
            self.ctx.clock.sleep(pause)
            t, reply = self.send("poll for the window's end")
            if reply.accepted:
                return t
        return None

    def boundary_probe(self, back: float, window: float) -> None:
        """A burst shortly before `back` + `window`; then requests every fifth of that delta until
        shortly after it, each answered one followed by a burst."""
        delta = delta_for(window)
        self.ctx.clock.sleep(back + window - delta - self.ctx.clock.now())
        self.burst("before the window ends", self.max_requests)
        end = back + window + 2 * delta
        while self.ctx.clock.now() < end and self.tally.sent < 5 * self.max_requests:
            _, reply = self.send("across the window's end")
            if reply.accepted:
                self.burst("after the window's end", self.max_requests)
            self.ctx.clock.sleep(delta / 5)


def delta_for(window: float) -> float:
    """How long before a window's end the boundary probe begins."""
    return min(2.0, window / 20)


def check_rate_limit(ctx: CheckContext, declared: tuple[int, float] | None = None, max_requests: int = 120,
                     max_wait_s: float = 180.0) -> Finding:
    run = RateLimitCheck(ctx, declared, max_requests, max_wait_s)
    if declared is not None:
        ctx.clock.sleep(declared[1])  # earlier requests out of the window
    first = ctx.clock.now()
    count, refusal = run.burst("burst", max(max_requests, declared[0] + 1 if declared else 0))
    if refusal is None:
        return _no_limit(run, count, first, declared)
    other = run.send("another key, right after", key=ctx.second_key) if ctx.second_key else None
    back = run.wait_for_return(first, declared[1] if declared is not None else None)
    if back is None:
        return _finding(run, count, refusal, other, None, None, declared,
                        [f"the service did not return within {max_wait_s:g} s"])
    window = declared[1] if declared is not None else _second_return(run, first, back)
    if window is None:
        return _finding(run, count, refusal, other, back - first, None, declared,
                        [f"the service did not return a second time within {max_wait_s:g} s"])
    run.boundary_probe(back if declared is not None else run.tally.answered[-1], window)
    return _finding(run, count, refusal, other, back - first, window, declared, [])


def _second_return(run: RateLimitCheck, first: float, back: float) -> float | None:
    """Without a declared window: use up the quota again and time the next return. The window is
    the longer of the two waits: a sliding log returns a full window after the first request (the
    second wait may be short, while the first burst's requests expire one by one), a fixed window
    a full window after its start (the first wait may be short: the burst fell late in a window)."""
    run.burst("second burst", run.max_requests)
    again = run.wait_for_return(back)
    return None if again is None else max(back - first, again - back)


def _no_limit(run: RateLimitCheck, count: int, first: float, declared: tuple[int, float] | None) -> Finding:
    spent = run.ctx.clock.now() - first
    title = (f"declared {declared[0]} per {declared[1]:g} s, but {count} requests in {spent:.1f} s were all answered"
             if declared else f"no rate limit: {count} requests in {spent:.1f} s were all answered")
    return Finding(check=CHECK, status="fail", severity="medium", title=title,
                   evidence=f"{count} back-to-back requests, none refused",
                   observed={"limit": None, "window_s": None, "sliding": None, "requests": run.tally.sent,
                             "declared": list(declared) if declared else None})


def _finding(run: RateLimitCheck, count: int, refusal: Reply, other: tuple[float, Reply] | None,
             recovery: float | None, window: float | None, declared: tuple[int, float] | None,
             problems: list[str]) -> Finding:
    limit = count
    most = run.tally.most_within(SPAN * window) if window else None
    sliding = None if most is None else most <= FIXED_SHARE * (declared[0] if declared is not None else limit)
    problems = list(problems)
    if declared is not None and count != declared[0]:
        problems.append(f"declared {declared[0]} per {declared[1]:g} s, answered {count} before the first refusal")
    if refusal.status != 429:
        problems.append(f"the limit answers {describe(refusal)}, not 429")
    elif refusal.retry_after is None:
        problems.append("the 429 carries no Retry-After")
    if other is not None and not other[1].accepted:
        problems.append(f"another key was refused too ({describe(other[1])}): the limit is not per key")
    if sliding is False:
        problems.append(f"{most} requests answered within {SPAN * window:.1f} s across a window's end: a fixed window")
    if declared is not None and recovery is not None and recovery > declared[1] * 1.1 + 2:
        problems.append(f"service returned after {recovery:.1f} s, not after the {declared[1]:g} s window")
    observed = {"limit": limit, "window_s": window, "sliding": sliding, "recovery_s": recovery,
                "retry_after": refusal.retry_after, "refusal_status": refusal.status, "most_within_window": most,
                "second_key_answered": None if other is None else other[1].accepted, "requests": run.tally.sent,
                "declared": list(declared) if declared else None}
    evidence = (f"{count} answered, then {describe(refusal)}"
                + (f"; back after {recovery:.1f} s" if recovery is not None else "")
                + ("" if other is not None else "; no second key given: per-key limits not checked"))
    if problems:
        return Finding(check=CHECK, status="fail", severity="medium", title="; ".join(problems), evidence=evidence,
                       observed=observed)
    kind = "sliding" if sliding else "unknown kind of"
    return Finding(check=CHECK, status="pass", severity="medium",
                   title=f"{limit} requests per {window:g} s, {kind} window, 429 with Retry-After", evidence=evidence,
                   observed=observed)
