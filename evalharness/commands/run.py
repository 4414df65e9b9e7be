"""`evalharness run`: a suite (or a resumed run) -> report, summary, alerts, gate -> exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalharness.commands import DEFAULT_SUITE
from evalharness.commands.common import baseline_or_none, suite_or_none
from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_GATE, EXIT_INTERRUPTED, EXIT_IO, EXIT_OK, new_run_id
from evalharness.reports.reader import find_run_file, read_samples_log
from evalharness.reports.schema import Report
from evalharness.reports.writer import RunInUse
from evalharness.suite.loader import LoadedSuite


def _fail(message: str) -> int:
    print(f"evalharness: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _load(args: argparse.Namespace) -> tuple[LoadedSuite | None, Path | None, int]:
    """The suite to run and, when resuming, the run's samples log; or an exit code."""
    if args.resume is None:
        loaded = suite_or_none(args.suite or DEFAULT_SUITE, args.case_files_anywhere)
        return loaded, None, EXIT_OK if loaded else EXIT_BAD_INPUT
    samples_path = find_run_file(args.output_dir, args.resume, ".samples.jsonl")
    if samples_path is None:
        return None, None, _fail(f"no run {args.resume!r} under {args.output_dir} "
                                 f"(looked for */{args.resume}.samples.jsonl)")
    header = read_samples_log(samples_path).header
    if header is None:
        return None, None, _fail(f"{samples_path}: no readable run header; cannot resume")
    suite_path = Path(header.suite.path)
    loaded = suite_or_none(suite_path, args.case_files_anywhere)
    if loaded is None:
        return None, None, EXIT_BAD_INPUT
    if header.suite.sha256 != loaded.sha256:
        return None, None, _fail(f"{suite_path} changed since run {args.resume} started; "
                                 "resuming would mix two suites. Start a new run instead.")
    return loaded, samples_path, EXIT_OK


def _bad_numbers(args: argparse.Namespace) -> str | None:
    if args.repeats is not None and not 1 <= args.repeats <= 1000:
        return "--repeats must be 1..1000 (as in a suite)"
    if args.threads is not None and not 1 <= args.threads <= 1024:
        return "--threads must be 1..1024"
    for flag, value in (("--variant-timeout", args.variant_timeout), ("--memory-budget-mb", args.memory_budget_mb)):
        if value is not None and not 0 < value < float("inf"):
            return f"{flag} must be a positive number"
    if not 0 <= args.ray_retries <= 100:
        return "--ray-retries must be 0..100"
    if args.summary is not None and args.summary.suffix.lower() not in (".md", ".markdown", ".html", ".htm"):
        return f"--summary {args.summary}: name a .md or .html file"
    if args.ray_address and args.executor != "ray":
        return "--ray-address needs --executor ray"
    if args.shard is not None:
        from evalharness.runner.plan import parse_shard

        try:
            parse_shard(args.shard)
        except ValueError as exc:
            return str(exc)
        if args.resume is not None:
            return "--shard with --resume: a resumed run keeps the shard it started with"
    if args.output_dir.exists() and not args.output_dir.is_dir():
        return f"--output-dir {args.output_dir} is a file, not a folder"
    return None


def _limited(loaded: LoadedSuite, args: argparse.Namespace) -> tuple[LoadedSuite, str | None]:
    """`--limit N`: the suite with each task's item count capped at N."""
    from dataclasses import replace

    from evalharness.suite.tasks import capped

    if args.limit is None:
        return loaded, None
    if args.limit < 1:
        return loaded, "--limit must be at least 1"
    if args.full_tasks:
        return loaded, "--limit and --full-tasks contradict each other: give one"
    tasks = capped(loaded.suite.tasks, args.limit)
    return replace(loaded, suite=loaded.suite.model_copy(update={"tasks": tasks})), None


def cmd_run(args: argparse.Namespace) -> int:
    from evalharness.console import RichProgress
    from evalharness.runner import NullProgress, Runner, RunOptions, plan_variants, resolve_device

    loaded, samples_path, code = _load(args)
    if loaded is None:
        return code
    problem = _bad_numbers(args)
    loaded, limit_problem = _limited(loaded, args)
    if problem or limit_problem:
        return _fail(problem or limit_problem)
    baseline = None
    if args.baseline is not None:
        baseline = baseline_or_none(args.baseline, "--baseline")
        if baseline is None:
            return EXIT_BAD_INPUT
    options = RunOptions(output_dir=args.output_dir, repeats=args.repeats,
                         variant_patterns=tuple(args.variant), threads=args.threads,
                         isolation=args.isolation, schedule=args.schedule,
                         variant_timeout_s=args.variant_timeout, memory_budget_mb=args.memory_budget_mb,
                         shard=args.shard, reuse=args.reuse or args.reuse_timings,
                         reuse_timings=args.reuse_timings, executor=args.executor,
                         ray_address=args.ray_address, ray_retries=args.ray_retries, full_tasks=args.full_tasks)
    planned = plan_variants(loaded.suite, resolve_device(loaded.suite.device), options.variant_patterns)
    if samples_path is None and not planned:
        return _fail(f"no variant matches {args.variant}")
    pairs, problem = _gate_pairs(args.gate_variants, {p.id for p in planned})
    if problem:
        return _fail(problem)
    runner = Runner(loaded, options, progress=NullProgress() if args.quiet else RichProgress())
    run_id = args.resume or new_run_id()
    try:
        outcome = runner.resume(samples_path) if samples_path is not None else runner.run(run_id)
    except RunInUse as exc:
        return _fail(str(exc))
    except OSError as exc:  # a full disk, a folder made read-only under the run
        where = f" {exc.filename}" if exc.filename else ""
        print(f"evalharness: cannot write{where}: {exc.strerror or exc}. What was measured is in the run's "
              f"samples log; make room and go on with `evalharness run --resume {run_id} --output-dir "
              f"{args.output_dir}`", file=sys.stderr)
        return EXIT_IO
    return _finish(args, loaded, outcome, baseline, pairs)


def reuse_line(report: Report) -> str:
    """What --reuse took and what was generated, in one line."""
    taken = [s for s in report.samples if s.reused_from]
    made = len(report.samples) - len(taken)
    runs = sorted({s.reused_from for s in taken if s.reused_from})
    where = f" (from {', '.join(runs)})" if runs else ""
    tail = "nothing new generated" if made == 0 else f"{made} generated"
    return f"reuse: {len(taken)} of {len(report.samples)} samples reused from earlier runs{where}; {tail}"


def _gate_pairs(items: list[str], planned: set[str]) -> tuple[list[tuple[str, str]], str | None]:
    """`--gate-variants BASE=CAND` pairs, each id one this run plans."""
    pairs = []
    for item in items:
        base, sep, cand = item.partition("=")
        if not sep or not base or not cand:
            return [], f"--gate-variants {item!r}: use BASE_ID=CAND_ID, e.g. m/fp32/cpu=m/bf16/cpu"
        unknown = [v for v in (base, cand) if v not in planned]
        if unknown:
            return [], (f"--gate-variants {item!r}: {unknown[0]!r} is not a variant of this run "
                        f"(planned: {', '.join(sorted(planned))})")
        pairs.append((base, cand))
    return pairs, None


def _finish(args: argparse.Namespace, loaded: LoadedSuite, outcome, baseline: list[Report] | None,
            pairs: list[tuple[str, str]]) -> int:
    from evalharness.alerts import at_or_above
    from evalharness.console import console, print_summary

    print_summary(outcome.report, args.wide)
    if args.reuse or args.reuse_timings:
        console.print(reuse_line(outcome.report))
    console.print(f"report: {outcome.report_path}")
    console.print(f"samples: {outcome.samples_path}")
    if args.summary is not None:
        from evalharness.views import summary

        for path in summary.write(outcome.report, args.summary):
            console.print(f"summary: {path}")
    if outcome.interrupted:
        console.print(f"interrupted: finish with `evalharness run --resume {outcome.report.run_id}`")
        return EXIT_INTERRUPTED
    failed = [v.id for v in outcome.report.variants if v.status == "failed"]
    gating = at_or_above(outcome.report.alerts, args.fail_on) if args.fail_on else []
    if failed:
        console.print(f"[red]failed variants:[/red] {', '.join(failed)}")
    if gating:
        console.print(f"[red]{len(gating)} alert(s) at or above {args.fail_on}[/red]")
    gate_failed = False
    if baseline is not None:
        from evalharness.commands.compare import gate

        gate_failed = gate(baseline, outcome.report, loaded.suite.gate, args)
    if pairs:
        from evalharness.commands.compare import gate

        # with a baseline too, the within-run comparison writes gate.variants.json etc., not over the first
        suffix = "variants" if baseline is not None else ""
        gate_failed = gate(outcome.report, outcome.report, loaded.suite.gate, args, pairs, suffix) or gate_failed
    return EXIT_GATE if failed or gating or gate_failed else EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from evalharness.commands.common import report_or_none
    from evalharness.console import console, print_summary
    from evalharness.reports.writer import atomic_write_json
    from evalharness.runner.merge import MergeError, merge_reports, missing_shards

    reports = [report_or_none(p) for p in args.reports]
    if any(r is None for r in reports):
        return EXIT_BAD_INPUT
    suite_path = args.suite or Path(reports[0].suite.path)
    if not suite_path.is_file():
        return _fail(f"the suite {suite_path} the reports ran is not here; pass it with --suite FILE")
    loaded = suite_or_none(suite_path, args.case_files_anywhere)
    if loaded is None:
        return EXIT_BAD_INPUT
    try:
        merged = merge_reports(reports, [str(p) for p in args.reports], loaded)
    except MergeError as exc:
        return _fail(str(exc))
    atomic_write_json(args.out, merged)
    print_summary(merged, args.wide)
    missing = missing_shards(reports)
    if missing:
        console.print(f"[yellow]shards missing: {', '.join(missing)} (status: partial)[/yellow]")
    console.print(f"merged {len(reports)} report(s), {len(merged.samples)} samples: {args.out}")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    """`evalharness plan SUITE`: per task, the items a run scores, the widest interval of one
    accuracy and the smallest difference between two variants it detects (80% power, 2.5% one-sided)."""
    from rich.table import Table

    from evalharness.console import console
    from evalharness.tasks.plan import DISCORDANT_RATES, plan_task

    loaded = suite_or_none(args.suite, args.case_files_anywhere)
    if loaded is None:
        return EXIT_BAD_INPUT
    if not loaded.suite.tasks:
        return _fail(f"{args.suite}: the suite has no `tasks:`")
    loaded, problem = _limited(loaded, args)
    if problem:
        return _fail(problem)
    table = Table(title=f"{loaded.suite.name}: what the benchmark tasks can tell apart")
    for col in ("task", "items", "accuracy 95% CI (widest)",
                *(f"detectable, {r:.0%} answers change" for r in DISCORDANT_RATES)):
        table.add_column(col, justify="left" if col == "task" else "right")
    margin = loaded.suite.gate.task_margin
    for spec in loaded.suite.tasks:
        p = plan_task(spec, args.full_tasks)
        if p.error is not None:
            table.add_row(spec.label, "—", f"cannot be built: {p.error[:80]}", *("—" for _ in DISCORDANT_RATES))
            continue
        table.add_row(p.task, f"{p.items}/{p.docs_total}", f"+-{100 * p.half_width:.1f} points",
                      *(f"{100 * p.detectable[r]:.1f} points" for r in DISCORDANT_RATES))
    console.print(table)
    console.print(f"A paired comparison of two variants detects a shortfall this large 80% of the time; a "
                  f"verdict of non-inferiority within {100 * margin:g} point(s) needs the interval of the "
                  "difference inside the margin, which takes more items the more answers change.")
    return EXIT_OK
