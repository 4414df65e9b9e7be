"""The load-test JSON (`evalharness load`): where it goes, what it says it is, how a stage is named."""

from __future__ import annotations

from typing import Any

LOAD_FOLDER = "load"  # results/load/: load tests, not run reports (the report scan leaves it out)
LOAD_KIND = "evalharness-load"  # the document's `kind`
# the per-request figures a stage summarises as p50/p90/p95/p99/mean
SUMMARY_FIELDS = ("ttft_s", "inter_token_latency_s", "latency_s", "output_tokens")
# an SLO's name -> the per-request figure it bounds (goodput applies it to each request)
SLO_FIELDS = {"ttft_p95_s": "ttft_s", "itl_p95_s": "inter_token_latency_s", "latency_p95_s": "latency_s"}


def stage_name(record: dict[str, Any]) -> str:
    """A stage as tables and alerts name it: `synchronous`, `throughput x4`, `constant 0.82/s`."""
    name = record["profile"]
    if record.get("offered_rate") is not None:
        name += f" {record['offered_rate']:.3g}/s"
    if record["profile"] in ("concurrent", "throughput"):
        name += f" x{record.get('concurrency')}"
    return name
