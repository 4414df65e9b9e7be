"""Alert state transitions with a fake clock: fire once, repeat after cooldown, resolve."""

from evalharness.alerts import AlertRule
from evalharness.monitor.state import AlertState, RollingWindow, evaluate_window
from evalharness.reports.monitor import ProbeRecord
from tests.fakes import FakeClock


def probe(success, latency_s):
    return ProbeRecord(ts=0.0, target="t", success=success, latency_s=latency_s)

SLOW = AlertRule(name="slow", metric="latency_s", aggregation="mean", op=">", threshold=1.0, severity="critical")
FLAKY = AlertRule(name="flaky", metric="success", aggregation="rate", op="<", threshold=0.95)


def test_fire_cooldown_repeat_and_resolve():
    clock = FakeClock(0.0)
    state = AlertState(SLOW, "t", cooldown_s=60)
    events = []
    for value, dt in [(0.5, 10), (2.0, 10), (2.5, 10), (3.0, 30), (3.0, 20), (0.4, 10), (0.3, 10), (2.0, 10)]:
        clock.advance(dt)
        t = state.update(value, clock())
        events.append(t.event if t else None)
    # fired at 20; still firing at 30 and 60 (within 60 s); repeated at 80; resolved at 90; fired again at 110
    assert events == [None, "fired", None, None, "repeated", "resolved", None, "fired"]
    assert state.update(None, clock()) is None  # unmeasurable changes nothing


def test_window_keeps_last_n_and_last_m_seconds():
    clock = FakeClock(0.0)
    w = RollingWindow(max_requests=3, max_age_s=100, clock=clock)
    for i in range(5):
        w.add({"i": i})
        clock.advance(10)
    assert [r["i"] for r in w.records()] == [2, 3, 4]
    clock.advance(75)  # records at 20, 30, 40; now 125: only those newer than 25 remain
    assert [r["i"] for r in w.records()] == [3, 4]


def test_evaluate_window_on_success_rate_and_latency():
    clock = FakeClock(0.0)
    states = [AlertState(SLOW, "t", 300), AlertState(FLAKY, "t", 300)]
    records = [probe(True, 0.5)] * 19 + [probe(False, None)]
    assert evaluate_window(states, records, clock()) == []  # 0.95 is not < 0.95
    records.append(probe(False, None))
    fired = evaluate_window(states, records, clock())
    assert [(t.rule, t.event) for t in fired] == [("flaky", "fired")]
    assert fired[0].value == 19 / 21 and "FIRED warning flaky on t" in fired[0].message
    assert evaluate_window(states, [probe(True, 0.1)] * 5, clock())[0].event == "resolved"
