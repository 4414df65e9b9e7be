"""The monitor loop against the scripted server with a fake clock, and the CLI under SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from evalharness.alerts import AlertRule
from evalharness.commands.monitor import parse_duration, webhook_sender
from evalharness.endpoints.client import stream_chat
from evalharness.monitor.loop import Monitor, SeriesWriter, Target
from tests.fake_openai import FakeOpenAI, Script
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_loop_fires_resolves_backs_off_and_notifies(tmp_path):
    clock = FakeClock(1000.0)
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        clock.advance(s)

    with FakeOpenAI() as server, FakeOpenAI() as hook_server:
        server.queue.extend([Script(), Script(mode="http500"), Script(mode="garbage"), Script(), Script(), Script()])
        target = Target("srv", server.base_url, "m",
                        call=lambda msgs: stream_chat(server.base_url, "m", msgs))
        rule = AlertRule(name="flaky", metric="success", aggregation="rate", op="<", threshold=0.9,
                         severity="critical")
        writer = SeriesWriter(tmp_path / "series.jsonl")
        hook = webhook_sender(hook_server.base_url + "/hook")
        mon = Monitor([target], [[{"role": "user", "content": "ok?"}]], writer, interval_s=10,
                      window_requests=3, window_s=600, cooldown_s=1000, rules=[rule], duration_s=100,
                      clock=clock, sleep=sleep, on_transition=hook, log=lambda s: None)
        assert mon.run() == len(server.requests) >= 6
        records = read(tmp_path / "series.jsonl")
    probes = [r for r in records if r["kind"] == "probe"]
    assert [p["success"] for p in probes[:6]] == [True, False, False, True, True, True]
    assert probes[1]["error_kind"] == "http_5xx" and probes[2]["error_kind"] == "malformed"
    # backoff: after 1 failure the next probe waits 20 s, after 2 failures 40 s, then back to 10 s
    gaps = [b["ts"] - a["ts"] for a, b in zip(probes, probes[1:])][:5]
    assert [round(g) for g in gaps] == [10, 20, 40, 10, 10]
    alerts = [(r["event"], r["rule"]) for r in records if r["kind"] == "alert"]
    assert alerts == [("fired", "flaky"), ("resolved", "flaky")]
    assert records[0]["kind"] == "start"
    assert records[-1]["kind"] == "stop" and records[-1]["reason"] == "duration reached"
    sent = [r["body"] for r in hook_server.requests]
    assert [b["event"] for b in sent] == ["fired", "resolved"] and sent[0]["target"] == "srv"


def test_parse_duration():
    assert parse_duration("30s") == 30 and parse_duration("2m") == 120 and parse_duration("1.5h") == 5400
    assert parse_duration("45") == 45


def test_monitor_cli_stops_on_sigterm_with_every_probe_written(tmp_path):
    with FakeOpenAI() as server:
        server.default = Script(first_delay_s=0.01)
        suite = tmp_path / "mon.yaml"
        suite.write_text(f"""
name: mon
models:
  - {{source: openai, id: m, name: srv, endpoint: {{base_url: "{server.base_url}"}}}}
cases: [{{id: a, prompt: hi}}]
monitor: {{interval_s: 0.1}}
""")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "evalharness", "monitor", str(suite), "--output-dir",
                                 str(tmp_path / "out")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60

        def written() -> int:  # probes on disk (a request in flight is not written yet)
            files = list((tmp_path / "out" / "monitor").glob("mon-*.jsonl"))
            return sum('"kind":"probe"' in line for line in files[0].read_text().splitlines()) if files else 0

        while time.monotonic() < deadline and written() < 5:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    series = next((tmp_path / "out" / "monitor").glob("mon-*.jsonl"))
    records = read(series)
    probes = [r for r in records if r["kind"] == "probe"]
    assert len(probes) >= 5 and all(p["success"] for p in probes)
    assert records[-1]["kind"] == "stop" and records[-1]["reason"] == "stopped"
    assert records[-1]["probes"] == len(probes)
    assert f"{len(probes)} probes written" in out


def test_prometheus_export_serves_probe_and_alert_metrics():
    import socket

    import httpx

    from evalharness.commands.monitor import PrometheusExport
    from evalharness.monitor.state import Transition
    from evalharness.reports.monitor import ProbeRecord

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prom = PrometheusExport(port)
    try:
        prom.probe("srv", ProbeRecord(ts=0, target="srv", success=True, latency_s=0.75, ttft_s=0.1,
                                      decode_tokens_per_s=20.0),
                   [ProbeRecord(ts=0, target="srv", success=True), ProbeRecord(ts=0, target="srv", success=False)])
        prom.probe("srv", ProbeRecord(ts=0, target="srv", success=False, error_kind="http_5xx"), [])
        for variant in ("q4", "q8"):  # canaries: the matched variant changes; one series per target stays
            prom.probe("srv", ProbeRecord(ts=0, target="srv", success=True, pinned_agreement=0.25,
                                          matched_variant=variant, match_confidence=0.97), [])
        prom.transition(Transition(event="fired", rule="flaky", target="srv", metric="success", value=0.5,
                                   threshold=0.95, severity="critical", ts=1.0, message="FIRED"))
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        prom.server.shutdown()
    assert 'evalharness_probe_latency_seconds{target="srv"} 0.75' in text
    assert 'evalharness_probe_ttft_seconds{target="srv"} 0.1' in text
    assert 'evalharness_probe_decode_tokens_per_second{target="srv"} 20.0' in text
    assert "evalharness_probe_inter_token_latency_seconds" in text  # every Timing figure of metrics.py
    assert 'evalharness_window_success_rate{target="srv"} 0.5' in text
    assert 'evalharness_probes_total{outcome="http_5xx",target="srv"} 1.0' in text
    assert 'evalharness_alert_firing{rule="flaky",severity="critical",target="srv"} 1.0' in text
    assert 'evalharness_canary_pinned_agreement{target="srv"} 0.25' in text
    assert 'evalharness_canary_match_confidence{target="srv",variant="q8"} 0.97' in text
    assert 'variant="q4"' not in text
