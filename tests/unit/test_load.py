"""Load stages: arrival processes, exact goodput on scripted latencies, saturation of a server
that answers one request at a time, bounded run time."""

from __future__ import annotations

import statistics
import time

import httpx
import pytest

from evalharness.endpoints.client import EndpointResult, stream_chat
from evalharness.loadtest.arrivals import constant_offsets, gamma_offsets
from evalharness.loadtest.engine import StageSpec, run_stage, stage_record
from tests.fake_openai import FakeOpenAI, Script


def gaps(offsets: list[float]) -> list[float]:
    return [b - a for a, b in zip(offsets, offsets[1:])]


@pytest.mark.parametrize("burstiness,cv", [(1.0, 1.0), (0.25, 2.0), (4.0, 0.5)])
def test_gamma_arrivals_have_the_requested_rate_and_spread(burstiness, cv):
    g = gaps(gamma_offsets(rate=5.0, n=20_001, burstiness=burstiness, seed=3))
    mean = statistics.fmean(g)
    assert mean == pytest.approx(1 / 5.0, rel=0.05)
    assert statistics.stdev(g) / mean == pytest.approx(cv, rel=0.1)  # Poisson: CV 1


def test_constant_arrivals_and_bad_rates():
    assert constant_offsets(4.0, 3) == [0.0, 0.25, 0.5]
    assert gamma_offsets(2.0, 5, seed=1) == gamma_offsets(2.0, 5, seed=1) != gamma_offsets(2.0, 5, seed=2)
    with pytest.raises(ValueError):
        gamma_offsets(0.0, 3)
    with pytest.raises(ValueError):
        gamma_offsets(1.0, 3, burstiness=0.0)


def scripted(ttfts: list[float], latency: float = 0.5, spacing: float = 1.0):
    """A `send` whose answers carry scripted timings: request i starts at i*spacing, its first
    token after ttfts[i], 5 tokens evenly to `latency`."""
    def send(i: int) -> EndpointResult:
        start = i * spacing
        first = start + ttfts[i]
        times = [first + k * (latency - ttfts[i]) / 4 for k in range(5)]
        return EndpointResult(success=True, error_kind=None, error=None, status_code=200, text="a b c d e",
                              start_s=start, end_s=start + latency, chunk_times_s=times, output_tokens=5)
    return send


def test_goodput_counts_requests_meeting_every_slo_over_the_window():
    ttfts = [0.05 * (i + 1) for i in range(10)]  # 0.05 .. 0.50
    stage = run_stage(StageSpec("synchronous", requests=10), scripted(ttfts), origin=0.0)
    window = 9 * 1.0 + 0.5  # first send at 0, last answer at 9.5
    assert stage.window_s == pytest.approx(window)
    assert stage.achieved_rate == pytest.approx(10 / window)
    assert stage.goodput({"ttft_s": 0.25}) == pytest.approx(5 / window)  # 0.05..0.25 meet it
    # ITL per token: (0.5 - ttft) / 4 gaps; all under 0.2 s, so adding that SLO changes nothing
    assert stage.goodput({"ttft_s": 0.25, "inter_token_latency_s": 0.2}) == pytest.approx(5 / window)
    assert stage.goodput({"latency_s": 0.4}) == 0.0
    record = stage_record(stage, {"ttft_s": 0.25})
    assert [r.start_s for r in record.requests] == [float(i) for i in range(10)]
    assert record.summary["ttft_s"].p50 == pytest.approx(0.275)
    assert record.saturated is False and record.offered_rate is None


def test_warmup_requests_are_left_out():
    stage = run_stage(StageSpec("synchronous", requests=4, warmup=2), scripted([0.1] * 6), origin=0.0)
    assert [r.index for r in stage.measured] == [2, 3, 4, 5]
    assert stage_record(stage, {}).warmup_requests == 2


def test_the_warm_up_is_answered_before_the_measured_window_opens():
    """Issue 29: the warm-up took one of four slots, so 12 requests ran in 4 waves, not 3."""
    with FakeOpenAI() as server, httpx.Client() as client:
        server.default = Script(first_delay_s=0.3, chunks=["a"])
        stage = run_stage(StageSpec("throughput", concurrency=4, requests=8, warmup=1), endpoint_send(server, client))
    warm = [r for r in stage.requests if r.warmup]
    measured = stage.measured
    assert len(warm) == 1 and len(measured) == 8
    assert min(r.start_s for r in measured) >= warm[0].start_s + warm[0].result.latency_s
    starts = sorted(r.start_s for r in measured)
    waves = 1 + sum(1 for a, b in zip(starts, starts[1:]) if b - a > 0.15)
    assert waves == 2, starts


def endpoint_send(server: FakeOpenAI, client: httpx.Client):
    return lambda i: stream_chat(server.base_url, "m", [{"role": "user", "content": f"q{i}"}], client=client)


def test_a_server_answering_one_at_a_time_saturates_and_a_light_load_does_not():
    with FakeOpenAI(capacity=1) as server, httpx.Client() as client:
        server.default = Script(first_delay_s=0.1, chunks=["a", "b"])
        send = endpoint_send(server, client)
        heavy = run_stage(StageSpec("constant", rate=20.0, requests=20), send)
        saturated, why = heavy.saturated()
        assert saturated and "offered" in why  # it cannot do more than 10 req/s
        assert heavy.achieved_rate < 11
        light = run_stage(StageSpec("constant", rate=2.0, requests=6), send)
        assert light.saturated() == (False, None)
        assert light.achieved_rate == pytest.approx(2.0, rel=0.25)


def test_open_loop_sends_on_schedule_and_stops_at_the_duration():
    with FakeOpenAI() as server, httpx.Client() as client:
        server.default = Script(first_delay_s=0.3, chunks=["a"])
        began = time.perf_counter()
        stage = run_stage(StageSpec("poisson", rate=8.0, duration_s=1.5, seed=4), endpoint_send(server, client),
                          origin=began)
        took = time.perf_counter() - began
    assert took < 1.5 + 0.3 + 1.0  # the duration, the last answer, slack
    late = [r.start_s - r.scheduled_s for r in stage.requests]
    assert max(late) < 0.1  # a slow answer never delays the next send (open loop)
    scheduled = [r.scheduled_s for r in stage.requests]
    assert scheduled[-1] <= 1.5 and len(stage.requests) >= 4
    assert all(r.result.success for r in stage.requests)


def test_concurrent_keeps_n_requests_in_flight():
    with FakeOpenAI() as server, httpx.Client(limits=httpx.Limits(max_connections=8)) as client:
        server.default = Script(first_delay_s=0.2, chunks=["a"])
        stage = run_stage(StageSpec("concurrent", concurrency=4, requests=12), endpoint_send(server, client))
    assert len(stage.measured) == 12
    # 12 requests of ~0.2 s, 4 at a time: ~3 rounds, far under 12 x 0.2 s one after another
    assert stage.window_s < 1.6
    assert stage.achieved_rate > 12 / 1.6


def test_sweep_runs_synchronous_throughput_then_rates_between():
    from evalharness.loadtest.sweep import run_sweep

    with FakeOpenAI(capacity=2) as server, httpx.Client() as client:
        server.default = Script(first_delay_s=0.1, chunks=["a"])
        base = StageSpec("constant", concurrency=4, requests=12)
        swept = run_sweep(base, endpoint_send(server, client), steps=2, origin=time.perf_counter())
    profiles = [s.spec.profile for s in swept.stages]
    assert profiles[:2] == ["synchronous", "throughput"]
    sync, peak = swept.stages[0].achieved_rate, swept.stages[1].achieved_rate
    assert sync == pytest.approx(10, rel=0.3) and peak == pytest.approx(20, rel=0.3)  # two slots of 0.1 s
    rates = [s.spec.rate for s in swept.stages[2:]]
    gap = (peak - sync) / 3
    # two rates between, then the overload: 1.25 x the throughput, more than two slots can serve
    assert rates == pytest.approx([sync + gap, sync + 2 * gap, 1.25 * peak])
    assert swept.saturated_at == rates[-1] and swept.knee_rate == rates[-2]


def test_sweep_rates_for_a_server_without_concurrency_gain():
    from evalharness.loadtest.sweep import sweep_rates

    assert sweep_rates(2.0, 10.0, 3) == pytest.approx([4.0, 6.0, 8.0, 12.5])
    # one slot: throughput no better than synchronous; rates from half of it, then the overload
    assert sweep_rates(0.8, 0.78, 3) == pytest.approx([0.5, 0.6, 0.7, 1.0])


class FakeStage:
    def __init__(self, achieved: float, saturated: bool) -> None:
        self.achieved_rate, self._saturated = achieved, saturated

    def saturated(self):
        return self._saturated, "scripted" if self._saturated else None


def test_sweep_stops_at_the_first_saturated_rate(monkeypatch):
    from evalharness.loadtest import sweep

    outcomes = iter([FakeStage(2.0, False), FakeStage(10.0, False), FakeStage(4.0, False),
                     FakeStage(5.0, True), FakeStage(8.0, False)])
    seen = []

    def fake_run_stage(spec, send, origin):
        seen.append(spec)
        return next(outcomes)

    monkeypatch.setattr(sweep, "run_stage", fake_run_stage)
    swept = sweep.run_sweep(StageSpec("constant", concurrency=8, requests=5), lambda i: None, steps=3, origin=0.0)
    assert [s.profile for s in seen] == ["synchronous", "throughput", "constant", "constant"]
    assert [s.rate for s in seen[2:]] == [4.0, 6.0]  # 2 .. 10 in 4 gaps; the 8 req/s stage never ran
    assert swept.knee_rate == 4.0 and swept.saturated_at == 6.0


def test_load_command_writes_the_stages_json(tmp_path, capsys):
    import json

    from evalharness.commands.main import main

    with FakeOpenAI() as server:
        server.default = Script(first_delay_s=0.02, gap_s=0.01, chunks=["a", "b", "c"])
        code = main(["load", server.base_url, "--model", "m", "--profile", "concurrent", "--concurrency", "2",
                     "--requests", "6", "--warmup", "1", "--slo", "ttft_s=5", "--slo", "inter_token_latency_s=0.001",
                     "--json", str(tmp_path / "load.json")])
    assert code == 0
    data = json.loads((tmp_path / "load.json").read_text())
    [stage] = data["stages"]
    assert stage["profile"] == "concurrent" and stage["concurrency"] == 2 and len(stage["requests"]) == 6
    assert stage["warmup_requests"] == 1
    assert set(stage["requests"][0]) >= {"start_s", "ttft_s", "inter_token_latency_s", "latency_s",
                                         "output_tokens", "success", "error"}
    assert stage["goodput"] == 0.0  # 10 ms between tokens never meets an ITL SLO of 1 ms
    assert set(stage["summary"]["ttft_s"]) == {"p50", "p90", "p95", "p99", "mean"}


@pytest.mark.parametrize("argv,message", [
    (["--profile", "constant", "--requests", "3"], "needs --rate"),
    (["--requests", "3", "--slo", "ttft=1"], "unknown SLO"),
    ([], "give --requests and/or --duration"),
    (["--requests", "3", "--max-tokens", "0"], "--max-new-tokens must be 1..65536"),
    (["--requests", "3", "--timeout", "0"], "--timeout must be above 0 s"),
])
def test_load_command_refuses_bad_options(argv, message, capsys):
    from evalharness.commands.main import main

    assert main(["load", "http://127.0.0.1:9/v1", "--model", "m", *argv]) == 2
    assert message in capsys.readouterr().err


def test_empty_answers_under_load_are_counted_per_stage():
    with FakeOpenAI() as server, httpx.Client() as client:
        server.queue.extend([Script(), Script(mode="empty"), Script(mode="empty"), Script()])
        stage = run_stage(StageSpec("synchronous", requests=4), endpoint_send(server, client))
    record = stage_record(stage, {})
    assert record.success_rate == 0.5 and record.empty_rate == 0.5 and record.errors == {"empty": 2}
    assert record.truncated_rate == 0.0


def test_answers_under_load_are_compared_with_the_unloaded_answers():
    from evalharness.loadtest.quality import against_baseline
    from evalharness.reports.loadtest import LoadRequestRecord, StageRecord

    def req(i, text, tokens, success=True):
        return LoadRequestRecord(index=i, start_s=0.0, output=text, output_tokens=tokens, success=success)

    def vs(stage):
        return stage.vs_synchronous.model_dump()

    prompts = ["p0", "p1"]
    sync = StageRecord(profile="synchronous", requests=[req(0, "a b c", 3), req(1, "x y", 2)])
    loaded = StageRecord(profile="constant", requests=[req(2, "a b c", 3), req(3, "x", 1), req(4, "a b", 2),
                                                       req(5, "", None, success=False), req(7, "x y", 2)])
    against_baseline([sync, loaded], sync, lambda i: prompts[i % 2])
    assert vs(sync) == {"compared": 2, "changed_rate": 0.0, "shorter_rate": 0.0}
    # 4 successful answers: p0 same, p1 cut to "x", p0 cut to "a b", p1 same; the failure is not compared
    assert vs(loaded) == {"compared": 4, "changed_rate": 0.5, "shorter_rate": 0.5}
    # a sampled prompt (key None) is never compared: its answers differ at any load
    against_baseline([sync, loaded], sync, lambda i: "p0" if i % 2 == 0 else None)
    assert vs(loaded) == {"compared": 2, "changed_rate": 0.5, "shorter_rate": 0.5}


def test_load_sweep_command_reports_the_knee(tmp_path):
    import json

    from evalharness.commands.main import main

    # the server's 0.3 s per answer dwarfs the client's own time, even on a busy machine (at 0.1 s a
    # busy neighbour once cut the measured throughput so far that the overload never saturated)
    with FakeOpenAI(capacity=2) as server:
        server.default = Script(first_delay_s=0.3, chunks=["a", "b"])
        code = main(["load", server.base_url, "--model", "m", "--profile", "sweep", "--concurrency", "4",
                     "--requests", "10", "--warmup", "0", "--sweep-steps", "2", "--json", str(tmp_path / "s.json")])
    assert code == 0
    data = json.loads((tmp_path / "s.json").read_text())
    assert [s["profile"] for s in data["stages"]] == ["synchronous", "throughput", "constant", "constant", "constant"]
    assert data["saturated_at"] == data["stages"][-1]["offered_rate"] and data["stages"][-1]["saturated"]
    assert data["knee_rate"] == data["stages"][-2]["offered_rate"]
    assert all(s["vs_synchronous"]["changed_rate"] == 0.0 for s in data["stages"])  # the same answer at any load
    # the file is the typed report: read back whole, and a file that is not one is named with the reason
    from evalharness.reports.loadtest import LoadReportError, read_load_report

    report = read_load_report(tmp_path / "s.json")
    assert report.knee_rate == data["knee_rate"] and [s.name for s in report.stages][:2] == ["synchronous",
                                                                                         "throughput x4"]
    first = report.stages[0].requests[0]
    assert first.success and first.token_count_source in ("usage", "chunks", "tokenizer")
    assert first.decode_tokens_per_s is not None and first.ttft_s < first.latency_s
    # a file written before one spelling names its SLOs ttft_p95_s/itl_p95_s: read as the request figures
    (tmp_path / "old.json").write_text(json.dumps({**data, "slos": {"ttft_p95_s": 1.0, "itl_p95_s": 0.1}}))
    assert read_load_report(tmp_path / "old.json").slos == {"ttft_s": 1.0, "inter_token_latency_s": 0.1}
    for text, reason in (("{", "not readable JSON"), ('{"kind": "other"}', "not an evalharness load test"),
                         (json.dumps({**data, "schema_version": 9}), "schema_version 9 is not supported"),
                         (json.dumps({**data, "stages": [{"profile": "x", "achieved_rate": "fast"}]}),
                          "stages.0.achieved_rate")):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(LoadReportError, match=reason):
            read_load_report(tmp_path / "bad.json")


def test_answers_intact_up_to_the_first_degraded_rate():
    from evalharness.commands.loadtest import intact_up_to
    from evalharness.reports.loadtest import StageRecord

    def stage(rate, success=1.0, changed=0.0, errors=None):
        return StageRecord.model_validate(
            {"profile": "constant" if rate else "synchronous", "offered_rate": rate, "success_rate": success,
             "errors": errors or {},
             "vs_synchronous": {"compared": 8, "changed_rate": changed, "shorter_rate": changed}})

    records = [stage(None), stage(None, 0.125, errors={"empty": 7}), stage(0.5), stage(0.7), stage(1.0, changed=0.875),
               stage(1.2)]
    best, why = intact_up_to(records)
    assert best == 0.7 and "at 1 req/s: 88% of answers changed" in why
    assert intact_up_to(records[:4]) == (0.7, None)
