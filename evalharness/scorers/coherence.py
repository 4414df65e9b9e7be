"""Coherence penalties for the failure modes of small and quantized models.

Each check yields a penalty in [0, 1]; the score is the product of (1 - penalty). Validated by
separating real answers from looped, shuffled, truncated and random-model text (AUROC in
docs/scorers.md, reproduced by benchmarks/scorer_validity.py).
"""

from __future__ import annotations

import re
from collections import Counter

FUNCTION_WORDS = frozenset(
    "the a an of to in and is was for on with that it as by at be this are or from".split()
)
DETERMINERS = frozenset("the a an this these those my your its our their".split())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_TERMINAL = re.compile(r"""[.!?。！？…:;)\]"'`*>|]\s*$""")
_SENT_BREAK = re.compile(r"[.!?]\s+(\S)")
_VOWELS = frozenset("aeiouyAEIOUY")


def _repetition(words: list[str]) -> tuple[float, str]:
    if len(words) < 8:
        return 0.0, ""
    grams = [tuple(words[i:i + 4]) for i in range(len(words) - 3)]
    distinct = len(set(grams)) / len(grams)
    top, count = Counter(grams).most_common(1)[0]
    penalty = min(1.0, max(0.0, (0.85 - distinct) / 0.6))
    if count >= 4:
        penalty = max(penalty, min(1.0, count * 4 / len(words)))
    return penalty, f"distinct 4-grams {distinct:.2f}" + (f", {' '.join(top)!r} x{count}" if count >= 3 else "")


def _salad(words: list[str], text: str) -> tuple[float, str]:
    """Shuffled or random word order: determiners followed by function words, lowercase starts."""
    lower = [w.lower() for w in words]
    det = [i for i, w in enumerate(lower[:-1]) if w in DETERMINERS]
    odd = sum(1 for i in det if lower[i + 1] in FUNCTION_WORDS or lower[i + 1] in DETERMINERS)
    det_rate = odd / len(det) if len(det) >= 3 else 0.0
    starts = _SENT_BREAK.findall(text)
    low_starts = sum(1 for c in starts if c.islower()) / len(starts) if len(starts) >= 3 else 0.0
    penalty = min(1.0, 2.5 * det_rate + 0.8 * max(0.0, low_starts - 0.2))
    return penalty, f"odd determiner pairs {det_rate:.2f}, lowercase sentence starts {low_starts:.2f}"


def _garbage(text: str, words: list[str]) -> tuple[float, str]:
    """Bytes and symbols instead of language: replacement characters, few letters, no vowels."""
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 1.0, "no visible characters"
    letters = sum(c.isalpha() for c in visible) / len(visible)
    bad = text.count("\ufffd") / len(visible)
    voweless = sum(1 for w in words if len(w) > 2 and not (set(w) & _VOWELS)) / len(words) if words else 1.0
    penalty = min(1.0, max(0.0, 0.6 - letters) * 2.5 + bad * 5 + max(0.0, voweless - 0.1) * 2)
    return penalty, f"letters {letters:.2f}, vowel-less words {voweless:.2f}"


def ends_cleanly(text: str) -> bool:
    return bool(_TERMINAL.search(text.strip()))


def coherence(text: str) -> tuple[float, str]:
    stripped = text.strip()
    if not stripped:
        return 0.0, "empty output"
    words = _WORD.findall(stripped)
    checks = {
        "repetition": _repetition([w.lower() for w in words]),
        "salad": _salad(words, stripped),
        "garbage": _garbage(stripped, words),
        "truncated": (0.0, "ends cleanly") if _TERMINAL.search(stripped) else (0.35, "ends mid-sentence"),
    }
    value = 1.0
    for penalty, _ in checks.values():
        value *= 1.0 - penalty
    worst = max(checks.items(), key=lambda kv: kv[1][0])
    reason = f"{worst[0]}: {worst[1][1]}" if worst[1][0] > 0 else "no problem found"
    return max(0.0, min(1.0, value)), reason
