"""Typed records of a monitor series (results/monitor/*.jsonl), one per line, told apart by `kind`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, TypeAdapter, ValidationError

from evalharness.reports.schema import Record, Timing


class MonitorStart(Record):
    kind: Literal["start"] = "start"
    ts: float
    targets: list[str]
    interval_s: float
    canary: dict[str, Any] | None = None  # `monitor --pin`: the pins, the CUSUM's design and its rates


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
    details: dict[str, Any] | None = None  # canary alerts: the differing cases and texts, the variants


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
