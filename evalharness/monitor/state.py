"""Rolling windows of probe records and alert state that fires once, repeats after a cooldown,
and resolves when the condition clears. Pure, with an injectable clock."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from evalharness.alerts import OPS, AlertRule, rule_value
from evalharness.reports.monitor import MonitorAlert

Clock = Callable[[], float]


class RollingWindow:
    """The last `max_requests` probe records that are at most `max_age_s` old."""

    def __init__(self, max_requests: int, max_age_s: float, clock: Clock) -> None:
        self.max_age_s = max_age_s
        self.clock = clock
        self._items: deque[tuple[float, Any]] = deque(maxlen=max_requests)

    def add(self, record: Any) -> None:
        self._items.append((self.clock(), record))

    def records(self) -> list[Any]:
        cutoff = self.clock() - self.max_age_s
        return [r for t, r in self._items if t >= cutoff]


# A fired / repeated / resolved alert is the series' own alert record: written, sent to the
# webhook and exported as it is.
Transition = MonitorAlert


def transition(event: str, rule: AlertRule, target: str, value: float | None, now: float) -> MonitorAlert:
    shown = "—" if value is None else f"{value:.4g}"
    message = (f"{event.upper()} {rule.severity} {rule.name} on {target}: {rule.metric} = {shown} "
               f"(threshold {rule.threshold:g})")
    return MonitorAlert(ts=now, event=event, rule=rule.name, target=target, metric=rule.metric, value=value,
                        threshold=rule.threshold, severity=rule.severity, message=message)


class AlertState:
    """One rule on one target."""

    def __init__(self, rule: AlertRule, target: str, cooldown_s: float) -> None:
        self.rule = rule
        self.target = target
        self.cooldown_s = cooldown_s
        self.firing = False
        self.last_sent: float | None = None

    def update(self, value: float | None, now: float) -> Transition | None:
        """Feed the window's current value; None (not measurable yet) changes nothing."""
        if value is None:
            return None
        active = OPS[self.rule.op](value, self.rule.threshold)
        event = None
        if active and not self.firing:
            event, self.firing = "fired", True
        elif active and self.last_sent is not None and now - self.last_sent >= self.cooldown_s:
            event = "repeated"
        elif not active and self.firing:
            event, self.firing = "resolved", False
        if event is None:
            return None
        self.last_sent = now
        return transition(event, self.rule, self.target, value, now)


def evaluate_window(states: Sequence[AlertState], records: Sequence[Any], now: float) -> list[Transition]:
    out = []
    for state in states:
        value = rule_value(state.rule, None, records) if records else None
        t = state.update(value, now)
        if t is not None:
            out.append(t)
    return out
