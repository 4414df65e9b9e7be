"""Language: is the answer in the language(s) the case asks for? (lingua language detector)

The answer is split into sentences and lines; each piece is identified and counted by its
characters, so an answer that mixes English, Spanish and Chinese shows all three.
"""

from __future__ import annotations

import functools
import re

from evalharness.scorers.base import Score, Scorer, ScoringInput, register

COMMON = ("en", "es", "fr", "de", "it", "pt", "nl", "zh", "ja", "ko", "ru", "ar", "hi", "tr", "pl", "sv",
          "id", "vi", "uk", "cs")
_PIECES = re.compile(r"(?<=[.!?。！？])\s*|\n+")
MIN_SHARE = 0.05  # a language counts as present from 5% of the answer's letters


@functools.lru_cache(maxsize=8)
def detector(codes: tuple[str, ...]):
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, c.upper()) for c in codes]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


def language_shares(text: str, expected: tuple[str, ...] = ()) -> dict[str, float]:
    """Share of the answer's letters in each detected language (ISO 639-1 codes)."""
    codes = tuple(sorted(set(COMMON) | set(expected)))
    det = detector(codes)
    counts: dict[str, int] = {}
    for piece in _PIECES.split(text):
        letters = sum(c.isalpha() for c in piece)
        if letters < 2:
            continue
        lang = det.detect_language_of(piece)
        if lang is None:
            continue
        code = lang.iso_code_639_1.name.lower()
        counts[code] = counts.get(code, 0) + letters
    total = sum(counts.values())
    return {k: v / total for k, v in sorted(counts.items(), key=lambda kv: -kv[1])} if total else {}


@register
class LanguageScorer(Scorer):
    name = "language"
    description = "share of the languages the case asks for that are present in the answer"

    def score(self, inp: ScoringInput, output: str) -> Score:
        expected = tuple(c.lower() for c in inp.languages or ())
        if not expected:
            return Score(None, reason="case names no languages")
        shares = language_shares(output, expected)
        if not shares:
            return Score(0.0, label="none", reason="no identifiable language")
        present = [c for c in expected if shares.get(c, 0.0) >= MIN_SHARE]
        missing = [c for c in expected if c not in present]
        found = ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
        label = "match" if not missing else "missing " + ",".join(missing)
        return Score(len(present) / len(expected), label=label, reason=f"found {found}")
