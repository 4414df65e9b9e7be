"""Typed records of a monitor series (results/monitor/*.jsonl), one per line, told apart by `kind`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, TypeAdapter, ValidationError

from evalharness.reports.schema import Record, Timing


class CanaryDesign(Record):
    """`monitor --pin`: the pins, the drift CUSUM's design and its rates (written in the start record)."""

    pins: str  # the run the pinned answers came from
    variants: list[str]
    cases: list[str]
    unstable: dict[str, list[str]] = Field(default_factory=dict)  # variant -> cases whose repeats differed
    reference: str | None = None
    max_tokens: int | None = None
    p0: float
    p1: float
    h: float
    arl0_probes: float
    arl1_probes: float
    probes_per_day: float
    false_alarms_per_day: float
    match_window: int
    confident: float


class MonitorStart(Record):
    kind: Literal["start"] = "start"
    ts: float
    targets: list[str]
    interval_s: float
    canary: CanaryDesign | None = None


class CanaryFields(Record):
    """Canaries (`monitor --pin`): the case asked, its answer against the reference's pin, and the
    pinned variant the recent answers match best; null without pins or before a match."""

    case_id: str | None = None
    reference: str | None = None
    pinned_agreement: float | None = None
    pinned_exact: bool | None = None
    pinned_first_divergence: int | None = None
    matched_variant: str | None = None
    match_confidence: float | None = None
    runner_up: str | None = None
    runner_up_confidence: float | None = None


class ProbeRecord(CanaryFields, Timing):
    """One probe of one target; timing fields are null when the probe failed."""

    kind: Literal["probe"] = "probe"
    ts: float
    target: str
    success: bool
    error_kind: str | None = None
    error: str | None = None
    status_code: int | None = None
    # series written before 0.2 called it token_source
    token_count_source: str | None = Field(
        default=None, validation_alias=AliasChoices("token_count_source", "token_source"))


class Differing(Record):
    """A canary whose served answer differs from its pin (texts cut for the record)."""

    case: str
    first_divergence: int | None = None
    agreement: float
    served: str
    pinned: str


class CanaryDetails(Record):
    """What a canary alert adds: the reference; for `variant-changed` the variants, for
    `answers-drifted` the differing canaries, for `answers-recovered` the streak."""

    reference: str | None = None
    now: str | None = None
    was: str | None = None
    exact: int | None = None
    window: int | None = None
    runner_up: str | None = None
    differing: list[Differing] = Field(default_factory=list)
    in_a_row: int | None = None


class MonitorAlert(Record):
    kind: Literal["alert"] = "alert"
    ts: float
    event: str  # fired, repeated, resolved
    rule: str
    target: str
    metric: str
    value: float | None
    threshold: float
    severity: str
    message: str
    details: CanaryDetails | None = None  # canary alerts: the differing cases and texts, the variants


class MonitorStop(Record):
    kind: Literal["stop"] = "stop"
    ts: float
    reason: str
    probes: int


MonitorRecord = Annotated[MonitorStart | ProbeRecord | MonitorAlert | MonitorStop, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[MonitorRecord] = TypeAdapter(MonitorRecord)


def read_series(path: Path) -> tuple[list[MonitorStart | ProbeRecord | MonitorAlert | MonitorStop], int]:
    """Every readable record of a series, and the number of lines skipped (torn or foreign)."""
    records, bad = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            records.append(_ADAPTER.validate_python(json.loads(line)))
        except (json.JSONDecodeError, ValidationError):
            bad += 1
    return records, bad
