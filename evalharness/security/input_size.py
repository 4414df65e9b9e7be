"""Input size: does the deployment refuse a prompt over its limit, before any generation, and in
the unit it promises?

With a declared limit L (characters; the source design's 8,192 by default): L characters are
answered, L + 1 refused with a 4xx; the same holds for a text of long words, fewer tokens per
character (so the limit is not the model's context window, which that text would cross later);
L characters of a text with accented (two-byte) letters are answered (so it counts characters,
not bytes: those bytes exceed L); a 1 MiB prompt is refused; a refusal takes well under the time
of an answer. The other texts never need more tokens than the first, so a model that takes L
characters of it takes them too. When the promise does not hold, or nothing is declared, the real boundary is
found: a geometric search from 1,024 characters up to 1 MiB, then bisection (about 20 requests),
and its unit told apart (characters, bytes of the request body, or tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

from evalharness.reports.security import Finding
from evalharness.security.context import CheckContext, describe
from evalharness.security.exchange import Reply

CHECK = "input-size"
CAP = 1 << 20  # a prompt this long accepted: no limit at all
FAST_REJECT = 0.5  # a refusal within half the time of an answer at the limit: before generation
_TEXTS = {
    "words": "The river flows past the old mill and the children count the boats. ",
    "long words": "international communication environmental responsibility organization development ",
    "accented": "international communication résumé organization development café environmental ",
}


def filler(kind: str, chars: int) -> str:
    """Exactly `chars` characters of a harmless text."""
    base = _TEXTS[kind]
    return (base * (chars // len(base) + 1))[:chars]


@dataclass
class Boundary:
    accepted: int  # the longest prompt answered (characters of the words text)
    refused: int | None  # the shortest refused; None: nothing up to CAP was refused
    at: Reply | None  # the answer at `accepted`
    over: Reply | None  # the refusal at `refused`


def _probe(ctx: CheckContext, kind: str, chars: int) -> Reply:
    return ctx.ask(CHECK, f"{chars:,} characters ({kind})", filler(kind, chars))


def find_boundary(ctx: CheckContext, start: int = 1024, low: int = 0, low_reply: Reply | None = None) -> Boundary:
    """The exact boundary of the words text above `low` (known to be answered)."""
    n, high, high_reply = min(low * 4, CAP) if low else start, None, None
    while high is None:
        reply = _probe(ctx, "words", n)
        if reply.accepted:
            low, low_reply = n, reply
            if n >= CAP:
                return Boundary(low, None, low_reply, None)
            n = min(n * 4, CAP)
        else:
            high, high_reply = n, reply
    while high - low > 1:
        mid = (low + high) // 2
        reply = _probe(ctx, "words", mid)
        if reply.accepted:
            low, low_reply = mid, reply
        else:
            high, high_reply = mid, reply
    return Boundary(low, high, low_reply, high_reply)


def unit_of(ctx: CheckContext, b: Boundary) -> str:
    """What the boundary counts: "characters", "bytes" (of the request) or "tokens" (the model's
    context window: a text of fewer tokens per character crosses it later)."""
    same_for_long_words = (_probe(ctx, "long words", b.accepted).accepted
                           and not _probe(ctx, "long words", b.accepted + 1).accepted)
    if not same_for_long_words:
        return "tokens"
    return "characters" if _probe(ctx, "accented", b.accepted).accepted else "bytes"


def check_input_size(ctx: CheckContext, declared: int | None = 8192) -> Finding:
    if declared is None:
        return _discovered(ctx, find_boundary(ctx), None)
    at, over = _probe(ctx, "words", declared), _probe(ctx, "words", declared + 1)
    if at.accepted and over.refused:
        return _verify(ctx, declared, at, over)
    # the boundary lies elsewhere: above the promise when it was answered, below when not
    b = find_boundary(ctx, low=declared, low_reply=at) if at.accepted else find_boundary(ctx)
    return _discovered(ctx, b, declared)


def _verify(ctx: CheckContext, limit: int, at: Reply, over: Reply) -> Finding:
    """The rest of the promise, once `limit` characters were answered and one more refused."""
    same_for_long_words = (_probe(ctx, "long words", limit).accepted
                           and _probe(ctx, "long words", limit + 1).refused)
    two_byte = _probe(ctx, "accented", limit)
    huge = _probe(ctx, "words", CAP)
    observed = {"limit_chars": limit, "unit": "characters" if two_byte.accepted else "bytes",
                "limit_bytes": at.body_bytes, "declared_chars": limit, "accept_s": at.elapsed_s,
                "reject_s": over.elapsed_s, "reject_status": over.status}
    problems = []
    if not same_for_long_words:
        problems.append("a text of longer words crosses the limit elsewhere: it counts tokens, not characters")
    if not two_byte.accepted:
        problems.append(f"{limit:,} characters with accented letters were refused ({describe(two_byte)}): "
                        f"it counts bytes")
    if not huge.refused:
        problems.append(f"a 1 MiB prompt was not refused with a 4xx ({describe(huge)})")
    if over.elapsed_s > FAST_REJECT * at.elapsed_s:
        problems.append(f"the refusal took {over.elapsed_s:.3f} s against {at.elapsed_s:.3f} s for an answer "
                        f"at the limit: not before generation")
    evidence = f"{limit:,} characters: {describe(at)}; {limit + 1:,}: {describe(over)}"
    if problems:
        return Finding(check=CHECK, status="fail", severity="medium", title="; ".join(problems),
                       evidence=evidence, observed=observed)
    return Finding(check=CHECK, status="pass", severity="medium",
                   title=f"the declared limit of {limit:,} characters holds", evidence=evidence, observed=observed)


def _discovered(ctx: CheckContext, b: Boundary, declared: int | None) -> Finding:
    promise = f"declared {declared:,} characters; " if declared else ""
    if b.refused is None:
        return Finding(check=CHECK, status="fail", severity="medium",
                       title=f"{promise}no input limit: a 1 MiB prompt was answered",
                       evidence=f"{CAP:,} characters: {describe(b.at) if b.at else 'answered'}",
                       observed={"limit_chars": None, "unit": None, "declared_chars": declared})
    unit = unit_of(ctx, b)
    evidence = (f"{b.accepted:,} characters: {describe(b.at) if b.at else 'not answered'}; "
                f"{b.refused:,}: {describe(b.over) if b.over else 'refused'}")
    observed = {"limit_chars": None if unit == "tokens" else b.accepted, "unit": unit, "declared_chars": declared,
                "limit_bytes": b.at.body_bytes if b.at and unit == "bytes" else None,
                "context_tokens": b.at.prompt_tokens if b.at and unit == "tokens" else None,
                "accept_s": b.at.elapsed_s if b.at else None, "reject_s": b.over.elapsed_s if b.over else None,
                "reject_status": b.over.status if b.over else None}
    if unit == "tokens":
        title = (f"{promise}no input limit in characters or bytes: only the model's context window refused "
                 f"long prompts (about {b.accepted:,} characters of English)")
    elif declared:
        title = f"{promise}the deployment's limit is {b.accepted:,} {unit}"
    else:
        title = f"input limited to {b.accepted:,} {unit}"
    failed = unit == "tokens" or declared is not None or (b.over is not None and not b.over.refused)
    return Finding(check=CHECK, status="fail" if failed else "pass", severity="medium", title=title,
                   evidence=evidence, observed=observed)
