"""How a served answer compares with a pinned one: word-level agreement, first divergence, exact.

Words, not tokens: a pinned answer may come from a local run whose tokenizer the endpoint does not
share, and a server may detokenize spaces differently. An answer that stops earlier or goes on
longer differs where the shorter one ends (canaries are asked for as many tokens as the pinned run
generated, so a length difference is the model's)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def words(text: str) -> list[str]:
    """Words and single punctuation marks, whitespace dropped."""
    return _WORD.findall(text)


@dataclass(frozen=True)
class Comparison:
    agreement: float  # share of positions (of the longer answer) whose words are equal
    first_divergence: int | None  # the first differing word's index; None when they agree
    exact: bool  # the same words


def compare(served: str, pinned: str) -> Comparison:
    a, b = words(served), words(pinned)
    longer = max(len(a), len(b))
    if longer == 0:
        return Comparison(1.0, None, True)
    equal = [x == y for x, y in zip(a, b)]
    first = next((i for i, e in enumerate(equal) if not e), None)
    if first is None and len(a) != len(b):
        first = len(equal)  # one answer is the other's beginning: they part where it ends
    return Comparison(sum(equal) / longer, first, first is None)
