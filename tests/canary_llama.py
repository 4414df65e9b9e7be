"""The canary scenario against llama-cpp-python's server (shared by
tests/integration/test_canary_llama.py and benchmarks/canary_drift.py):

1. two servers, the embedded Q4_K_M GGUF and the same model quantized again by llama.cpp
   (`requantized`), answer the canary cases in one `evalharness run`: the pins of both variants;
2. `evalharness monitor --pin` probes the Q4_K_M server while it is unchanged;
3. that server is stopped and the other build started on the same port: how many probes until
   `variant-changed` names the new build and `answers-drifted` fires."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.llama_server import ALIAS, free_port, llama_cpp_server, requantized

ROOT = Path(__file__).resolve().parents[1]
CANARIES = ("Name the capital of France and one famous building there.", "List three primary colours.",
            "What is 12 times 7? Answer with the number and one sentence.", "Write one sentence about the ocean.",
            "Give one tip for sleeping well.", "Who wrote Romeo and Juliet?", "Describe a cat in five words.",
            "Why is the sky blue? One sentence.")


CANARY_RULES = ("variant-changed", "answers-drifted", "answers-recovered")


def cases_yaml() -> str:
    return "".join(f"  - {{id: c{i}, messages: [{{role: user, content: {json.dumps(p)}}}]}}\n"
                   for i, p in enumerate(CANARIES))


def pin_run(work: Path, urls: dict[str, str], tokens: int) -> Path:
    """`evalharness run` of the canaries against each server (name -> base URL): the pin report."""
    models = "".join(f"  - {{source: openai, id: {ALIAS}, name: {name}, endpoint: {{base_url: \"{url}\"}}}}\n"
                     for name, url in urls.items())
    suite = work / "pins.yaml"
    suite.write_text(f"name: canary-pins\nmodels:\n{models}generation: {{max_new_tokens: {tokens}}}\n"
                     f"warmup: 0\nrepeats: 2\nscorers: []\ndefault_alerts: false\ncases:\n{cases_yaml()}")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from harness_run import run_suite  # `evalharness run` in a fresh process, as a user would

    return run_suite(suite, work / "results")


def series_records(work: Path) -> list[dict]:
    files = list((work / "out" / "monitor").glob("*.jsonl"))
    if not files:
        return []
    return [json.loads(x) for x in files[0].read_text().splitlines() if x.strip().endswith("}")]


def wait_for(work: Path, done: Callable[[list[dict]], bool], timeout_s: float) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records = series_records(work)
        if done(records):
            return records
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout_s:.0f} s; the series has {len(series_records(work))} records")


def probes(records: list[dict]) -> list[dict]:
    return [r for r in records if r["kind"] == "probe"]


def swap_scenario(work: Path, unchanged: int, other: str = "Q8_0", tokens: int = 24, after_limit: int = 80,
                  log: Callable[[str], None] = print) -> dict:
    """The figures of one scenario: pins, `unchanged` probes of the Q4_K_M server, the swap."""
    other_gguf = requantized(other)
    port = free_port()
    names = {"q4_k_m": "served Q4_K_M", other.lower(): f"served {other}"}
    with llama_cpp_server(port=port) as base, llama_cpp_server(model=other_gguf) as other_base:
        report = pin_run(work, {"q4_k_m": base, other.lower(): other_base}, tokens)
        log(f"pins: {report} ({names})")
    suite = work / "monitor.yaml"
    suite.write_text(f"name: canary\nmodels:\n  - {{source: openai, id: {ALIAS}, name: served, endpoint: "
                     f"{{base_url: \"http://127.0.0.1:{port}/v1\"}}}}\ncases:\n{cases_yaml()}"
                     f"monitor: {{interval_s: 0.1, max_backoff: 4, canary: {{match_window: 8}}}}\n")
    log_path = work / "monitor.log"  # a file, not a pipe: a full pipe would stall the monitor
    with llama_cpp_server(port=port), open(log_path, "w") as mon_log:
        mon = subprocess.Popen([sys.executable, "-m", "evalharness", "monitor", str(suite), "--pin", str(report),
                                "--output-dir", str(work / "out")], cwd=ROOT, stdout=mon_log,
                               stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            before = wait_for(work, lambda r: len(probes(r)) >= unchanged, 60 + unchanged * 3)
        except AssertionError:
            mon.kill()
            raise AssertionError(f"monitor: {log_path.read_text()[-3000:]}") from None
        stopped_at = time.time()
    log(f"{len(probes(before))} probes of the unchanged server; swapping to {other}")
    with llama_cpp_server(port=port, model=other_gguf):
        def detected(r: list[dict]) -> bool:
            rules = {a["rule"] for a in r if a["kind"] == "alert"}
            after = [p for p in probes(r) if p["ts"] > stopped_at and p["success"]]
            return {"variant-changed", "answers-drifted"} <= rules or len(after) >= after_limit

        try:
            records = wait_for(work, detected, 60 + after_limit * 3)
        finally:  # the monitor ends before the server it probes
            mon.send_signal(signal.SIGTERM)
            mon.wait(timeout=60)
    return figures(records, stopped_at, log_path.read_text())


def figures(records: list[dict], stopped_at: float, output: str) -> dict:
    unchanged = [p for p in probes(records) if p["ts"] <= stopped_at and p["success"]]
    swapped = [p for p in probes(records) if p["ts"] > stopped_at and p["success"]]
    alerts = [a for a in records if a["kind"] == "alert"]

    def delay(rule: str) -> int | None:
        """Successful probes of the new build up to and including the one that raised `rule`."""
        count = 0
        for r in records:
            if r["kind"] == "probe" and r["success"] and r["ts"] > stopped_at:
                count += 1
            elif r["kind"] == "alert" and r["rule"] == rule and r["ts"] > stopped_at:
                return count
        return None

    changed = next((a for a in alerts if a["rule"] == "variant-changed" and a["ts"] > stopped_at), None)
    return {"start": records[0], "unchanged_probes": len(unchanged),
            "unchanged_exact": sum(bool(p["pinned_exact"]) for p in unchanged),
            # the canaries' alerts only: on a busy machine the latency/throughput rules may fire too
            "unchanged_alerts": [a for a in alerts if a["ts"] <= stopped_at and a["rule"] in CANARY_RULES],
            "unchanged_matched": sorted({p["matched_variant"] for p in unchanged if p["matched_variant"]}),
            "swapped_probes": len(swapped), "swapped_exact": sum(bool(p["pinned_exact"]) for p in swapped),
            "changed_delay": delay("variant-changed"), "drift_delay": delay("answers-drifted"),
            "changed_to": changed["details"]["now"] if changed else None,
            "alerts": [(a["rule"], a["message"]) for a in alerts], "output": output}
