"""Short labels for variants: only the parts of their ids that differ (the quantization, an axis,
the run), so charts name what distinguishes their points."""

from __future__ import annotations

from collections.abc import Sequence


def differing_parts(keys: Sequence[Sequence[str]]) -> list[str]:
    """For each key (a variant id's `/` parts), the parts at positions where keys differ, joined
    by `/`; the whole key where that leaves a label empty, and whole keys when ambiguous."""
    width = max((len(k) for k in keys), default=0)
    padded = [list(k) + [""] * (width - len(k)) for k in keys]
    varying = [i for i in range(width) if len({k[i] for k in padded}) > 1]
    full = ["/".join(p for p in k if p) for k in padded]
    labels = ["/".join(p for i, p in enumerate(k) if i in varying and p) or whole for k, whole in zip(padded, full)]
    if len(keys) > 1 and len(set(labels)) == len(labels):
        return labels
    return full


def variant_labels(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Labels for (run id, variant id) pairs: the run id is kept only where runs differ."""
    many_runs = len({run_id for run_id, _ in rows}) > 1
    return differing_parts([[run_id, *vid.split("/")] if many_runs else vid.split("/") for run_id, vid in rows])
