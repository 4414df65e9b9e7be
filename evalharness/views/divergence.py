"""Where a candidate's answer leaves its reference's: token by token from the stored output ids,
the first divergence marked, the case's scores on both sides."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from evalharness.measure.fidelity import first_divergence
from evalharness.reports.schema import ModelRef, Report, Sample

Decoder = Callable[[int], str]
SHOWN = {"\n": "⏎", "\t": "⇥", " ": "·"}  # whitespace made visible inside a token cell
MARK_FIRST = "← first divergence"


def reference_of(report: Report, variant_id: str) -> str | None:
    """The variant this one was measured against (its fidelity reference), if any."""
    for v in report.variants:
        if v.id == variant_id and v.fidelity is not None:
            return v.fidelity.reference
    return None


def pair(report: Report, reference: str, candidate: str, case: str, repeat: int = 0) -> tuple[Sample, Sample] | None:
    """The two samples of a case (fidelity is measured on repeat 0), or None if either is missing."""
    by_key = {s.key: s for s in report.samples}
    ref, cand = by_key.get((reference, case, repeat)), by_key.get((candidate, case, repeat))
    return (ref, cand) if ref is not None and cand is not None else None


def decoder_for(model: ModelRef) -> Decoder | None:
    """One token id -> its text, from the model's tokenizer if this machine has it (no download,
    no conversion); None otherwise (the view then shows ids)."""
    from evalharness.models.sources import SOURCES

    try:
        tokenizer = SOURCES.get(model.source).local_tokenizer(model.id)
    except KeyError:  # a source this installation does not know: show ids
        return None
    if tokenizer is None:
        return None
    return lambda tok: tokenizer.decode([tok], skip_special_tokens=False)


def visible(text: str) -> str:
    return "".join(SHOWN.get(ch, ch) for ch in text)


def token_table(reference: Sequence[int], candidate: Sequence[int], decode: Decoder | None = None) -> pd.DataFrame:
    """A row per position: both tokens (text and id), whether they agree, and the first
    divergence marked. Positions past the shorter answer show "—" on that side."""
    first = first_divergence(reference, candidate)
    rows = []
    for i in range(max(len(reference), len(candidate))):
        sides = [seq[i] if i < len(seq) else None for seq in (reference, candidate)]
        text = ["—" if tok is None else (visible(decode(tok)) if decode else f"#{tok}") for tok in sides]
        rows.append({"position": i, "reference": text[0], "candidate": text[1],
                     "reference_id": sides[0], "candidate_id": sides[1],
                     "same": sides[0] == sides[1], "mark": MARK_FIRST if i == first else ""})
    return pd.DataFrame(rows, columns=["position", "reference", "candidate", "reference_id", "candidate_id",
                                       "same", "mark"])


def strips(table: pd.DataFrame, per_strip: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The token table read left to right like text, as one frame: for each run of `per_strip`
    positions a `reference a–b` row and a `candidate a–b` row, a column per offset (+0, +1, ...).
    Also returns each cell's style: positions where the two differ red, the first divergence
    outlined."""
    rows, index, css = [], [], []
    for start in range(0, len(table), per_strip):
        part = table.iloc[start:start + per_strip]
        pad = [""] * (per_strip - len(part))
        style = ["background-color: #f8d7da" if not same else "" for same in part["same"]]
        style = [cell + ("; border: 2px solid #d62728; font-weight: bold" if mark else "")
                 for cell, mark in zip(style, part["mark"])] + pad
        for side in ("reference", "candidate"):
            rows.append(part[side].tolist() + pad)
            index.append(f"{side} {start}–{start + len(part) - 1}")
            css.append(style)
    columns = [f"+{i}" for i in range(per_strip)]
    return pd.DataFrame(rows, index=index, columns=columns), pd.DataFrame(css, index=index, columns=columns)


def highlighted(strip: pd.DataFrame, css: pd.DataFrame):
    """A Styler for `strips`' frame (one table, however long the answers: one render)."""
    return strip.style.apply(lambda _: css, axis=None)


def scores_table(ref: Sample, cand: Sample) -> pd.DataFrame:
    names = sorted(set(ref.scores) | set(cand.scores))
    return pd.DataFrame({"score": names, "reference": [ref.scores.get(n) for n in names],
                         "candidate": [cand.scores.get(n) for n in names]})
