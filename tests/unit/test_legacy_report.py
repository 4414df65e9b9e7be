"""A report and samples log written by evalharness 517a120 (tests/fixtures/legacy) still load,
compare, select and show in the dashboard's tables."""

from pathlib import Path

from evalharness import dashboard_data as dd
from evalharness import metrics
from evalharness.compare.engine import compare_reports
from evalharness.reports import load_report, read_samples_log
from evalharness.select import Constraints, select
from evalharness.views.table import GLANCE, display_frame, glance_frame

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"


def test_old_report_loads_with_its_figures():
    r = load_report(LEGACY / "report-517a120.json")
    assert r.environment.git_commit.startswith("517a120")
    assert [v.id for v in r.variants] == ["tiny-random-gemma3/fp32/cpu", "tiny-random-gemma3/bf16/cpu"]
    bf16 = r.variants[1]
    assert bf16.figure(metrics.BY_NAME["latency_s.p50"]) == bf16.summary["latency_s"].p50 > 0
    assert bf16.figure(metrics.BY_NAME["token_agreement"]) == bf16.fidelity.token_agreement
    assert len(r.samples) == 8


def test_old_report_compares_with_itself_variant_by_variant():
    r = load_report(LEGACY / "report-517a120.json")
    cmp = compare_reports(r, r)
    assert cmp.variants_only_in_baseline == cmp.variants_only_in_candidate == []
    assert {row.variant_id for row in cmp.rows} == {v.id for v in r.variants}
    assert not cmp.gating_failures("info")


def test_old_report_selects_and_shows_in_dashboard_tables():
    r = load_report(LEGACY / "report-517a120.json")
    assert select(r, Constraints()).chosen is not None
    table = glance_frame([r])
    assert list(table["variant"]) == [v.id for v in r.variants]
    for name in GLANCE:
        assert name in table.columns
    assert "None" not in display_frame(table).to_csv()
    assert table["latency_s.p95"].notna().all() and table["footprint_mb"].notna().all()
    assert not dd.samples_frame(r).empty


def test_old_samples_log_header_is_typed():
    content = read_samples_log(LEGACY / "report-517a120.samples.jsonl")
    assert content.bad_lines == 0
    h = content.header
    assert h.run_id == "20261129-075117-2f06" and h.planned_samples == 2 * 2 * 2
    assert [p.quantization for p in h.plan] == ["fp32", "bf16"]
