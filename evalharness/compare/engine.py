"""Match two reports' variants and cases, and judge every metric: regression, improvement,
no change or inconclusive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from evalharness import metrics
from evalharness.alerts import SEVERITY_RANK, Severity
from evalharness.compare.rows import Comparison, MetricComparison, Verdict
from evalharness.compare.stats import (
    Interval,
    between_runs_bootstrap_relative,
    mcnemar_exact,
    paired_bootstrap_difference,
    paired_bootstrap_relative,
    pooled_value,
)
from evalharness.compare.tasks import task_rows, with_holm
from evalharness.metrics import Metric
from evalharness.reports.schema import Report, Sample, Variant
from evalharness.suite.gate import GatePolicy

ENV_KEYS_FOR_TIMING = ("cpu_model", "cpu_count", "gpu_name", "torch", "transformers", "python",
                       "gpu_driver")
MIN_UNITS = 5  # fewer cases than this: resample (case, repeat) pairs instead of cases


def compared_metrics() -> tuple[Metric, ...]:
    """The metrics a comparison judges, from the one metrics table."""
    return metrics.shown_in("compare")


def judge(bad: Interval, tolerance: float) -> Verdict:
    """`bad` is the change oriented so that positive is worse. A verdict needs significance and
    size: the interval excludes no change and the estimate is beyond the tolerance. (Requiring the
    whole interval beyond the tolerance missed 30% slowdowns once the interval carried the noise
    between runs.)"""
    if bad.low > 0 and bad.estimate > tolerance:
        return "regression"
    if bad.high < 0 and bad.estimate < -tolerance:
        return "improvement"
    if -tolerance <= bad.low and bad.high <= tolerance:
        return "no change"
    return "inconclusive"


def _flip(iv: Interval) -> Interval:
    return Interval(-iv.estimate, -iv.high, -iv.low)


def environment_differences(base: Report, cand: Report) -> list[str]:
    b, c = base.environment.model_dump(), cand.environment.model_dump()
    return [f"{k}: {b.get(k)!r} -> {c.get(k)!r}" for k in ENV_KEYS_FOR_TIMING if b.get(k) != c.get(k)]


def _by_case(samples: Sequence[Sample], field_name: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for s in samples:
        value = getattr(s, field_name)
        if s.success and value is not None:
            out[s.case_id].append(float(value))
    return out


def _units(
    base: dict[str, list[float]], cand: dict[str, list[float]], cases: list[str]
) -> tuple[list[list[float]], list[list[float]]]:
    if len(cases) >= MIN_UNITS:
        return [base[c] for c in cases], [cand[c] for c in cases]
    # few cases: pair repeats by position within each case
    b_units, c_units = [], []
    for c in cases:
        for x, y in zip(base[c], cand[c]):
            b_units.append([x])
            c_units.append([y])
    return b_units, c_units


def compare_variant(vid: str, bv: Variant, cv: Variant, bs: list[Sample], cs: list[Sample],
                    policy: GatePolicy, env_diff: list[str], runs: Sequence[list[Sample]] = (),
                    across_runs: bool = False) -> list[MetricComparison]:
    """One variant's rows. `runs`: the samples of every baseline run (when the baseline holds
    several); `across_runs`: baseline and candidate are different runs (not two variants of one)."""
    rows: list[MetricComparison] = []
    score_names = sorted(set(bv.scores) | set(cv.scores))
    for spec in compared_metrics():
        severity = policy.severity_of(spec.name)
        if spec.scope == "success":
            rows.append(_rate_row(vid, spec, bs, cs, policy, severity))
        elif spec.scope == "sample" and spec.kind != "memory":
            # per-sample figures: paired bootstrap over cases (timing tolerance)
            if len(runs) >= 2:
                rows.append(_timing_row_between_runs(vid, spec, runs, cs, policy, severity, env_diff))
            else:
                row = _timing_row(vid, spec, bs, cs, policy, severity, env_diff)
                rows.append(_single_run(row, policy) if across_runs else row)
        else:
            # one figure per variant (load, footprint) or a peak: relative tolerance
            b, c = bv.figure(spec), cv.figure(spec)
            if b is None and c is None:
                continue  # not measurable on either side (e.g. no GPU)
            tolerance = policy.memory_tolerance if spec.kind == "memory" else policy.load_tolerance
            rows.append(_tolerance_row(vid, spec, b, c, tolerance, severity))
    for name in score_names:
        rows.append(_score_row(vid, name, bs, cs, policy, policy.severity_of(f"scores.{name}")))
    return rows


def _row(vid: str, spec: Metric, **kw) -> MetricComparison:
    return MetricComparison(variant_id=vid, metric=spec.name, kind=spec.kind, unit=spec.unit,
                            higher_is_better=spec.higher_is_better, **kw)


def _no_verdict(vid: str, spec: Metric, severity: Severity | None, relative: bool, notes: list[str],
                baseline: float | None = None, candidate: float | None = None) -> MetricComparison:
    """An `inconclusive` row with no change stated (nothing to compare, or it cannot be compared)."""
    return _row(vid, spec, baseline=baseline, candidate=candidate, change=None, relative=relative, ci_low=None,
                ci_high=None, p_value=None, verdict="inconclusive", severity=severity, notes=notes)


def _timing_row(vid, spec, bs, cs, policy, severity, env_diff) -> MetricComparison:
    base, cand = _by_case(bs, spec.field), _by_case(cs, spec.field)
    cases = sorted(set(base) & set(cand))
    if not cases:
        return _no_verdict(vid, spec, severity, True, ["no successful samples on both sides"])
    b_units, c_units = _units(base, cand, cases)
    try:
        iv = paired_bootstrap_relative(b_units, c_units, spec.stat, policy.resamples, policy.confidence,
                                       policy.seed)
    except ValueError as exc:  # a zero baseline: no relative change can be stated
        return _no_verdict(vid, spec, severity, True, [f"cannot compare: {exc}"],
                           pooled_value(b_units, spec.stat), pooled_value(c_units, spec.stat))
    bad = _flip(iv) if spec.higher_is_better else iv
    notes = [f"environment differs: {d}" for d in env_diff]
    if len(b_units) < 3:
        notes.append(f"only {len(b_units)} paired measurements: add repeats")
    return _row(vid, spec, baseline=pooled_value(b_units, spec.stat),
                candidate=pooled_value(c_units, spec.stat),
                change=iv.estimate, relative=True, ci_low=iv.low, ci_high=iv.high, p_value=None,
                verdict=judge(bad, policy.timing_tolerance), severity=severity, notes=notes)


SINGLE_RUN_NOTE = ("one baseline run: the noise between runs is unknown, so a timing regression only warns; "
                   "pin several runs (evalharness baseline set RUN RUN RUN ...) or gate two variants "
                   "of one interleaved run (--gate-variants)")


def _single_run(row: MetricComparison, policy: GatePolicy) -> MetricComparison:
    """Across two single runs a timing verdict cannot see run-to-run noise: it warns, unless the
    policy says `single_run_timing: gate`."""
    if policy.single_run_timing == "gate" or row.severity is None:
        return row
    severity: Severity = "warning" if SEVERITY_RANK[row.severity] > SEVERITY_RANK["warning"] else row.severity
    return MetricComparison(**{**asdict(row), "severity": severity, "notes": [*row.notes, SINGLE_RUN_NOTE]})


def _timing_row_between_runs(vid, spec, runs, cs, policy, severity, env_diff) -> MetricComparison:
    per_run = [_by_case(r, spec.field) for r in runs]
    cand = _by_case(cs, spec.field)
    cases = sorted(set(cand).intersection(*per_run))
    if not cases:
        return _no_verdict(vid, spec, severity, True,
                           ["no case with successful samples in every baseline run and the candidate"])
    base_groups = [[r[c] for c in cases] for r in per_run]
    cand_groups = [cand[c] for c in cases]
    try:
        iv = between_runs_bootstrap_relative(base_groups, cand_groups, spec.stat, policy.resamples,
                                             policy.confidence, policy.seed, policy.run_noise_floor)
    except ValueError as exc:
        return _no_verdict(vid, spec, severity, True, [f"cannot compare: {exc}"])
    bad = _flip(iv) if spec.higher_is_better else iv
    notes = [f"environment differs: {d}" for d in env_diff]
    notes.append(f"baseline of {len(runs)} runs: the interval includes the noise between runs")
    return _row(vid, spec, baseline=pooled_value([x for g in base_groups for x in g], spec.stat),
                candidate=pooled_value(cand_groups, spec.stat), change=iv.estimate, relative=True,
                ci_low=iv.low, ci_high=iv.high, p_value=None, verdict=judge(bad, policy.timing_tolerance),
                severity=severity, notes=notes)


def _tolerance_row(vid, spec, b, c, tol, severity) -> MetricComparison:
    if b is None or c is None or b == 0:
        return _no_verdict(vid, spec, severity, True, ["measured on one side only"], b, c)
    change = c / b - 1
    bad = -change if spec.higher_is_better else change
    verdict = judge(Interval(bad, bad, bad), tol)
    return _row(vid, spec, baseline=b, candidate=c, change=change, relative=True, ci_low=None,
                ci_high=None, p_value=None, verdict=verdict, severity=severity)


def _rate_row(vid, spec, bs, cs, policy, severity) -> MetricComparison:
    b_ok = {(s.case_id, s.repeat): s.success for s in bs}
    c_ok = {(s.case_id, s.repeat): s.success for s in cs}
    keys = sorted(set(b_ok) & set(c_ok))
    if not keys:
        return _no_verdict(vid, spec, severity, False, [])
    b_rate = sum(b_ok[k] for k in keys) / len(keys)
    c_rate = sum(c_ok[k] for k in keys) / len(keys)
    lost = sum(1 for k in keys if b_ok[k] and not c_ok[k])
    gained = sum(1 for k in keys if c_ok[k] and not b_ok[k])
    p = mcnemar_exact(lost, gained)
    change = c_rate - b_rate
    alpha = 1 - policy.confidence
    if p < alpha and abs(change) > policy.rate_tolerance:
        verdict: Verdict = "regression" if change < 0 else "improvement"
    elif abs(change) <= policy.rate_tolerance:
        verdict = "no change"
    else:
        verdict = "inconclusive"
    return _row(vid, spec, baseline=b_rate, candidate=c_rate, change=change, relative=False,
                ci_low=None, ci_high=None, p_value=p, verdict=verdict, severity=severity,
                notes=[f"McNemar: {lost} lost, {gained} gained"])


def _score_row(vid, name, bs, cs, policy, severity) -> MetricComparison:
    spec = Metric(f"scores.{name}", name, "mean", "", True, name, "%.3f", "score")

    def per_case(samples):
        acc: dict[str, list[float]] = defaultdict(list)
        for s in samples:
            v = s.scores.get(name) if s.success else None
            if v is not None:
                acc[s.case_id].append(v)
        return {k: float(np.mean(v)) for k, v in acc.items()}

    b, c = per_case(bs), per_case(cs)
    cases = sorted(set(b) & set(c))
    if not cases:
        return _no_verdict(vid, spec, severity, False, ["no case scored on both sides"])
    iv = paired_bootstrap_difference([b[k] for k in cases], [c[k] for k in cases],
                                     policy.resamples, policy.confidence, policy.seed)
    return _row(vid, spec, baseline=float(np.mean([b[k] for k in cases])),
                candidate=float(np.mean([c[k] for k in cases])), change=iv.estimate,
                relative=False, ci_low=iv.low, ci_high=iv.high, p_value=None,
                verdict=judge(_flip(iv), policy.score_tolerance), severity=severity,
                notes=[] if len(cases) >= MIN_UNITS else [f"only {len(cases)} scored cases"])


def compare_reports(baseline: Report | Sequence[Report], cand: Report,
                    policy: GatePolicy | None = None) -> Comparison:
    """A candidate run against a baseline of one run or several (timing verdicts then include the
    noise between runs); memory, success and scores are judged against the first baseline run."""
    policy = policy or GatePolicy()
    runs = [baseline] if isinstance(baseline, Report) else list(baseline)
    base = runs[0]
    b_by = {v.identity: v for v in base.variants if v.status == "ok"}
    c_by = {v.identity: v for v in cand.variants if v.status == "ok"}
    env_diff = environment_differences(base, cand)
    rows: list[MetricComparison] = []
    tasks: list = []  # (row, statistics) of every task metric, judged together (Holm)
    cases_b: dict[str, list[str]] = {}
    cases_c: dict[str, list[str]] = {}
    for key in [k for k in b_by if k in c_by]:
        bv, cv = b_by[key], c_by[key]
        bs = [s for s in base.samples if s.variant_id == bv.id]
        cs = [s for s in cand.samples if s.variant_id == cv.id]
        b_cases, c_cases = {s.case_id for s in bs}, {s.case_id for s in cs}
        if b_cases - c_cases:
            cases_b[cv.id] = sorted(b_cases - c_cases)
        if c_cases - b_cases:
            cases_c[cv.id] = sorted(c_cases - b_cases)
        per_run = [found for r in runs if (found := _samples_of(r, key))] if len(runs) > 1 else []
        rows.extend(compare_variant(cv.id, bv, cv, bs, cs, policy, env_diff, per_run, across_runs=True))
        tasks.extend(task_rows(cv.id, bv, cv, policy))
    rows.extend(with_holm(tasks))
    missing = sorted(v.id for k, v in b_by.items() if k not in c_by)
    problems = [f"{r.variant_id} {r.metric}: {n}" for r in rows for n in r.notes if n.startswith("cannot compare")]
    if not c_by:
        problems.insert(0, f"the candidate run {cand.run_id} has no variant that ran ({len(cand.variants)} listed)")
    elif missing:
        problems.insert(0, f"the candidate lacks (or failed) baseline variants: {', '.join(missing)}")
    return Comparison(
        baseline_run=", ".join(r.run_id for r in runs), candidate_run=cand.run_id, rows=rows, problems=problems,
        variants_only_in_baseline=missing,
        variants_only_in_candidate=sorted(v.id for k, v in c_by.items() if k not in b_by),
        cases_only_in_baseline=cases_b, cases_only_in_candidate=cases_c,
        environment_differences=env_diff, policy=policy,
    )


def _samples_of(report: Report, identity: object) -> list[Sample]:
    """A baseline run's samples of the variant with this identity (none when it did not run)."""
    ids = {v.id for v in report.variants if v.identity == identity and v.status == "ok"}
    return [s for s in report.samples if s.variant_id in ids]


def compare_within(report: Report, pairs: Sequence[tuple[str, str]],
                   policy: GatePolicy | None = None) -> Comparison:
    """Pairs of variants (baseline id, candidate id) of one run, with the same statistics; an
    interleaved run pairs their (case, repeat) units in time as well."""
    policy = policy or GatePolicy()
    by_id = {v.id: v for v in report.variants}
    problems: list[str] = []
    rows: list[MetricComparison] = []
    tasks: list = []
    for baseline_id, candidate_id in pairs:
        wrong = [f"no variant {vid!r} in run {report.run_id} ({len(by_id)} variants)" if vid not in by_id
                 else f"variant {vid} {by_id[vid].status}: {by_id[vid].error or 'no error given'}"
                 for vid in (baseline_id, candidate_id) if vid not in by_id or by_id[vid].status != "ok"]
        problems += wrong
        if wrong:
            continue
        bs = [s for s in report.samples if s.variant_id == baseline_id]
        cs = [s for s in report.samples if s.variant_id == candidate_id]
        found = compare_variant(candidate_id, by_id[baseline_id], by_id[candidate_id], bs, cs, policy, [])
        problems += [f"{r.variant_id} {r.metric}: {n}" for r in found for n in r.notes
                     if n.startswith("cannot compare")]
        rows += found
        tasks += task_rows(candidate_id, by_id[baseline_id], by_id[candidate_id], policy)
    rows += with_holm(tasks)
    names = [f"{report.run_id}:{b}" for b, _ in pairs], [f"{report.run_id}:{c}" for _, c in pairs]
    return Comparison(
        baseline_run=", ".join(names[0]), candidate_run=", ".join(names[1]),
        rows=rows, problems=problems, variants_only_in_baseline=[], variants_only_in_candidate=[],
        cases_only_in_baseline={}, cases_only_in_candidate={}, environment_differences=[], policy=policy,
    )


__all__ = ["Comparison", "MetricComparison", "Verdict", "compare_reports", "compare_within"]
