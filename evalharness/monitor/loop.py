"""The monitor loop: probe each endpoint on a schedule, window, alert, write, notify, export."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evalharness.alerts import AlertRule, default_rules
from evalharness.canary.watch import CanaryWatch
from evalharness.endpoints.client import EndpointResult
from evalharness.monitor.state import AlertState, RollingWindow, Transition, evaluate_window
from evalharness.reports.monitor import CanaryDesign, MonitorAlert, MonitorStart, MonitorStop, ProbeRecord


@dataclass
class Target:
    name: str
    base_url: str
    model: str
    call: Callable[[list[dict[str, str]]], EndpointResult]
    failures: int = 0
    next_due: float = 0.0
    window: RollingWindow | None = None
    states: list[AlertState] = field(default_factory=list)
    canary: CanaryWatch | None = None  # answers compared with pinned ones (`monitor --pin`)


def probe_record(target: str, r: EndpointResult, at: float) -> ProbeRecord:
    """The probe as the series holds it; a failed probe's timing is null (not an answer's)."""
    return r.as_record(ProbeRecord, timed=r.success, ts=at, target=target, success=r.success,
                       error_kind=r.error_kind, error=r.error, status_code=r.status_code)


def canary_line(r: ProbeRecord) -> str:
    """The canary's part of a probe's log line ('' without pins)."""
    out = ""
    if r.pinned_exact is not None:
        out += f"; {r.case_id}: " + ("as pinned" if r.pinned_exact else
                                      f"differs from word {r.pinned_first_divergence} (agreement "
                                      f"{r.pinned_agreement:.2f})")
    if r.match_confidence is not None:
        out += f"; matches {r.matched_variant or 'no pinned variant'} ({r.match_confidence:.2f})"
    return out


class SeriesWriter:
    """results/monitor/<suite>-<stamp>.jsonl, one record a line, flushed as written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "a", encoding="utf-8")

    def write(self, record: MonitorStart | ProbeRecord | MonitorAlert | MonitorStop) -> None:
        self._fh.write(record.model_dump_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class Monitor:
    def __init__(self, targets: Sequence[Target], prompts: Sequence[list[dict[str, str]]], writer: SeriesWriter,
                 interval_s: float, window_requests: int, window_s: float, cooldown_s: float,
                 rules: Sequence[AlertRule] | None = None, max_backoff: int = 8,
                 duration_s: float | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 on_transition: Callable[[Transition], None] | None = None,
                 on_probe: Callable[[str, ProbeRecord, list[ProbeRecord]], None] | None = None,
                 log: Callable[[str], None] = print, case_ids: Sequence[str] | None = None,
                 canary: CanaryDesign | None = None) -> None:
        self.targets = list(targets)
        ids = case_ids if case_ids is not None else [f"prompt-{i}" for i in range(len(prompts))]
        self.prompts = itertools.cycle(list(zip(ids, prompts)))
        self.canary = canary  # the canaries' design, written in the start record
        self.writer = writer
        self.interval_s = interval_s
        self.max_backoff = max_backoff
        self.duration_s = duration_s
        self.clock, self.sleep = clock, sleep
        self.on_transition, self.on_probe, self.log = on_transition, on_probe, log
        for t in self.targets:
            t.window = RollingWindow(window_requests, window_s, clock)
            t.states = [AlertState(rule, t.name, cooldown_s) for rule in (rules or default_rules())]
        self.probes = 0

    def run(self) -> int:
        start = self.clock()
        self.writer.write(MonitorStart(ts=start, targets=[t.name for t in self.targets],
                                       interval_s=self.interval_s, canary=self.canary))
        reason = "duration reached"
        try:
            while True:
                now = self.clock()
                if self.duration_s is not None and now - start >= self.duration_s:
                    break
                for t in self.targets:
                    if now >= t.next_due:
                        self._probe(t)
                wake = min(t.next_due for t in self.targets)
                if self.duration_s is not None:
                    wake = min(wake, start + self.duration_s)
                self.sleep(max(0.0, wake - self.clock()))
        except KeyboardInterrupt:
            reason = "stopped"
        finally:
            self.writer.write(MonitorStop(ts=self.clock(), reason=reason, probes=self.probes))
            self.writer.close()
        return self.probes

    def _probe(self, t: Target) -> None:
        case_id, messages = next(self.prompts)
        result = t.call(messages)
        at = self.clock()
        record = probe_record(t.name, result, at).model_copy(update={"case_id": case_id})
        canary_alerts = []
        if t.canary is not None and result.success:
            figures = t.canary.observe(case_id, result.text, at)
            record = record.model_copy(update=figures.record_fields())
            canary_alerts = figures.alerts
        self.writer.write(record)
        self.probes += 1
        assert t.window is not None
        t.window.add(record)
        # failures back off exponentially (up to max_backoff x the interval); a success resets
        t.failures = 0 if result.success else t.failures + 1
        factor = min(self.max_backoff, 2 ** t.failures) if t.failures else 1
        t.next_due = at + self.interval_s * factor
        status = "ok" if result.success else f"FAILED {result.error_kind}: {result.error}"
        self.log(f"{t.name}: {status}" + (f" latency {result.latency_s:.3f} s" if result.success else "")
                 + canary_line(record))
        window = t.window.records()
        if self.on_probe is not None:
            self.on_probe(t.name, record, window)
        for tr in [*evaluate_window(t.states, window, at), *canary_alerts]:
            self.writer.write(tr)
            self.log(tr.message)
            if self.on_transition is not None:
                self.on_transition(tr)
