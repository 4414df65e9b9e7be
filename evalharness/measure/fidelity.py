"""How far a variant drifts from its reference: token agreement, first divergence, KL.

Pure functions over token ids and log-probability arrays, tested with literal distributions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def token_agreement(reference: Sequence[int], variant: Sequence[int]) -> float:
    """Share of the reference's positions where the variant produced the same token."""
    if not reference:
        return 1.0 if not variant else 0.0
    same = sum(1 for i, tok in enumerate(reference) if i < len(variant) and variant[i] == tok)
    return same / len(reference)


def first_divergence(reference: Sequence[int], variant: Sequence[int]) -> int | None:
    """Index of the first differing token; None when the two sequences are identical."""
    for i in range(max(len(reference), len(variant))):
        if i >= len(reference) or i >= len(variant) or reference[i] != variant[i]:
            return i
    return None


def kl_rows(ref_logp: np.ndarray, var_logp: np.ndarray) -> np.ndarray:
    """KL(P_ref || P_var) for each row of two [T, V] arrays of natural-log probabilities."""
    if ref_logp.shape != var_logp.shape:
        raise ValueError(f"shapes differ: {ref_logp.shape} vs {var_logp.shape}")
    p = np.exp(ref_logp)
    # 0 * log 0 = 0: positions where the reference gives no mass contribute nothing
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(p > 0, p * (ref_logp - var_logp), 0.0)
    return terms.sum(axis=-1)


def kl_value(ref_logp: np.ndarray, var_logp: np.ndarray) -> float | None:
    """Mean KL over positions, teacher-forced along the reference's tokens (may be inf or NaN
    when the variant's log-probs are not finite); None for no positions."""
    if ref_logp.size == 0:
        return None
    return float(kl_rows(ref_logp.astype(np.float64), var_logp.astype(np.float64)).mean())


def kl_mean(ref_logp: np.ndarray, var_logp: np.ndarray) -> float | None:
    """`kl_value`, or None when it is not finite."""
    value = kl_value(ref_logp, var_logp)
    return value if value is not None and np.isfinite(value) else None
