"""Calibrate the CI gate: false alarms between identical runs, and slowdowns detected.

Everything goes through the real CLI, as a pipeline would: `evalharness run` in a fresh process,
`evalharness baseline set`, `evalharness compare` (exit 1 = the gate fails; default policy:
every compared metric gates at `critical`). On the embedded Gemma 3 270M, fp32, CPU:

1. **sequential**: K identical runs one after another; from run B+1 on, each run is gated against
   a baseline set of the B runs just before it (a baseline refreshed on the same runner).
2. **interleaved**: I runs that hold the variant twice (`replica: 1`), interleaved in one job;
   the replica is gated against the original (`compare REPORT --baseline-variant --candidate-variant`).
   A failed gate in 1 or 2 is a false alarm: nothing changed.
3. **real slowdowns**: one more run with `--threads 1`, gated against the last baseline set;
   one interleaved run of fp32 against a scheme that is slower here (`--slower-scheme`), gated
   within the run.
4. **synthetic slowdowns**: every A/A candidate of 1 and 2 again, with its timings x F
   (latency, TTFT, inter-token latency, load time x F; tokens/s / F), F in --factors.
   Slowdowns of 30% or more count in M (synthetic ones, and real ones whose latency p50 moved by
   30% or more; smaller real ones are printed, not counted); the smallest F detected in every
   comparison is reported.

The last line: `gate: false alarms X of N comparisons; detected Y of M slowdowns`.

    .venv/bin/python benchmarks/gate_aa.py [--sequential 13] [--window 3] [--interleaved 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness_run import run_suite, timing_suite

from evalharness.commands.main import main as cli
from evalharness.reports import load_report
from evalharness.reports.schema import Report
from evalharness.reports.writer import atomic_write_json

SHOWN = ("latency_s.p50", "decode_tokens_per_s")  # always printed, moved or not
SLOWER = (("latency_s", "ttft_s", "inter_token_latency_s"), ("decode_tokens_per_s", "prefill_tokens_per_s"))


def gate(*argv: str | Path) -> tuple[bool, bool, str]:
    """`evalharness compare ARGV...` in this process: whether the gate failed, whether a timing
    regression was among the reasons, and the rows that moved ("metric +x% [low, high]: verdict")."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cmp.json"
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli(["compare", *map(str, argv), "--json", str(out)])
        if code not in (0, 1):
            raise SystemExit(f"evalharness compare {' '.join(map(str, argv))} exited {code}")
        cmp = json.loads(out.read_text())
    moved = [r for r in cmp["rows"] if r["verdict"] in ("regression", "improvement") or r["metric"] in SHOWN]
    timing = any(r["kind"] == "timing" and r["verdict"] == "regression" and r["severity"] == "critical"
                 for r in moved)
    text = "; ".join([f"{r['metric']} {r['change']:+.1%}"
                      + ("" if r["ci_low"] is None else f" [{r['ci_low']:+.1%}, {r['ci_high']:+.1%}]")
                      + f": {r['verdict']}" for r in moved if r["change"] is not None]
                     + [f"problem: {p}" for p in cmp["problems"]])
    return code == 1, timing, text


def size(text: str) -> float:
    """The latency p50 change a gate text reports (the size of a real slowdown)."""
    part = next(p for p in text.split("; ") if p.startswith("latency_s.p50 "))
    return float(part.split()[1].rstrip("%")) / 100


def slowed(report: Report, factor: float, variant_id: str | None, work: Path) -> Path:
    """A copy of `report` with the timings of one variant (all when None) made `factor` x slower."""
    def slow_sample(s):
        if variant_id is not None and s.variant_id != variant_id:
            return s
        update = {f: getattr(s, f) * factor for f in SLOWER[0] if getattr(s, f) is not None}
        update |= {f: getattr(s, f) / factor for f in SLOWER[1] if getattr(s, f) is not None}
        return s.model_copy(update=update)

    def slow_variant(v):
        if (variant_id is not None and v.id != variant_id) or v.load.seconds is None:
            return v
        return v.model_copy(update={"load": v.load.model_copy(update={"seconds": v.load.seconds * factor})})

    copy = report.model_copy(update={"samples": [slow_sample(s) for s in report.samples],
                                     "variants": [slow_variant(v) for v in report.variants]})
    path = work / f"{report.run_id}-x{factor:g}.json"
    atomic_write_json(path, copy)
    return path


def pin(runs: Sequence[Path], results: Path) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli(["baseline", "set", *map(str, runs), "--results-dir", str(results)])
    if code != 0:
        raise SystemExit(f"evalharness baseline set failed ({code})")
    return results / "baselines" / "gate-aa.json"


def say(line: str) -> None:
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequential", type=int, default=13, help="identical sequential runs (K)")
    ap.add_argument("--window", type=int, default=3, help="baseline runs before each candidate (B)")
    ap.add_argument("--interleaved", type=int, default=5, help="interleaved A/A runs (I)")
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--slower-scheme", default="quanto-int8",
                    help="a scheme slower than fp32 on this machine (agreement.py measures them)")
    ap.add_argument("--factors", default="1.05,1.1,1.15,1.2,1.3,1.5")
    ap.add_argument("--keep", type=Path, help="keep the runs and comparisons in this folder")
    args = ap.parse_args()
    if args.sequential <= args.window:
        raise SystemExit("--sequential must exceed --window")
    factors = [float(f) for f in args.factors.split(",")]
    with tempfile.TemporaryDirectory(prefix="evalharness-gate-aa-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = work / "results"
        one = work / "one.yaml"
        one.write_text(timing_suite("gate-aa", "quantizations: [fp32]", args.tokens, args.repeats))
        pair = work / "pair.yaml"
        pair.write_text(timing_suite("gate-aa", "matrix:\n  - {model: gemma3-270m, quantization: fp32}\n"
                                     "  - {model: gemma3-270m, quantization: fp32, replica: 1}",
                                     args.tokens, args.repeats))
        scheme = work / "scheme.yaml"
        scheme.write_text(timing_suite("gate-aa", f"quantizations: [fp32, {args.slower_scheme}]", args.tokens,
                                       args.repeats))

        alarms: list[str] = []
        aa: list[tuple[str, list[str]]] = []  # (label, compare arguments) of every A/A comparison
        detections: list[tuple[str, float, bool]] = []  # real slowdowns: (label, latency p50 change, detected)
        synthetic: list[tuple[str, float, bool]] = []  # (A/A comparison, factor, detected)

        say(f"sequential: {args.sequential} runs, each from run {args.window + 1} gated against "
            f"the {args.window} before it")
        runs: list[Path] = []
        for k in range(args.sequential):
            runs.append(run_suite(one, results))
            if k < args.window:
                say(f"  run {k + 1}: {runs[-1].stem} (baseline only)")
                continue
            base = pin(runs[k - args.window:k], results)
            window = work / f"window-{k}.json"
            window.write_bytes(base.read_bytes())
            failed, _, moved = gate(window, runs[-1])
            say(f"  run {k + 1}: {runs[-1].stem} gate {'FAILS' if failed else 'passes'} {moved}")
            alarms += [f"sequential run {k + 1}"] if failed else []
            aa.append((f"sequential run {k + 1}", [str(window), str(runs[-1])]))

        say(f"interleaved: {args.interleaved} runs of fp32 and its replica, the replica gated against fp32")
        for i in range(args.interleaved):
            path = run_suite(pair, results, "--schedule", "interleaved")
            a, b = (v.id for v in load_report(path).variants)
            failed, _, moved = gate(path, "--baseline-variant", a, "--candidate-variant", b)
            say(f"  run {i + 1}: {path.stem} gate {'FAILS' if failed else 'passes'} {moved}")
            alarms += [f"interleaved run {i + 1}"] if failed else []
            aa.append((f"interleaved run {i + 1}", [str(path), "--baseline-variant", a, "--candidate-variant", b]))

        say("real slowdowns")
        threads1 = run_suite(one, results, "--threads", "1")
        _, timing, moved = gate(work / f"window-{args.sequential - 1}.json", threads1)
        say(f"  --threads 1 against the last baseline set: {'detected' if timing else 'MISSED'} {moved}")
        detections.append(("--threads 1", size(moved), timing))
        mixed = run_suite(scheme, results, "--schedule", "interleaved")
        fp32, slower = (v.id for v in load_report(mixed).variants)
        _, timing, moved = gate(mixed, "--baseline-variant", fp32, "--candidate-variant", slower)
        say(f"  {args.slower_scheme} against fp32 in one interleaved run: {'detected' if timing else 'MISSED'} {moved}")
        detections.append((args.slower_scheme, size(moved), timing))

        say("synthetic slowdowns: each A/A candidate with its timings x F")
        for label, argv in aa:
            candidate_variant = argv[-1] if "--candidate-variant" in argv else None
            report_arg = 0 if candidate_variant else 1
            report = load_report(argv[report_arg])
            for factor in factors:
                copy = slowed(report, factor, candidate_variant, work)
                new_argv = [*argv]
                new_argv[report_arg] = str(copy)
                _, timing, _ = gate(*new_argv)
                synthetic.append((label, factor, timing))
        for factor in factors:
            hits = [d for d in synthetic if d[1] == factor]
            say(f"  x{factor:g}: detected {sum(d[2] for d in hits)} of {len(hits)}"
                + "".join(f"; missed {d[0]}" for d in hits if not d[2]))

    reliable = [f for f in factors if all(d[2] for d in synthetic if d[1] == f)]
    smallest = min((f for f in reliable if all(g in reliable for g in factors if g > f)), default=None)
    # M: the synthetic slowdowns of 30% or more, and the real ones that measured 30% or more
    counted = [d for d in synthetic if d[1] >= 1.3] + [d for d in detections if d[1] >= 0.3]
    for label, change, detected in detections:
        if change < 0.3:
            say(f"not counted in M (under 30%): {label}, latency p50 {change:+.1%}, "
                f"{'detected' if detected else 'not detected'}")
    say(f"smallest slowdown detected in every comparison: "
        f"{'none of ' + args.factors if smallest is None else f'x{smallest:g} (+{smallest - 1:.0%})'}")
    say(json.dumps({"false_alarms": alarms, "comparisons": len(aa),
                    "detected": sum(d[2] for d in counted), "slowdowns": len(counted),
                    "smallest_reliable_factor": smallest}))
    say(f"gate: false alarms {len(alarms)} of {len(aa)} comparisons; "
        f"detected {sum(d[2] for d in counted)} of {len(counted)} slowdowns")


if __name__ == "__main__":
    main()
