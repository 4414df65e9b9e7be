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

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evalharness.load.engine import SUMMARY_FIELDS
from evalharness.reports.load_doc import stage_name

STAGE_FIGURES = ("quality", "answered_quality", "goodput", "achieved_rate", "success_rate", "empty_rate",
                 "truncated_rate")
VS_SYNC = ("changed_rate", "shorter_rate")
STATS = ("p50", "p90", "p95", "p99", "mean")
OPS: dict[str, Callable[[float, float], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt,
                                                  "<=": operator.le}
RULE = re.compile(r"^\s*(?P<metric>[\w.-]+)\s+(?:(?P<change>drop|rise)\s+)?(?P<op>>=|<=|>|<)\s*"
                  r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:\s+at\s+(?P<at>\S+))?\s*$")
RATE_TOLERANCE = 0.1  # `at R` matches a stage offered within 10% of R


@dataclass(frozen=True)
class LoadRule:
    text: str
    metric: str
    change: str | None  # drop, rise or None (the stage's own figure)
    op: str
    threshold: float
    at: str  # each, max, xN or a rate


def parse_rule(text: str) -> LoadRule:
    m = RULE.match(text)
    if m is None:
        raise ValueError(f"alert {text!r}: write METRIC [drop|rise] OP VALUE [at each|max|xN|RATE], "
                         "e.g. 'quality drop > 0.05 at max' or 'goodput < 2 at 4'")
    metric, at = m["metric"], m["at"] or "each"
    problem = _metric_problem(metric)
    if problem:
        raise ValueError(f"alert {text!r}: {problem}")
    if not (at in ("each", "max") or re.fullmatch(r"x[1-9]\d*", at) or _rate(at) is not None):
        raise ValueError(f"alert {text!r}: 'at {at}' is not each, max, xN (concurrency) or a rate above 0")
    if metric in VS_SYNC and m["change"]:
        raise ValueError(f"alert {text!r}: {metric} is already a comparison with the synchronous answers")
    return LoadRule(text.strip(), metric, m["change"], m["op"], float(m["value"]), at)


def _metric_problem(metric: str) -> str | None:
    if metric in STAGE_FIGURES or metric in VS_SYNC:
        return None
    field, _, stat = metric.partition(".")
    if field in SUMMARY_FIELDS and stat in STATS:
        return None
    if field == "scores" and stat:
        from evalharness.scorers import SCORERS

        return None if stat in SCORERS else SCORERS.unknown_message(stat)
    return (f"unknown metric {metric!r}: use {', '.join(STAGE_FIGURES + VS_SYNC)}, "
            f"FIELD.STAT ({'/'.join(SUMMARY_FIELDS)} . {'/'.join(STATS)}) or scores.<scorer>")


def _rate(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


def figure(stage: dict[str, Any], metric: str) -> float | None:
    if metric in STAGE_FIGURES:
        return stage.get(metric)
    if metric in VS_SYNC:
        return (stage.get("vs_synchronous") or {}).get(metric)
    field, _, stat = metric.partition(".")
    if field == "scores":
        return (stage.get("scores") or {}).get(stat)
    return stage["summary"][field][stat]


def _load(stage: dict[str, Any]) -> float:
    value = stage["offered_rate"] if stage["offered_rate"] is not None else stage["achieved_rate"]
    return value if value is not None else float("-inf")


def chosen_stages(rule: LoadRule, stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    baseline = synchronous_stage(stages)
    loaded = [s for s in stages if s is not baseline] or list(stages)
    if rule.at == "each":
        return loaded
    if rule.at == "max":
        return [max(loaded, key=_load)] if loaded else []
    if rule.at.startswith("x"):
        n = int(rule.at[1:])
        return [s for s in loaded if s["concurrency"] == n and s["profile"] != "synchronous"]
    rate = float(rule.at)
    return [s for s in loaded if s["offered_rate"] is not None
            and abs(s["offered_rate"] - rate) <= RATE_TOLERANCE * rate]


def synchronous_stage(stages: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    return next((s for s in stages if s["profile"] == "synchronous"), None)


def evaluate(rules: Sequence[LoadRule], stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _one(rule: LoadRule, stage: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any]:
    name = stage_name(stage)
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


def _record(rule: LoadRule, stage: str | None, value: float | None, fired: bool | None, message: str) -> dict[str, Any]:
    return {"rule": rule.text, "stage": stage, "value": value, "threshold": rule.threshold, "fired": fired,
            "message": message}
