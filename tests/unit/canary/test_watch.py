"""Canaries in the monitor loop against a scripted server that changes its model at known probes
(fake clock), and a watch fed a long unchanged series with nondeterministic answers."""

import json
import math
import random

from evalharness.canary.cusum import design
from evalharness.canary.pins import Pins, first_window, from_report
from evalharness.canary.watch import CanaryWatch
from evalharness.endpoints.client import stream_chat
from evalharness.monitor.loop import Monitor, SeriesWriter, Target
from tests.fake_openai import FakeOpenAI, Script
from tests.fakes import FakeClock
from tests.unit.test_monitor import ROOT

CASES = [f"c{i}" for i in range(6)]
Q4 = {c: f"The answer to {c} is four, as the table shows." for c in CASES}
# q8 answers four of the six cases differently (after the third word); two the same
Q8 = {c: (f"The answer to {c} is five, as noted." if i < 4 else Q4[c]) for i, c in enumerate(CASES)}


def scripted(serving):
    """A server answering each case with the pinned text of the variant serving[0]."""
    def respond(body, _busy):
        case = body["messages"][0]["content"]
        answer = {"q4": Q4, "q8": Q8}[serving[0]][case]
        return Script(chunks=[w + " " for w in answer.split()])
    return respond


def run_monitor(tmp_path, schedule, probes=100):
    """Probe every 10 s on a fake clock; `schedule(n)` names the variant serving probe n (1-based)."""
    clock = FakeClock(0.0)
    serving = [schedule(1)]
    d = design(0.05, 0.5, probes_per_day=8640, false_alarms_per_day=1 / 30)
    with FakeOpenAI(responder=scripted(serving)) as server:
        def call(msgs):
            out = stream_chat(server.base_url, "m", msgs)
            serving[0] = schedule(len(server.requests) + 1)
            return out

        target = Target("srv", server.base_url, "m", call=call,
                        canary=CanaryWatch("srv", Pins({"q4": Q4, "q8": Q8}, "test"), d, match_window=6))
        writer = SeriesWriter(tmp_path / "series.jsonl")
        mon = Monitor([target], [[{"role": "user", "content": c}] for c in CASES], writer, interval_s=10,
                      window_requests=5, window_s=600, cooldown_s=1000, rules=[], duration_s=10 * probes,
                      clock=clock, sleep=clock.advance, log=lambda s: None, case_ids=CASES)
        mon.run()
    records = [json.loads(x) for x in (tmp_path / "series.jsonl").read_text().splitlines()]
    return records, d


def probe_number(records, alert):
    """The alert's probe: how many probes were written before it."""
    probes = 0
    for r in records:
        if r is alert:
            return probes
        probes += r["kind"] == "probe"
    raise AssertionError("not in the series")


def test_a_model_swap_is_named_and_detected_then_recovery(tmp_path):
    records, d = run_monitor(tmp_path, lambda n: "q8" if 31 <= n <= 70 else "q4")
    probes = [r for r in records if r["kind"] == "probe"]
    alerts = [r for r in records if r["kind"] == "alert"]
    assert [a["rule"] for a in alerts] == ["variant-changed", "answers-drifted", "variant-changed",
                                           "answers-recovered"], [a["message"] for a in alerts]
    changed, drifted, back, recovered = alerts
    assert changed["details"]["now"] == "q8" and changed["details"]["was"] == "q4"
    assert 31 < probe_number(records, changed) <= 31 + 6  # within one window of the swap
    delay = probe_number(records, drifted) - 30
    assert 1 <= delay <= 2 * math.ceil(d.arl1), (delay, d.arl1)  # a swap breaking 4 of 6 is >= p1
    shown = drifted["details"]["differing"]
    assert shown and {"case", "first_divergence", "served", "pinned"} <= set(shown[0])
    assert shown[0]["first_divergence"] == 5 and "five" in shown[0]["served"] and "four" in shown[0]["pinned"]
    assert back["details"]["now"] == "q4" and 70 < probe_number(records, recovered) <= 70 + 12
    # every probe carries the canary figures; the reference is the first confident match
    before = probes[10]
    assert before["pinned_exact"] is True and before["reference"] == "q4" and before["matched_variant"] == "q4"
    assert before["match_confidence"] > 0.9 and before["case_id"] in CASES
    during = [p for p in probes[40:60] if p["case_id"] in CASES[:4]]
    assert all(p["pinned_exact"] is False and p["pinned_first_divergence"] == 5 for p in during)
    assert records[0]["kind"] == "start"


def test_an_unchanged_server_raises_nothing(tmp_path):
    records, _ = run_monitor(tmp_path, lambda n: "q4", probes=60)
    assert not [r for r in records if r["kind"] == "alert"]
    exact = [r["pinned_exact"] for r in records if r["kind"] == "probe"]
    assert False not in exact and exact[5:] == [True] * (len(exact) - 5)  # None until a variant is matched


def test_nondeterministic_answers_below_p0_raise_no_drift_alert_in_3000_probes():
    d = design(0.05, 0.5, probes_per_day=2880, false_alarms_per_day=1 / 30)
    watch = CanaryWatch("srv", Pins({"q4": Q4}, "test"), d)
    rng = random.Random(3)
    alerts = []
    for n in range(3000):
        case = CASES[n % 6]
        answer = Q8[CASES[0]] if rng.random() < 0.03 else Q4[case]  # 3% answered differently
        alerts += watch.observe(case, answer, float(n)).alerts
    assert alerts == []


def test_first_window_pins_the_endpoints_own_first_answers():
    d = design(0.05, 0.5, probes_per_day=2880, false_alarms_per_day=1 / 30)
    watch = CanaryWatch("srv", first_window(), d)
    first = [watch.observe(c, Q4[c], 0.0) for c in CASES]
    assert all(f.pinned_exact is None for f in first)  # learned, nothing to compare yet
    later = watch.observe(CASES[0], Q4[CASES[0]], 1.0)
    assert later.pinned_exact is True and later.reference == "first window"
    drift = [a for n in range(40) for a in watch.observe(CASES[n % 4], Q8[CASES[n % 4]], 2.0 + n).alerts]
    assert [a.rule for a in drift] == ["variant-changed", "answers-drifted"]
    assert drift[0].details.now is None and drift[0].details.was == "first window"


def test_pins_from_a_run_report_by_variant_and_case():
    report = ROOT / "tests" / "fixtures" / "legacy" / "report-517a120.json"
    pins = from_report(report, {"raw", "chat", "not-in-the-run"})
    assert pins.variants and pins.cases() == {"raw", "chat"}
    assert pins.answers["tiny-random-gemma3/bf16/cpu"]["chat"] == "BBBBBBBB"
