"""Fidelity measurement: the reference variant's greedy tokens and log-probs, compared per variant.

Reference tokens and log-probs ([tokens, vocab] float32) are kept in a directory (a temporary one
the run owns), not in memory or in the report, so variants measured in worker processes read the
reference's; a resumed run that did not measure the reference itself has no fidelity.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evalharness.measure.fidelity import first_divergence, kl_value, token_agreement
from evalharness.reports.schema import Sample, SampleFidelity
from evalharness.suite.schema import Case, Suite


class ReferenceStore:
    """Files under `root`; with no root, a temporary directory removed with the store."""

    def __init__(self, root: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="evalharness-ref-") if root is None else None
        self.root = Path(self._tmp.name) if self._tmp is not None else Path(root)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def put(self, ref_id: str, case_id: str, ids: list[int], logprobs: np.ndarray | None) -> None:
        np.save(self._path(ref_id, case_id, "ids"), np.asarray(ids, dtype=np.int64))
        if logprobs is not None:
            np.save(self._path(ref_id, case_id, "logprobs"), logprobs)

    def ids(self, ref_id: str, case_id: str) -> list[int] | None:
        path = self._path(ref_id, case_id, "ids")
        return [int(i) for i in np.load(path)] if path.exists() else None

    def logprobs(self, ref_id: str, case_id: str) -> np.ndarray | None:
        path = self._path(ref_id, case_id, "logprobs")
        return np.load(path) if path.exists() else None

    def _path(self, ref_id: str, case_id: str, kind: str) -> Path:
        # hex keeps any id (slashes, unicode) a safe, distinct file name
        return self.root / f"{ref_id.encode().hex()}-{case_id.encode().hex()}.{kind}.npy"


def _greedy(suite: Suite, case: Case) -> bool:
    override = case.generation.do_sample if case.generation else None
    return not (override if override is not None else suite.generation.do_sample)


def measure_fidelity(backend: Any, variant_id: str, ref_id: str, cases: Sequence[Case],
                     suite: Suite, samples: Mapping[tuple[str, str, int], Sample],
                     store: ReferenceStore, supported: bool) -> list[Sample]:
    """Record the reference (when this is it) or compare with it; returns updated samples."""
    updated: list[Sample] = []
    for case in cases:
        first = samples.get((variant_id, case.id, 0))
        if first is None or not first.success or first.output_ids is None or not _greedy(suite, case):
            continue
        prompt = backend.encode(case)
        if variant_id == ref_id:
            store.put(ref_id, case.id, first.output_ids,
                      backend.teacher_forced_logprobs(prompt, first.output_ids))
            continue
        ref_ids = store.ids(ref_id, case.id)
        if ref_ids is None:
            continue
        kl = None
        ref_logp = store.logprobs(ref_id, case.id)
        if supported and ref_logp is not None:
            var_logp = backend.teacher_forced_logprobs(prompt, ref_ids)
            if var_logp is not None and var_logp.shape == ref_logp.shape:
                kl = kl_value(ref_logp, var_logp)
        finite = kl is None or bool(np.isfinite(kl))
        fid = SampleFidelity(token_agreement=token_agreement(ref_ids, first.output_ids),
                             first_divergence=first_divergence(ref_ids, first.output_ids),
                             kl_mean=kl if finite else None, kl_non_finite=not finite,
                             reference_tokens=len(ref_ids))
        for key, s in samples.items():
            if key[0] == variant_id and key[1] == case.id:
                updated.append(s.model_copy(update={"fidelity": fid}))
    return updated

