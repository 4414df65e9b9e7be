"""`evalharness monitor SUITE`: wiring of the loop to a suite, webhook and Prometheus."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timezone
from typing import Any

from evalharness.endpoints.client import stream_chat
from evalharness.endpoints.messages import case_messages, client_settings
from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_OK, sigterm_as_interrupt
from evalharness.metrics import label_of, prometheus_name, sample_fields
from evalharness.monitor.canaries import attach_canaries, canary_pins, describe_canaries
from evalharness.monitor.loop import Monitor, SeriesWriter, Target
from evalharness.monitor.state import Transition
from evalharness.reports.monitor import ProbeRecord
from evalharness.reports.schema import Timing

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """'30s', '2m', '1h', '1.5h' or plain seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise ValueError(f"{text!r} is not a duration: use e.g. 30s, 2m, 1h")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def webhook_sender(url: str):
    import httpx

    from evalharness.endpoints.bounded import bounded_client, deadline

    def send(tr: Transition) -> None:
        # the answer is never read: a hostile notifier can neither hold the monitor (5 s in all)
        # nor flood it
        try:
            with bounded_client(max_connections=1) as http, deadline(5.0), http.stream(
                    "POST", url, json={"source": "evalharness", **tr.model_dump(exclude={"kind"})}, timeout=5):
                pass
        except (httpx.HTTPError, OSError) as exc:  # a notifier outage must not stop the monitor
            print(f"webhook {url} failed: {exc}", file=sys.stderr)

    return send


class PrometheusExport:
    def __init__(self, port: int) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

        reg = self.registry = CollectorRegistry()
        labels = ["target"]
        # one gauge per per-sample figure a probe measures (metrics.py's fields that Timing holds)
        self.figures = {f: Gauge(prometheus_name(f), f"last probe: {label_of(f)}", labels, registry=reg)
                        for f in sample_fields() if f in Timing.model_fields}
        self.rate = Gauge("evalharness_window_success_rate", "success rate over the rolling window", labels,
                          registry=reg)
        self.probes = Counter("evalharness_probes", "probes sent", ["target", "outcome"], registry=reg)
        self.agreement = Gauge("evalharness_canary_pinned_agreement", "last canary's word agreement with its pin",
                               labels, registry=reg)
        self.matched = Gauge("evalharness_canary_match_confidence", "posterior of the serving variant",
                             ["target", "variant"], registry=reg)
        self.firing = Gauge("evalharness_alert_firing", "1 while an alert fires", ["target", "rule", "severity"],
                            registry=reg)
        self.shown_variant: dict[str, str] = {}
        self.server, self.thread = start_http_server(port, addr="127.0.0.1", registry=reg)

    def probe(self, target: str, record: ProbeRecord, window: list[ProbeRecord]) -> None:
        self.probes.labels(target, "success" if record.success else record.error_kind or "failure").inc()
        for field, gauge in self.figures.items():
            value = getattr(record, field)
            if value is not None:
                gauge.labels(target).set(value)
        if window:
            self.rate.labels(target).set(sum(1 for r in window if r.success) / len(window))
        if record.pinned_agreement is not None:
            self.agreement.labels(target).set(record.pinned_agreement)
        if record.match_confidence is not None:
            variant = record.matched_variant or "none"
            was = self.shown_variant.get(target)
            if was is not None and was != variant:  # one series per target: the variant matched now
                self.matched.remove(target, was)
            self.shown_variant[target] = variant
            self.matched.labels(target, variant).set(record.match_confidence)

    def transition(self, tr: Transition) -> None:
        self.firing.labels(tr.target, tr.rule, tr.severity).set(0 if tr.event == "resolved" else 1)


def endpoint_targets(suite: Any, max_tokens: int) -> list[Target]:
    """A probe target per endpoint model of the suite. Raises ValueError when a key is missing."""
    targets = []
    for m in suite.models:
        if m.endpoint is None:
            continue
        ep = m.endpoint
        settings = client_settings(ep)

        def call(messages, ep=ep, model=m.id, settings=settings):
            return stream_chat(ep.base_url, model, messages, max_tokens=max_tokens, api_key=settings.api_key,
                               timeouts=settings.timeouts, count_tokens=settings.count_tokens)

        targets.append(Target(name=m.label, base_url=ep.base_url, model=m.id, call=call))
    return targets


def cmd_monitor(args: argparse.Namespace) -> int:
    from evalharness.commands.common import suite_or_none

    loaded = suite_or_none(args.suite)
    if loaded is None:
        return EXIT_BAD_INPUT
    suite, cfg = loaded.suite, loaded.suite.monitor
    try:
        interval = parse_duration(args.interval) if args.interval else cfg.interval_s
        duration = parse_duration(args.duration) if args.duration else None
        use_cases = cfg.use_cases or args.pin is not None or args.pin_first  # canaries are the cases
        case_ids = [c.id for c in loaded.cases] if use_cases else ["health"]
        pins = canary_pins(args, case_ids)
        max_tokens = pins.max_tokens if pins is not None and pins.max_tokens else cfg.max_new_tokens
        targets = endpoint_targets(suite, max_tokens)
        canary = attach_canaries(args, cfg.canary, pins, targets, interval) if pins is not None else None
    except ValueError as exc:
        print(f"evalharness: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not targets:
        print(f"evalharness: {args.suite} has no endpoint models (models with source: openai and an endpoint)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    prompts = ([case_messages(c) for c in loaded.cases] if use_cases
               else [[{"role": "user", "content": cfg.health_prompt}]])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    writer = SeriesWriter(args.output_dir / "monitor" / f"{suite.name}-{stamp}.jsonl")
    prom = PrometheusExport(args.prometheus_port) if args.prometheus_port else None
    hook = webhook_sender(cfg.webhook_url) if cfg.webhook_url else None

    def on_transition(tr: Transition) -> None:
        if hook:
            hook(tr)
        if prom:
            prom.transition(tr)

    monitor = Monitor(targets, prompts, writer, interval, cfg.window_requests, cfg.window_s, cfg.cooldown_s,
                      rules=cfg.rules, max_backoff=cfg.max_backoff, duration_s=duration,
                      on_transition=on_transition, on_probe=prom.probe if prom else None,
                      log=lambda line: print(line, flush=True), case_ids=case_ids, canary=canary)
    if canary:
        print(describe_canaries(canary, max_tokens), flush=True)
    print(f"monitoring {', '.join(t.name for t in targets)} every {interval:g} s; series: {writer.path}",
          flush=True)
    with sigterm_as_interrupt():
        probes = monitor.run()
    print(f"{probes} probes written to {writer.path}")
    return EXIT_OK
