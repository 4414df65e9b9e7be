"""A/A false alarms: the same variant twice, interleaved in one run vs one after the other.

Each trial is one `evalharness run` of a suite whose matrix lists the same variant twice
(`replica: 1` is an identical copy), compared with `evalharness compare REPORT
--baseline-variant A --candidate-variant A/replica=1`'s engine. Every timing verdict that says
"regression" or "improvement" is a false alarm: nothing differs but the moment of measurement.

    --schedule both      interleaved and sequential trials, alternated
    --noise              a noisy neighbour: a process that busies one core 2 s on, 2 s off

Prints per-trial verdicts, then one line per model and schedule:
`aa: MODEL SCHEDULE false alarms F of N timing verdicts (regressions R)`.

    .venv/bin/python benchmarks/aa.py [--models tiny,embedded] [--trials 4] [--noise]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from harness_run import run_suite, timing_suite

from evalharness.compare.engine import compare_within
from evalharness.reports import load_report

MODELS = {"tiny": "{source: tiny-random, id: tiny-random-gemma3}", "embedded": "{source: embedded, id: gemma3-270m}"}
LABELS = {"tiny": "tiny-random-gemma3", "embedded": "gemma3-270m"}


def _busy(stop_at: float) -> None:
    while time.time() < stop_at:
        end = time.time() + 2
        while time.time() < end:
            pass
        time.sleep(2)


@contextlib.contextmanager
def neighbour(on: bool) -> Iterator[None]:
    if not on:
        yield
        return
    proc = multiprocessing.get_context("spawn").Process(target=_busy, args=(time.time() + 7200,), daemon=True)
    proc.start()
    try:
        yield
    finally:
        proc.terminate()
        proc.join()


def trial(model: str, schedule: str, tokens: int, repeats: int, work: Path) -> Counter:
    suite = work / f"{model}.yaml"
    label = LABELS[model]
    suite.write_text(timing_suite(f"aa-{model}", f"matrix:\n  - {{model: {label}, quantization: fp32}}\n"
                                  f"  - {{model: {label}, quantization: fp32, replica: 1}}", tokens, repeats,
                                  model=MODELS[model]))
    report = load_report(run_suite(suite, work / "results", "--schedule", schedule))
    a, b = (v.id for v in report.variants)
    cmp = compare_within(report, [(a, b)])
    if cmp.problems:
        raise SystemExit(f"{model} {schedule}: {cmp.problems}")
    rows = [r for r in cmp.rows if r.kind == "timing"]
    verdicts = Counter(r.verdict for r in rows)
    alarms = [f"{r.metric} {r.change:+.1%}" for r in rows if r.verdict in ("regression", "improvement")]
    print(f"  {model:8} {schedule:11} {dict(verdicts)} {'; '.join(alarms)}", flush=True)
    return verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="tiny,embedded")
    ap.add_argument("--schedule", choices=["interleaved", "sequential", "both"], default="both")
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--noise", action="store_true")
    args = ap.parse_args()
    schedules = ["interleaved", "sequential"] if args.schedule == "both" else [args.schedule]
    totals: dict[tuple[str, str], Counter] = {}
    with tempfile.TemporaryDirectory(prefix="evalharness-aa-") as tmp, neighbour(args.noise):
        for model in args.models.split(","):
            for t in range(args.trials):
                order = schedules if t % 2 == 0 else list(reversed(schedules))
                for schedule in order:
                    totals.setdefault((model, schedule), Counter()).update(
                        trial(model, schedule, args.tokens, args.repeats, Path(tmp)))
    summary = {}
    for (model, schedule), c in totals.items():
        n = sum(c.values())
        alarms = c["regression"] + c["improvement"]
        summary[f"{model}/{schedule}"] = {"false_alarms": alarms, "verdicts": n, "regressions": c["regression"]}
        print(f"aa: {model} {schedule} false alarms {alarms} of {n} timing verdicts "
              f"(regressions {c['regression']}){' with a noisy neighbour' if args.noise else ''}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
