"""The grammar of load-test alert rules (`evalharness load --alert`, a suite's `load.alerts`):
`METRIC [drop|rise] OP VALUE [at each|max|xN|RATE]`, parsed and checked without running anything
(evaluation over a load test's stages: loadtest/alerts.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalharness.lifecycle import finite
from evalharness.reports.loadtest import SUMMARY_FIELDS

STAGE_FIGURES = ("quality", "answered_quality", "goodput", "achieved_rate", "success_rate", "empty_rate",
                 "truncated_rate")
VS_SYNC = ("changed_rate", "shorter_rate")
STATS = ("p50", "p90", "p95", "p99", "mean")
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
    try:
        value = finite(m["value"])
    except ValueError as exc:
        raise ValueError(f"alert {text!r}: {exc}") from None
    return LoadRule(text.strip(), metric, m["change"], m["op"], value, at)


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
        value = finite(text)
    except ValueError:
        return None
    return value if value > 0 else None
