"""The end-of-run table fits 100 columns, one line per variant, for the default suite and the
quantization matrix (every figure stays in `--wide`, the report and the summary)."""

from __future__ import annotations

import io

import pytest
import yaml
from rich.console import Console

from evalharness.console import brief_table, summary_table
from evalharness.reports import load_report
from tests.dashboard.conftest import make_results


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    results = make_results(tmp_path_factory.mktemp("width"))
    return load_report(results / "suite-a" / "20261120-100000-0000.json")


def _as(report, suite: str):
    quantizations = yaml.safe_load(open(f"suites/{suite}.yaml"))["quantizations"]
    template = report.variants[0]
    variants = [template.model_copy(update={"id": f"gemma3-270m/{q}/cpu", "status": "ok"}) for q in quantizations]
    return report.model_copy(update={"variants": variants, "alerts": []}), quantizations


def _render(table, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(table)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("suite", ["default", "quantization-matrix"])
def test_the_end_of_run_table_fits_100_columns_one_line_a_variant(report, suite):
    shaped, quantizations = _as(report, suite)
    lines = _render(brief_table(shaped), 100)
    assert max(len(line) for line in lines) <= 100
    for q in quantizations:  # each variant's row is one line, named by what differs (its quantization)
        rows = [line for line in lines if f" {q} " in line]
        assert len(rows) == 1, (q, lines)
        assert "…" not in rows[0]  # nothing cut: every figure shown in full
    header = " ".join(lines[:6])
    for col in ("decode", "tok/s", "TTFT", "p50 s", "latency", "p95 s", "peak RSS", "MB", "agreement", "alerts"):
        assert f" {col} " in header, col
    wide = _render(summary_table(shaped), 100)
    assert len(wide) > len(lines)  # the full table wraps at this width: it is the --wide one
