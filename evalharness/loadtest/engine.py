"""One load stage: requests sent to a server closed-loop (synchronous, concurrent, throughput) or
open-loop (constant, poisson), each timed on one clock, then summarised: percentiles, achieved
rate, goodput under SLOs, saturation.

Closed loop: N workers each send their next request as soon as the previous one ends
(synchronous is N = 1). Open loop: a dispatcher sends each request at its scheduled time,
whatever is still in flight, so a server that cannot keep up builds a backlog; the stage is
saturated when it completes requests clearly slower than they were offered, or when the backlog
grows through the stage.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from evalharness.endpoints.client import EndpointResult
from evalharness.endpoints.probe import failure_kinds
from evalharness.loadtest.arrivals import constant_offsets, gamma_offsets
from evalharness.measure.stats import summarize
from evalharness.reports.loadtest import SUMMARY_FIELDS, LoadRequestRecord, Percentiles, StageRecord

Profile = Literal["synchronous", "concurrent", "throughput", "constant", "poisson"]
OPEN_LOOP = ("constant", "poisson")
SATURATION_SHARE = 0.9  # achieved below this share of the offered rate: saturated
Send = Callable[[int], EndpointResult]  # request number -> the timed answer


@dataclass(frozen=True)
class StageSpec:
    profile: Profile
    concurrency: int = 1  # closed loop: workers; open loop: unused
    rate: float | None = None  # open loop: requests/s offered
    burstiness: float = 1.0  # poisson: gamma shape (1 = Poisson)
    requests: int | None = None  # measured requests (after the warm-up)
    duration_s: float | None = None  # stop sending after this long (measured part)
    warmup: int = 0  # requests sent first and left out of every figure
    seed: int = 0


@dataclass
class LoadRequest:
    index: int
    start_s: float  # when it was sent, on the run's one clock (seconds since the run began)
    scheduled_s: float | None  # open loop: when it was due
    result: EndpointResult
    warmup: bool = False

    def record(self) -> LoadRequestRecord:
        r = self.result
        return r.as_record(LoadRequestRecord, index=self.index, start_s=self.start_s, scheduled_s=self.scheduled_s,
                           success=r.success, error=r.error, error_kind=r.error_kind, output=r.text)


@dataclass
class StageResult:
    spec: StageSpec
    requests: list[LoadRequest] = field(default_factory=list)
    backlog: list[int] = field(default_factory=list)  # open loop: requests in flight at each send

    @property
    def measured(self) -> list[LoadRequest]:
        return [r for r in self.requests if not r.warmup]

    @property
    def window_s(self) -> float | None:
        """From the first measured send to the last measured answer."""
        m = self.measured
        if not m:
            return None
        start = min(r.start_s for r in m)
        end = max(r.start_s + r.result.latency_s for r in m)
        return end - start if end > start else None

    @property
    def achieved_rate(self) -> float | None:
        """Successful answers per second over the window."""
        w = self.window_s
        return sum(1 for r in self.measured if r.result.success) / w if w else None

    @property
    def offered_rate(self) -> float | None:
        return self.spec.rate if self.spec.profile in OPEN_LOOP else None

    def summary(self) -> dict[str, Percentiles]:
        ok = [r.result.timing for r in self.measured if r.result.success]
        out = {}
        for name in SUMMARY_FIELDS:
            s = summarize(getattr(t, name) for t in ok)
            out[name] = Percentiles(p50=s.p50, p90=s.p90, p95=s.p95, p99=s.p99, mean=s.mean)
        return out

    def goodput(self, slos: dict[str, float]) -> float | None:
        """Requests per second that succeeded and met every SLO, each SLO applied to the request
        itself (a request whose TTFT is above the TTFT target does not count)."""
        w = self.window_s
        if not w:
            return None
        return sum(1 for r in self.measured if meets(r.result, slos)) / w

    def saturated(self) -> tuple[bool, str | None]:
        """Whether the server could not keep up with the offered load, and how that showed."""
        offered, achieved = self.offered_rate, self.achieved_rate
        if offered is None or achieved is None:
            return False, None
        if achieved < SATURATION_SHARE * offered:
            return True, f"achieved {achieved:.3g} req/s of {offered:.3g} offered"
        third = len(self.backlog) // 3
        if third >= 2:
            first, last = self.backlog[:third], self.backlog[-third:]
            if sum(last) / third > 2 * max(sum(first) / third, 1.0):
                return True, f"the backlog grew from {sum(first) / third:.1f} to {sum(last) / third:.1f} in flight"
        return False, None


def meets(r: EndpointResult, slos: dict[str, float]) -> bool:
    if not r.success:
        return False
    for name, limit in slos.items():  # keyed by the request field they bound (reports.loadtest.slo_limits)
        value = getattr(r.timing, name)
        if value is None or value > limit:
            return False
    return True


def run_stage(spec: StageSpec, send: Send, clock: Callable[[], float] = time.perf_counter,
              origin: float | None = None) -> StageResult:
    """Run one stage; `origin` is the run's clock zero (every start_s is relative to it). The
    warm-up requests are sent one after another and answered before the measured window opens:
    they never take a slot or a place in the schedule of a measured request."""
    origin = clock() if origin is None else origin
    stage = StageResult(spec)
    for index in range(spec.warmup):
        result = send(index)
        stage.requests.append(LoadRequest(index, result.start_s - origin, None, result, True))
    if spec.profile in OPEN_LOOP:
        _open_loop(spec, send, clock, origin, stage)
    else:
        _closed_loop(spec, send, clock, origin, stage)
    stage.requests.sort(key=lambda r: r.index)
    return stage


def _closed_loop(spec: StageSpec, send: Send, clock: Callable[[], float], origin: float,
                 stage: StageResult) -> None:
    workers = 1 if spec.profile == "synchronous" else spec.concurrency
    lock = threading.Lock()
    counter = iter(range(spec.warmup, 10**9))
    first_measured: list[float] = []  # when the first measured request went

    def worker() -> None:
        while True:
            with lock:
                index = next(counter)
                if spec.requests is not None and index - spec.warmup >= spec.requests:
                    return
                now = clock()
                if not first_measured:
                    first_measured.append(now)
                elif spec.duration_s is not None and now - first_measured[0] >= spec.duration_s:
                    return
            result = send(index)
            with lock:
                stage.requests.append(LoadRequest(index, result.start_s - origin, None, result))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _open_loop(spec: StageSpec, send: Send, clock: Callable[[], float], origin: float,
               stage: StageResult) -> None:
    if spec.rate is None:
        raise ValueError(f"profile {spec.profile} needs a rate (requests/s)")
    n = spec.requests if spec.requests is not None else _count_for(spec)
    offsets = (constant_offsets(spec.rate, n) if spec.profile == "constant"
               else gamma_offsets(spec.rate, n, spec.burstiness, spec.seed))
    lock = threading.Lock()
    in_flight = [0]

    def one(index: int, due: float) -> None:
        result = send(index)
        with lock:
            in_flight[0] -= 1
            stage.requests.append(LoadRequest(index, result.start_s - origin, due, result))

    start = clock()
    with ThreadPoolExecutor(max_workers=min(n, 512) or 1) as pool:
        for i, offset in enumerate(offsets):
            if spec.duration_s is not None and offset - offsets[0] > spec.duration_s:
                break
            delay = start + offset - clock()
            if delay > 0:
                time.sleep(delay)
            with lock:
                stage.backlog.append(in_flight[0])
                in_flight[0] += 1
            pool.submit(one, spec.warmup + i, start + offset - origin)


def _count_for(spec: StageSpec) -> int:
    if spec.duration_s is None:
        raise ValueError("give --requests or --duration for each stage")
    assert spec.rate is not None
    return max(1, int(spec.rate * spec.duration_s * 2) + 1)  # enough to fill the duration


def stage_record(stage: StageResult, slos: dict[str, float]) -> StageRecord:
    """The stage as the load report holds it."""
    saturated, why = stage.saturated()
    measured = stage.measured
    errors = failure_kinds(r.result for r in measured)
    share = (lambda kind: errors.get(kind, 0) / len(measured)) if measured else (lambda kind: None)
    return StageRecord(
        profile=stage.spec.profile, concurrency=stage.spec.concurrency if stage.spec.profile not in OPEN_LOOP else None,
        offered_rate=stage.offered_rate, achieved_rate=stage.achieved_rate, goodput=stage.goodput(slos),
        saturated=saturated, saturation=why, warmup_requests=sum(1 for r in stage.requests if r.warmup),
        success_rate=(sum(1 for r in measured if r.result.success) / len(measured)) if measured else None,
        empty_rate=share("empty"), truncated_rate=share("truncated"), errors=errors,
        requests=[r.record() for r in stage.measured], summary=stage.summary())

