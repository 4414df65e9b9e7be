"""Alert rules over a load test's stages, alone or against the unloaded (synchronous) stage.

A rule reads `METRIC [drop|rise] OP VALUE [at WHERE]`:

    quality drop > 0.05 at max      the highest-load stage's quality is over 0.05 below synchronous
    goodput < 2 at 4                the stage offered 4 req/s (within 10%) serves under 2 good req/s
    ttft_s.p95 > 1.5                any loaded stage's TTFT p95 is over 1.5 s
    empty_rate > 0 at x4            the closed-loop stage with 4 in flight had an empty answer

METRIC: a stage figure (quality, answered_quality, goodput, achieved_rate, success_rate,
empty_rate, truncated_rate), a percentile of a request figure (`ttft_s.p95`, `latency_s.p50`,
`inter_token_latency_s.p99`, `output_tokens.mean`), `changed_rate`/`shorter_rate` (answers
against the synchronous ones) or `scores.<scorer>`. `drop` compares synchronous minus the
stage, `rise` the stage minus synchronous. WHERE: `each` (default: every stage but the
synchronous baseline), `max` (the stage with the highest load: offered rate, or achieved rate
for closed loop), `xN` (closed-loop stages with N in flight) or a rate in req/s. A rule whose
figure was not measured, or whose stage did not run, is reported as not evaluated, never as
passed.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalharness.alerts import OPS
from evalharness.loadtest_rules import RATE_TOLERANCE, STAGE_FIGURES, VS_SYNC, LoadRule, parse_rule
from evalharness.reports.loadtest import LoadAlert, StageRecord

__all__ = ["LoadRule", "chosen_stages", "evaluate", "figure", "parse_rule"]


def figure(stage: StageRecord, metric: str) -> float | None:
    if metric in STAGE_FIGURES:
        return getattr(stage, metric)
    if metric in VS_SYNC:
        return getattr(stage.vs_synchronous, metric) if stage.vs_synchronous is not None else None
    field, _, stat = metric.partition(".")
    if field == "scores":
        return (stage.scores or {}).get(stat)
    summary = stage.summary.get(field)
    return getattr(summary, stat) if summary is not None else None


def _load(stage: StageRecord) -> float:
    return stage.load if stage.load is not None else float("-inf")


def chosen_stages(rule: LoadRule, stages: Sequence[StageRecord]) -> list[StageRecord]:
    baseline = synchronous_stage(stages)
    loaded = [s for s in stages if s is not baseline] or list(stages)
    if rule.at == "each":
        return loaded
    if rule.at == "max":
        return [max(loaded, key=_load)] if loaded else []
    if rule.at.startswith("x"):
        n = int(rule.at[1:])
        return [s for s in loaded if s.concurrency == n and s.profile != "synchronous"]
    rate = float(rule.at)
    return [s for s in loaded if s.offered_rate is not None and abs(s.offered_rate - rate) <= RATE_TOLERANCE * rate]


def synchronous_stage(stages: Sequence[StageRecord]) -> StageRecord | None:
    return next((s for s in stages if s.profile == "synchronous"), None)


def evaluate(rules: Sequence[LoadRule], stages: Sequence[StageRecord]) -> list[LoadAlert]:
    """One record per rule and stage it applies to: {rule, stage, value, threshold, fired,
    message}; `fired` is None (with the reason in the message) when it could not be evaluated."""
    out = []
    baseline = synchronous_stage(stages)
    for rule in rules:
        picked = chosen_stages(rule, stages)
        if not picked:
            out.append(_record(rule, None, None, None, f"{rule.text}: no stage matches 'at {rule.at}'"))
            continue
        for stage in picked:
            out.append(_one(rule, stage, baseline))
    return out


def _one(rule: LoadRule, stage: StageRecord, baseline: StageRecord | None) -> LoadAlert:
    name = stage.name
    value = figure(stage, rule.metric)
    if rule.change is not None:
        if baseline is None:
            return _record(rule, name, None, None, f"{rule.text}: needs a synchronous stage to compare with "
                           "(--profile sweep runs one)")
        base = figure(baseline, rule.metric)
        if value is None or base is None:
            return _record(rule, name, None, None, f"{rule.text} at {name}: {rule.metric} not measured")
        value = base - value if rule.change == "drop" else value - base
    elif value is None:
        return _record(rule, name, None, None, f"{rule.text} at {name}: {rule.metric} not measured")
    fired = OPS[rule.op](value, rule.threshold)
    label = f"{rule.metric} {rule.change}" if rule.change else rule.metric
    return _record(rule, name, value, fired, f"{name}: {label} = {value:.4g} {rule.op if fired else 'not ' + rule.op} "
                   f"{rule.threshold:g}")


def _record(rule: LoadRule, stage: str | None, value: float | None, fired: bool | None, message: str) -> LoadAlert:
    return LoadAlert(rule=rule.text, stage=stage, value=value, threshold=rule.threshold, fired=fired, message=message)
