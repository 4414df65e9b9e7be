"""The probe's report (`probe --json`), typed: each request with its timing (reports.schema.Timing,
the one formula of local and streamed generations, as the load test's and the monitor's request
records carry it) and the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, computed_field, create_model

from evalharness.reports.schema import REQUEST_FIELDS, Count, Finite, Measured, Record, Summary, Timing

PROBE_KIND = "evalharness-probe"
PROBE_SCHEMA_VERSION = 1


class ProbeRequest(Timing):
    success: bool
    error_kind: str | None = None
    error: str | None = None
    status_code: int | None = None
    text: str = ""
    start_s: Finite = None
    end_s: Finite = None
    prompt_tokens: Count = None
    chunks: int = 0


class ProbeCounts(Record):
    requests: int
    succeeded: int
    success_rate: Finite = None
    concurrency: int
    wall_s: Measured = None
    requests_per_s: Measured = None
    output_tokens_per_s: Measured = None
    failures: dict[str, int] = Field(default_factory=dict)  # error kind -> requests
    token_count_sources: list[str] = Field(default_factory=list)


# the counts and, per request figure of metrics.py (REQUEST_FIELDS), its summary over the answered
# requests: `latency_s`, `ttft_s`, ... at the top level, as the load test's stages name them (None:
# a file written before the figure was summarised)
ProbeSummary = create_model("ProbeSummary", __base__=ProbeCounts,
                            **{f: (Summary | None, None) for f in REQUEST_FIELDS})  # type: ignore[call-overload]


class ProbeReport(Record):
    kind: Literal["evalharness-probe"] = PROBE_KIND
    schema_version: int = PROBE_SCHEMA_VERSION
    requests: list[ProbeRequest]
    summary: ProbeSummary


class ProbeReportError(Exception):
    pass


def read_probe_report(path: Path) -> ProbeReport:
    """`probe --json`'s file, or ProbeReportError naming the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ProbeReport.model_validate(data)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            err = exc.errors()[0]
            raise ProbeReportError(f"{path.name}: {'.'.join(str(x) for x in err['loc'])}: {err['msg']}") from None
        raise ProbeReportError(f"{path.name}: not readable JSON ({type(exc).__name__})") from None


class BatchExample(Record):
    """An answer that differed from the same prompt's first answer alone."""

    when: Literal["alone", "together"]
    prompt: str
    first_divergence: int | None = None
    alone: str
    answer: str


class BatchInvariance(Record):
    """`probe --batch-invariance N` (canary/batch.py): do greedy answers change with N in flight?"""

    kind: Literal["evalharness-batch-invariance"] = "evalharness-batch-invariance"
    schema_version: int = 1
    concurrency: int
    prompts: int
    alone_compared: int = 0
    alone_differ: int = 0  # the second answer alone differs from the first
    together_compared: int = 0
    together_differ: int = 0  # answers under concurrency that differ from the first alone
    failures: dict[str, int] = Field(default_factory=dict)  # failed requests by error kind
    examples: list[BatchExample] = Field(default_factory=list)  # up to 5 differing answers

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def alone_share(self) -> float | None:
        return self.alone_differ / self.alone_compared if self.alone_compared else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def together_share(self) -> float | None:
        return self.together_differ / self.together_compared if self.together_compared else None

    def line(self) -> str:
        def pct(x: float | None) -> str:
            return "—" if x is None else f"{x:.1%}"

        return (f"batch invariance: {self.together_differ} of {self.together_compared} answers at concurrency "
                f"{self.concurrency} differ from the same prompt's answer alone ({pct(self.together_share)}); "
                f"alone, {self.alone_differ} of {self.alone_compared} repeats differ ({pct(self.alone_share)})"
                + (f"; {self.failed} requests failed ({', '.join(f'{k} {n}' for k, n in self.failures.items())})"
                   if self.failed else ""))
