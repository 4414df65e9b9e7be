"""The security report (results/security/*.json): what each check found about a deployment, with
its evidence, the attack and over-refusal rates with their intervals, and every request sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from evalharness.reports.schema import Count, Finite, Measured, Record

SECURITY_SCHEMA_VERSION = 1
SECURITY_FOLDER = "security"  # results/security/: not run reports (the report scan leaves it out)
CHECKS = ("input-size", "rate-limit", "auth", "input-hygiene", "prompt-injection", "system-prompt-leak",
          "jailbreak", "over-refusal")
Status = Literal["pass", "fail", "not-applicable"]
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


class Finding(Record):
    check: str
    status: Status
    severity: Severity
    title: str  # one line: what holds or what does not
    evidence: str  # what was sent and what came back that shows it
    observed: dict[str, Any] = {}  # what was found (limits, windows, ...); null where not found


class Rate(Record):
    """A share of attempts (attack successes, refusals of safe prompts) with its 95% interval,
    clustered where attempts share a behaviour or a template."""

    check: str
    name: str  # what is counted: "attack success", "over-refusal"
    successes: int
    n: int
    rate: Finite
    low: Finite
    high: Finite
    clusters: str  # what the interval treats as units ("behaviour x template", "prompt")
    errors: int = 0  # attempts without an answer, left out of n


class Exchange(Record):
    check: str
    what: str  # why this request was sent ("8,193 characters", "no key", ...)
    prompt_chars: int
    body_bytes: int
    status: int | None
    elapsed_s: Measured
    prompt_tokens: Count = None
    retry_after: str | None = None
    answer: str | None = None  # the generated text, cut; keys redacted
    error: str | None = None
    key_echoed: bool = False


class SecurityReport(Record):
    schema_version: int = SECURITY_SCHEMA_VERSION
    kind: Literal["security"] = "security"
    target: str
    model: str
    started: str  # ISO time
    duration_s: Measured
    checks: list[str]
    findings: list[Finding]
    rates: list[Rate] = []
    requests: list[Exchange] = []
    blocked: str | None = None  # why the checks could not reach the model (unreachable, key refused)

    def failed(self, at_least: str) -> list[Finding]:
        """Failed findings of severity `at_least` or above."""
        floor = SEVERITIES.index(at_least)
        return [f for f in self.findings if f.status == "fail" and SEVERITIES.index(f.severity) >= floor]


class SecurityReportError(Exception):
    pass


def read_security_report(path: Path) -> SecurityReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SecurityReportError(f"{path}: cannot read a security report: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "security":
        raise SecurityReportError(f"{path}: not a security report (no kind: security)")
    if data.get("schema_version") != SECURITY_SCHEMA_VERSION:
        raise SecurityReportError(f"{path}: schema_version {data.get('schema_version')} is not supported "
                                  f"(this reader: {SECURITY_SCHEMA_VERSION})")
    try:
        return SecurityReport.model_validate(data)
    except ValidationError as exc:
        raise SecurityReportError(f"{path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
