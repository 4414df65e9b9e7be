"""Benchmark tasks in a comparison: each accuracy-type metric of each task both variants scored,
paired item by item, judged non-inferior / inferior / inconclusive against the task's margin,
with Holm's step-down over every task row of the comparison."""

from __future__ import annotations

from collections.abc import Sequence

from evalharness.compare.rows import MetricComparison
from evalharness.reports.schema import Variant
from evalharness.reports.tasks import TaskResult
from evalharness.suite.gate import GatePolicy
from evalharness.tasks.stats import Comparison, compare_paired, holm


def _proportion_metrics(r: TaskResult) -> list[str]:
    """Metrics whose per-item values are all 0 or 1 (accuracy-like), in the result's order."""
    names = [m.name for m in r.metrics] or list(dict.fromkeys(k for it in r.items for k in it.values))
    return [name for name in names if r.items and all(it.values.get(name) in (0.0, 1.0) for it in r.items)]


def _pair(b: TaskResult, c: TaskResult, metric: str) -> tuple[list[float], list[float], list[str]]:
    """Both sides' values on the items both scored (same document), and notes on the rest."""
    cand = {it.doc_id: it for it in c.items}
    base_values, cand_values, different = [], [], 0
    for it in b.items:
        other = cand.get(it.doc_id)
        if other is None or metric not in it.values or metric not in other.values:
            continue
        if it.doc_hash and other.doc_hash and it.doc_hash != other.doc_hash:
            different += 1
            continue
        base_values.append(it.values[metric])
        cand_values.append(other.values[metric])
    notes = []
    unpaired = len(b.items) + len(c.items) - 2 * len(base_values) - 2 * different
    if unpaired:
        notes.append(f"{unpaired} item(s) scored on one side only are left out of the pairing")
    if different:
        notes.append(f"cannot compare {different} item(s): the same index holds a different document")
    return base_values, cand_values, notes


def task_rows(vid: str, bv: Variant, cv: Variant, policy: GatePolicy) -> list[tuple[MetricComparison, Comparison]]:
    """Rows for every task metric both variants scored (their verdicts are set by `with_holm`)."""
    base = {t.task: t for t in bv.tasks if t.error is None}
    out = []
    for c in (t for t in cv.tasks if t.error is None and t.task in base):
        b = base[c.task]
        for metric in _proportion_metrics(b):
            name = f"tasks.{c.task}.{metric}"
            bvals, cvals, notes = _pair(b, c, metric)
            if b.num_fewshot != c.num_fewshot:
                notes.append(f"cannot compare: {b.num_fewshot}-shot baseline, {c.num_fewshot}-shot candidate")
            stats = compare_paired(name, bvals, cvals, policy.margin_of(c.task))
            row = MetricComparison(
                variant_id=vid, metric=name, kind="accuracy", unit="", relative=False,
                baseline=sum(bvals) / len(bvals) if bvals else None,
                candidate=sum(cvals) / len(cvals) if cvals else None,
                change=stats.difference if bvals else None, ci_low=stats.ci_low, ci_high=stats.ci_high,
                p_value=stats.mcnemar_p, verdict="inconclusive", severity=policy.severity_of(name),
                higher_is_better=True, notes=notes)
            out.append((row, stats))
    return out


def with_holm(pairs: Sequence[tuple[MetricComparison, Comparison]]) -> list[MetricComparison]:
    """The rows with their verdicts, Holm-adjusted over the whole family of task rows."""
    judged = holm([s for _, s in pairs])
    rows = []
    for (row, _), s in zip(pairs, judged, strict=True):
        notes = list(row.notes)
        if any(n.startswith("cannot compare") for n in notes) or row.change is None:
            rows.append(row)
            continue
        notes.append(f"non-inferiority margin {s.margin * 100:g} points; McNemar exact p = {s.mcnemar_p:.3g}; "
                     f"{s.counts.base_only} right only in the baseline, {s.counts.cand_only} only in the candidate, "
                     f"of {s.counts.n} items")
        if len(pairs) > 1:
            notes.append(f"Holm's step-down over {len(pairs)} task comparisons (family-wise error 2.5% per side)")
        if s.verdict == "inconclusive":
            notes.append(f"inconclusive: about {s.items_to_decide} items would decide it" if s.items_to_decide
                         else "inconclusive: the difference sits on the margin")
        rows.append(MetricComparison(**{**row.__dict__, "verdict": s.verdict, "notes": notes}))
    return rows
