"""One spelling per figure: a statistic is `FIELD.STAT` wherever it is written, an SLO the
request field it bounds, a token limit `max_new_tokens`; the former spellings still read with their
meaning, and the lists that name them are derived from metrics.py."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evalharness import metrics
from evalharness.alerts import AlertRule, evaluate
from evalharness.reports.schema import REQUEST_FIELDS, Timing


def test_a_statistic_parses_and_is_labelled_from_metrics():
    assert metrics.statistic("ttft_s.p95") == ("ttft_s", "p95")
    for bad, says in (("ttft_p95", "FIELD is one of"), ("ttft_s.p42", "STAT is one of"), ("nope.p50", "FIELD")):
        with pytest.raises(ValueError, match=says):
            metrics.statistic(bad)
    assert metrics.statistic_label("ttft_s", "p95") == "TTFT p95 (s)"
    assert metrics.statistic_label("latency_s", "p50") == metrics.BY_NAME["latency_s.p50"].label
    assert metrics.field_label("inter_token_latency_s") == "inter-token latency (s)"
    assert metrics.metric_of_statistic("ttft_s.p95") is metrics.BY_NAME["ttft_s.p95"]
    assert metrics.metric_of_statistic("decode_tokens_per_s.p50") is metrics.BY_NAME["decode_tokens_per_s"]
    # a per-sample metric is its statistic, or its field when that is its one reduction
    for m in metrics.METRICS:
        if m.scope == "sample":
            assert m.name in (f"{m.field}.{m.stat}", m.field)
            assert metrics.metric_of_statistic(f"{m.field}.{m.stat}") is m
    assert metrics.metric_of_statistic("ttft_s.p99") is None


def test_a_suite_rule_may_name_the_statistic_as_load_rules_do():
    short = AlertRule(name="slow", metric="ttft_s.p95", op=">", threshold=1.0)
    long = AlertRule(name="slow", metric="ttft_s", aggregation="p95", op=">", threshold=1.0)
    assert short == long
    assert AlertRule(name="m", metric="load.footprint_mb", op=">", threshold=1.0).metric == "load.footprint_mb"
    with pytest.raises(ValidationError, match="says p95, aggregation says p50"):
        AlertRule(name="x", metric="ttft_s.p95", aggregation="p50", op=">", threshold=1.0)
    with pytest.raises(ValidationError, match="STAT is one of"):
        AlertRule(name="x", metric="ttft_s.p42", op=">", threshold=1.0)


def test_the_statistic_rule_fires_on_that_statistic():
    from tests.unit.test_alerts import VARIANTS, sample

    samples = [sample("m/fp32/cpu", latency) for latency in (0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 2.0)]
    rules = [AlertRule(name="p95", metric="latency_s.p95", op=">", threshold=1.0),
             AlertRule(name="p50", metric="latency_s.p50", op=">", threshold=1.0)]
    assert {a.rule for a in evaluate(rules, VARIANTS, samples)} == {"p95"}  # the median is 0.1 s


def test_a_gate_policy_names_a_row_by_its_statistic_and_former_names_still_read():
    from evalharness.suite.gate import GatePolicy

    policy = GatePolicy(metrics={"ttft_s.p50": "warning", "latency_s.p95": "critical", "scores.*": "info",
                                 "decode_tokens_per_s.p50": "warning"})
    assert policy.severity_of("ttft_s.p50") == "warning" and policy.severity_of("latency_s.p95") == "critical"
    assert policy.severity_of("decode_tokens_per_s") == "warning"
    assert policy.severity_of("scores.exact") == "info" and policy.severity_of("peak_rss_mb") is None
    assert GatePolicy(metrics={"latency_p50": "warning"}).severity_of("latency_s.p50") == "warning"
    with pytest.raises(ValidationError, match="unknown metric 'ttft_s.p99'"):
        GatePolicy(metrics={"ttft_s.p99": "warning"})  # no comparison row reduces TTFT that way


def test_slos_are_the_request_field_they_bound_and_the_former_names_still_read():
    from evalharness.reports.loadtest import SLO_FIELDS, slo_limits

    assert set(SLO_FIELDS) == {"latency_s", "ttft_s", "inter_token_latency_s"}  # seconds, lower is better
    assert slo_limits({"ttft_p95_s": 1.0, "itl_p95_s": 0.1, "latency_s": 9.0}) == {
        "ttft_s": 1.0, "inter_token_latency_s": 0.1, "latency_s": 9.0}
    with pytest.raises(ValueError, match="unknown SLO 'decode_tokens_per_s'"):
        slo_limits({"decode_tokens_per_s": 5.0})
    with pytest.raises(ValueError, match="above 0"):
        slo_limits({"ttft_s": 0.0})


def test_endpoint_summaries_and_the_load_tab_follow_metrics_py():
    from evalharness.dashboard_data import LOAD_COLUMNS, LOAD_STATS
    from evalharness.reports.endpoint import ProbeSummary
    from evalharness.reports.loadtest import SLO_FIELDS, SUMMARY_FIELDS
    from evalharness.views.charts import LOAD_PANELS

    assert set(REQUEST_FIELDS) == {m.field for m in metrics.METRICS if m.field in Timing.model_fields}
    assert SUMMARY_FIELDS == REQUEST_FIELDS and set(REQUEST_FIELDS) <= set(ProbeSummary.model_fields)
    expected = {f"{f}.{s}" for f in SLO_FIELDS for s in LOAD_STATS}
    assert expected <= set(LOAD_COLUMNS)
    assert all(LOAD_COLUMNS[c] == (f"summary.{c}", metrics.statistic_label(*c.split("."))) for c in expected)
    drawn = {c for _, cols in LOAD_PANELS for c in cols}
    assert expected <= drawn and drawn <= set(LOAD_COLUMNS)


@pytest.mark.parametrize("section,cls", [("load", "evalharness.suite.load_spec:LoadSpec"),
                                          ("monitor", "evalharness.suite.schema:MonitorConfig"),
                                          ("security", "evalharness.suite.security_spec:SecuritySpec")])
def test_token_limits_are_max_new_tokens_everywhere_and_max_tokens_still_reads(section, cls):
    import importlib

    module, _, name = cls.partition(":")
    spec = getattr(importlib.import_module(module), name)
    assert spec.model_validate({"max_new_tokens": 8}).max_new_tokens == 8
    assert spec.model_validate({"max_tokens": 8}).max_new_tokens == 8, section
    with pytest.raises(ValidationError):
        spec.model_validate({"max_new_tokens": 0})
