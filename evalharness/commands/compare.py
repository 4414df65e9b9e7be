"""CLI commands around comparisons: compare, baseline set/show, select, and the run gate."""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape

from evalharness.commands.common import baseline_or_none, report_or_none, suite_or_none
from evalharness.compare.engine import SINGLE_RUN_NOTE, compare_reports, compare_within
from evalharness.compare.output import notes, terminal_table, write_outputs
from evalharness.console import console
from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_GATE, EXIT_OK, SAFE_NAME, finite
from evalharness.reports import ReportError, load_report
from evalharness.reports.reader import baseline_set_json, find_run_file
from evalharness.reports.schema import Report
from evalharness.reports.writer import atomic_write_text
from evalharness.suite.gate import GatePolicy


def suffixed(path: Path | None, suffix: str) -> Path | None:
    """`gate.json` -> `gate.<suffix>.json` (no suffix: the path as it is): a second comparison of
    one command keeps its own files."""
    return path if path is None or not suffix else path.with_name(f"{path.stem}.{suffix}{path.suffix}")


def gate(baseline: Report | Sequence[Report], candidate: Report, policy: GatePolicy, args: argparse.Namespace,
         variants: Sequence[tuple[str, str]] = (), suffix: str = "") -> bool:
    """Print and write the comparison; True when a gating regression was found. `baseline` may be
    several runs. With `variants`, pairs of variants (baseline id, candidate id) of the one report
    `candidate` are compared. With `suffix`, the output files get it before their extension."""
    cmp = compare_within(candidate, variants, policy) if variants else compare_reports(baseline, candidate, policy)
    console.print(terminal_table(cmp))
    for line in notes(cmp):
        console.print(f"[yellow]note[/yellow] {line}")
    capped = [r for r in cmp.rows if r.verdict == "regression" and SINGLE_RUN_NOTE in r.notes]
    if capped:
        console.print(f"[yellow]note[/yellow] {len(capped)} timing regression(s) only warn: "
                      + escape(SINGLE_RUN_NOTE))
    outputs = [suffixed(p, suffix) for p in (args.markdown, args.junit, args.json)]
    write_outputs(cmp, *outputs)
    if suffix and any(outputs):
        console.print(f"{suffix} comparison written to " + ", ".join(str(p) for p in outputs if p))
    failures = cmp.gating_failures(args.gate_on)
    for problem in cmp.problems:
        console.print(f"[red]gate: cannot pass:[/red] {escape(problem)}")
    if failures:
        console.print(f"[red]gate: {len(failures)} regression(s) at or above {args.gate_on}:[/red] "
                      + escape(", ".join(f"{r.variant_id} {r.metric}" for r in failures)))
    elif not cmp.problems:
        console.print("gate: no regression at or above " + args.gate_on)
    return bool(failures or cmp.problems)


def _compare_inputs(args: argparse.Namespace) -> tuple[list[Report], Report, list[tuple[str, str]]] | None:
    within = (args.baseline_variant, args.candidate_variant)
    if any(within) and not all(within):
        print("evalharness: give both --baseline-variant and --candidate-variant", file=sys.stderr)
        return None
    if all(within) == (args.candidate is not None):
        print("evalharness: compare two reports (BASELINE CANDIDATE), or two variants of one report "
              "(REPORT --baseline-variant ID --candidate-variant ID)", file=sys.stderr)
        return None
    if args.candidate is None:
        report = report_or_none(args.baseline)
        return None if report is None else ([report], report, [within])  # type: ignore[list-item]
    baseline, candidate = baseline_or_none(args.baseline), report_or_none(args.candidate)
    if baseline is None or candidate is None:
        return None
    return baseline, candidate, []


def cmd_compare(args: argparse.Namespace) -> int:
    inputs = _compare_inputs(args)
    if inputs is None:
        return EXIT_BAD_INPUT
    baseline, candidate, variants = inputs
    policy = GatePolicy()
    if args.suite is not None:
        loaded = suite_or_none(args.suite)
        if loaded is None:
            return EXIT_BAD_INPUT
        policy = loaded.suite.gate
    if args.tolerance is not None:
        if not math.isfinite(args.tolerance) or args.tolerance < 0:
            print("evalharness: --tolerance must be a finite number >= 0", file=sys.stderr)
            return EXIT_BAD_INPUT
        policy = policy.model_copy(update={"timing_tolerance": args.tolerance})
    return EXIT_GATE if gate(baseline, candidate, policy, args, variants) else EXIT_OK


def baseline_path(results_dir: Path, suite_name: str) -> Path:
    return results_dir / "baselines" / f"{suite_name}.json"


def _fail(message: str) -> int:
    print(f"evalharness: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _show_baseline(args: argparse.Namespace) -> int:
    if not SAFE_NAME.fullmatch(args.suite_name):
        return _fail(f"{args.suite_name!r} is not a suite name")
    path = baseline_path(args.results_dir, args.suite_name)
    if not path.is_file():
        return _fail(f"no baseline pinned for {args.suite_name!r} ({path})")
    runs = baseline_or_none(path)
    if runs is None:
        return EXIT_BAD_INPUT
    console.print(f"{path}: {len(runs)} run(s)")
    for r in runs:
        console.print(f"  run {r.run_id} of {r.started_at}, status {r.status}, "
                      f"{len(r.variants)} variants, {len(r.samples)} samples")
    return EXIT_OK


def _pinnable(results_dir: Path, run: str) -> tuple[Path, Report] | str:
    source = find_run_file(results_dir, run)
    if source is None:
        return f"no report {run!r} (a path, or a run id under {results_dir})"
    try:
        report = load_report(source)
    except ReportError as exc:
        return str(exc)
    if report.status != "complete":
        return f"run {report.run_id} is {report.status}; pin a complete run"
    if not SAFE_NAME.fullmatch(report.suite.name):
        return (f"{source}: suite name {report.suite.name!r} cannot name a baseline file "
                "(letters, digits, '.', '_' and '-' only)")
    return source, report


def cmd_baseline(args: argparse.Namespace) -> int:
    """`baseline set RUN [RUN ...]`: one run is copied; several, of one suite, are pinned as a set
    (timing verdicts against it include the noise between runs)."""
    if args.baseline_command == "show":
        return _show_baseline(args)
    found = [_pinnable(args.results_dir, run) for run in args.run]
    for item in found:
        if isinstance(item, str):
            return _fail(item)
    pinned = [item for item in found if not isinstance(item, str)]
    suites = sorted({r.suite.name for _, r in pinned})
    if len(suites) > 1:
        return _fail(f"a baseline set holds runs of one suite, not of {', '.join(suites)}")
    if len({r.run_id for _, r in pinned}) < len(pinned):
        return _fail("a run is listed twice")
    target = baseline_path(args.results_dir, suites[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    if len(pinned) == 1:
        shutil.copyfile(pinned[0][0], target)
    else:
        atomic_write_text(target, baseline_set_json([r for _, r in pinned]))
    ids = ", ".join(r.run_id for _, r in pinned)
    console.print(f"pinned run(s) {ids} as the baseline of {suites[0]!r}: {target}")
    return EXIT_OK


def constraints_from(args: argparse.Namespace):
    """The select/summary constraints from the command line; None (after saying why) when bad."""
    from evalharness.select import Constraints

    floors: list[dict[str, float]] = [{}, {}]
    for flag, items, example, out in (("--min-score", args.min_score, "factual=0.5", floors[0]),
                                      ("--min-accuracy", args.min_accuracy, "piqa=0.65", floors[1])):
        for item in items:
            name, sep, value = item.partition("=")
            try:
                out[name] = finite(value)
            except ValueError:
                sep = ""
            if not sep or not name:
                print(f"evalharness: {flag} {item!r}: use NAME=VALUE, e.g. {example}", file=sys.stderr)
                return None
    return Constraints(args.max_memory_mb, args.max_latency_p95_s, floors[0], args.min_agreement, floors[1])


def cmd_summary(args: argparse.Namespace) -> int:
    from evalharness.views import summary

    report = report_or_none(args.report)
    constraints = constraints_from(args)
    if report is None or constraints is None:
        return EXIT_BAD_INPUT
    if args.out.suffix.lower() not in (".md", ".markdown", ".html", ".htm"):
        print(f"evalharness: --out {args.out}: name a .md or .html file", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in summary.write(report, args.out, constraints, args.optimize, args.quality_score):
        console.print(f"wrote {path}")
    return EXIT_OK


def cmd_select(args: argparse.Namespace) -> int:
    from evalharness.select import select
    from evalharness.views.why import given_up

    report = report_or_none(args.report)
    constraints = constraints_from(args)
    if report is None or constraints is None:
        return EXIT_BAD_INPUT
    result = select(report, constraints, args.optimize, args.quality_score)

    def describe(c) -> str:
        q = "—" if c.quality is None else f"{c.quality:.3f}"
        mem = "—" if c.memory_mb is None else f"{c.memory_mb:.0f} MB"
        lat = "—" if c.latency_p95_s is None else f"{c.latency_p95_s:.3g} s"
        return f"{c.variant.id} (memory {mem}, latency p95 {lat}, quality {q})"

    if result.chosen is None:
        console.print("[red]no variant meets the constraints[/red]")
    else:
        console.print(f"[bold green]chosen[/bold green] (best {args.optimize}): {describe(result.chosen)}")
        for line in given_up(result):
            console.print(f"  {line}")
    for c in result.runners_up:
        console.print(f"runner-up: {describe(c)}")
    for v, reasons in result.rejected:
        console.print(f"[yellow]rejected[/yellow] {v.id}: {'; '.join(reasons)}")
    return EXIT_OK if result.chosen is not None else EXIT_GATE
