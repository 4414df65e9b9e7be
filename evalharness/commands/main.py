"""Thin command line: parse args -> load suite -> run -> write report -> exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evalharness.commands import DEFAULT_SUITE
from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_OK, finite_arg, third_party_log, third_party_warnings_shown


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalharness", description=__doc__)
    p.add_argument("--verbose", action="store_true",
                   help=f"third-party warnings on the terminal (otherwise written to {third_party_log()})")
    sub = p.add_subparsers(dest="command", required=True)
    from evalharness.commands.loadtest import add_load_args
    from evalharness.commands.security import add_security_args

    for add in (_run_args, _compare_args, _select_args, _probe_args, add_load_args, _monitor_args, _score_args,
                add_security_args, _misc_args):
        add(sub)
    return p


def _run_args(sub: Any) -> None:
    run = sub.add_parser("run", help="run a suite and write a report")
    run.add_argument("suite", nargs="?", type=Path, help=f"suite YAML (default: {DEFAULT_SUITE})")
    run.add_argument("--output-dir", type=Path, default=Path("results"), help="where reports go")
    run.add_argument("--repeats", type=int, help="measured repeats per case (overrides the suite)")
    run.add_argument("--variant", action="append", default=[], metavar="GLOB",
                     help="only variants whose id matches (repeatable), e.g. '*/bf16/*'")
    run.add_argument("--fail-on", choices=["info", "warning", "critical"],
                     help="exit 1 when an alert of this severity or above fires")
    run.add_argument("--resume", metavar="RUN_ID", help="finish an interrupted run")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--summary", type=Path, metavar="FILE",
                     help="also write the run's one-page summary: FILE.html (chart inline) or FILE.md")
    run.add_argument("--wide", action="store_true", help="the end-of-run table with every figure (default: the "
                     "ones that decide, within 100 columns)")
    run.add_argument("--threads", type=int, help="torch CPU threads (overrides the suite)")
    run.add_argument("--isolation", choices=["process", "none"],
                     help="process (default): each variant in its own worker; none: all in this "
                     "process, for debugging")
    run.add_argument("--schedule", choices=["sequential", "interleaved"],
                     help="interleaved: all variants warm, (case, repeat) units round-robin")
    run.add_argument("--variant-timeout", type=finite_arg, metavar="SECONDS",
                     help="kill a variant's worker past this much work (overrides the suite)")
    run.add_argument("--memory-budget-mb", type=finite_arg, metavar="MB",
                     help="interleaved: most memory the warm workers may hold (overrides the suite)")
    run.add_argument("--case-files-anywhere", action="store_true",
                     help="read case files, images and adapters outside the suite's folder (default: only inside it)")
    run.add_argument("--executor", choices=["local", "ray"], default="local",
                     help="ray: each variant a Ray actor on any node of a cluster (with its threads as CPUs, "
                     "a GPU for cuda variants), variants at once; records stream back to this process")
    run.add_argument("--ray-address", metavar="HOST:PORT",
                     help="the Ray cluster to join (default: $RAY_ADDRESS, else a local Ray is started)")
    run.add_argument("--ray-retries", type=int, default=1, metavar="N",
                     help="start a lost actor again this many times before the variant fails (default 1)")
    run.add_argument("--shard", metavar="K/N",
                     help="measure only the K-th of N shares of the (case, repeat) units (CI job matrix); "
                     "join the shards with `evalharness merge`")
    run.add_argument("--reuse", action="store_true",
                     help="take the outputs of unchanged cells (same model file, scheme, parameters, prompt "
                     "tokens) from earlier runs of the suite under --output-dir; they are scored anew")
    run.add_argument("--reuse-timings", action="store_true",
                     help="with --reuse: take the earlier timings too (default: a reused sample has none)")
    run.add_argument("--full-tasks", action="store_true", help="score every item of each task, whatever its `limit`")
    run.add_argument("--limit", type=int, metavar="N", help="score at most N items of each benchmark task (a quick "
                     "look; the report records the limits used)")
    run.add_argument("--baseline", type=Path, metavar="REPORT",
                     help="after the run, gate against this report with the suite's gate policy")
    run.add_argument("--gate-variants", action="append", default=[], metavar="BASE_ID=CAND_ID",
                     help="after the run, gate variant CAND_ID against variant BASE_ID of the same run "
                     "(repeatable; best with --schedule interleaved)")
    _compare_outputs(run)
    merge = sub.add_parser("merge", help="merge reports of one suite's shards (or disjoint runs) into one, "
                           "statistics recomputed from the raw samples")
    merge.add_argument("reports", nargs="+", type=Path, help="the shards' report files")
    merge.add_argument("--out", type=Path, required=True, help="the merged report (JSON)")
    merge.add_argument("--wide", action="store_true", help="the table with every figure")
    merge.add_argument("--suite", type=Path, help="the suite file (default: the path the reports name)")
    merge.add_argument("--case-files-anywhere", action="store_true", help=argparse.SUPPRESS)


def _compare_args(sub: Any) -> None:
    cmp = sub.add_parser("compare", help="compare a candidate report against a baseline, or two "
                         "variants of one report (--baseline-variant/--candidate-variant)")
    cmp.add_argument("baseline", type=Path, help="the baseline report (or the one report)")
    cmp.add_argument("candidate", type=Path, nargs="?", help="the candidate report")
    cmp.add_argument("--baseline-variant", metavar="ID", help="within one report: the baseline variant")
    cmp.add_argument("--candidate-variant", metavar="ID", help="within one report: the candidate variant")
    cmp.add_argument("--suite", type=Path, help="take the gate policy from this suite")
    cmp.add_argument("--tolerance", type=finite_arg, help="timing tolerance (relative, e.g. 0.1)")
    _compare_outputs(cmp)
    base = sub.add_parser("baseline", help="pin or show the baseline report of a suite")
    base_sub = base.add_subparsers(dest="baseline_command", required=True)
    bset = base_sub.add_parser("set", help="pin one run, or several runs of one suite as a set, as "
                               "results/baselines/<suite>.json")
    bset.add_argument("run", nargs="+", help="report paths or run ids under --results-dir; several runs make "
                      "timing verdicts include the noise between runs")
    bset.add_argument("--results-dir", type=Path, default=Path("results"))
    bshow = base_sub.add_parser("show", help="print the pinned baseline of a suite")
    bshow.add_argument("suite_name")
    bshow.add_argument("--results-dir", type=Path, default=Path("results"))


def _select_args(sub: Any) -> None:
    sel = sub.add_parser("select", help="choose the best variant of a run under constraints")
    summ = sub.add_parser("summary", help="a one-page summary of a run (Markdown or HTML) for a PR or a review")
    summ.add_argument("--out", type=Path, required=True, metavar="FILE",
                      help="FILE.html (chart inline) or FILE.md (chart written beside it as FILE.svg)")
    for p in (sel, summ):
        p.add_argument("report", type=Path)
        p.add_argument("--max-memory-mb", type=finite_arg)
        p.add_argument("--max-latency-p95-s", type=finite_arg)
        p.add_argument("--min-agreement", type=finite_arg, help="minimum token agreement with the fidelity reference")
        p.add_argument("--min-accuracy", action="append", default=[], metavar="TASK[.METRIC]=VALUE",
                       help="minimum benchmark accuracy, e.g. piqa=0.65 or hellaswag.acc_norm=0.4")
        p.add_argument("--min-score", action="append", default=[], metavar="NAME=VALUE")
        p.add_argument("--optimize", choices=["latency", "memory", "quality"], default="latency")
        p.add_argument("--quality-score", help="score to optimise for quality (default: mean of all)")


def _probe_args(sub: Any) -> None:
    pr = sub.add_parser("probe", help="measure an OpenAI-compatible endpoint, optionally under load")
    pr.add_argument("base_url", help="as clients take it, e.g. http://127.0.0.1:8080/v1")
    pr.add_argument("--model", required=True)
    pr.add_argument("--prompt", default="Say hello in one short sentence.")
    pr.add_argument("--requests", type=int, default=5)
    pr.add_argument("--concurrency", type=int, default=1, help="requests in flight at once (load mode)")
    pr.add_argument("--max-new-tokens", "--max-tokens", dest="max_tokens", type=int, default=64)
    pr.add_argument("--api-key-env", help="environment variable holding the API key")
    pr.add_argument("--timeout", type=finite_arg, default=120.0, help="total seconds per request")
    pr.add_argument("--json", type=Path, metavar="FILE", help="write {requests, summary} as JSON")
    pr.add_argument("--batch-invariance", type=int, metavar="N",
                    help="instead: do greedy answers change with N requests in flight? (canary prompts)")


def _monitor_args(sub: Any) -> None:
    mon = sub.add_parser("monitor", help="probe a suite's endpoints on a schedule, with stateful alerts")
    mon.add_argument("suite", type=Path)
    mon.add_argument("--interval", default=None, help="between probe rounds, e.g. 30s, 2m (default: suite)")
    mon.add_argument("--duration", default=None, help="stop after e.g. 10m, 1h (default: until stopped)")
    mon.add_argument("--output-dir", type=Path, default=Path("results"))
    mon.add_argument("--prometheus-port", type=int, help="expose metrics for Prometheus on this port")
    pin = mon.add_mutually_exclusive_group()
    pin.add_argument("--pin", type=Path, metavar="RUN.json", action="append",
                     help="canaries: compare each answer to a case with this run's answers (every variant's); "
                          "repeat to pin the variants of several runs")
    pin.add_argument("--pin-first", action="store_true",
                     help="canaries: the endpoint's own first answer to each case is the pin")
    mon.add_argument("--pin-variant", metavar="VARIANT_ID",
                     help="the variant drift is measured against (default: the first one the answers match)")


def _scoring_input_args(parser: Any, input_help: str) -> None:
    """What `score` and `scorer-validity` both read: the scorers, the file and its columns, the judge."""
    parser.add_argument("--scorer", action="append", required=True, metavar="NAME")
    parser.add_argument("--input", type=Path, required=True, help=input_help)
    parser.add_argument("--prompt-column", default="prompt")
    parser.add_argument("--output-column", default="completion")
    parser.add_argument("--reference-column")
    parser.add_argument("--expect-column", help="a column of refuse / comply labels (refusal, safety scorers)")
    parser.add_argument("--safety-column", help="a column of unsafe / safe labels (refusal, safety scorers)")
    parser.add_argument("--judge", type=Path, help="YAML for the judge scorer: model, rubric, ... (docs/scorers.md)")
    parser.add_argument("--functions-column", help="JSON function schemas per row (function_call)")
    parser.add_argument("--expected-column", help="JSON expected calls per row, BFCL's shape or ours; [] = no call")


def _score_args(sub: Any) -> None:
    sc = sub.add_parser("score", help="score existing prompt/answer pairs, without any model")
    _scoring_input_args(sc, "a .csv or .jsonl file")
    sc.add_argument("--out", type=Path, required=True, help="a .csv or .jsonl file")
    sc.add_argument("--keep-formulas", action="store_true", help="CSV: cells starting = + - @ as they are "
                    "(default: behind an apostrophe, so a spreadsheet shows them instead of running them)")
    sv = sub.add_parser("scorer-validity", help="a scorer's agreement with human labels in a CSV/JSONL file")
    _scoring_input_args(sv, "a .csv or .jsonl file with a human label column")
    sv.add_argument("--truth-column", required=True, help="the column of human labels")
    sv.add_argument("--positive", action="append", required=True, metavar="VALUE",
                    help="a label value that counts as positive (repeatable)")
    sv.add_argument("--predicted", action="append", default=[], metavar="LABEL",
                    help="the scorer's labels that count as positive (default: value >= 0.5)")
    sv.add_argument("--group-column", help="bootstrap over groups of this column (e.g. the prompt)")
    sv.add_argument("--resamples", type=int, default=2000)
    sv.add_argument("--seed", type=int, default=0)
    sv.add_argument("--json", type=Path, help="write the figures as JSON")


def _misc_args(sub: Any) -> None:
    plan = sub.add_parser("plan", help="what a suite's benchmark tasks can tell apart with their item counts")
    plan.add_argument("suite", type=Path)
    plan.add_argument("--full-tasks", action="store_true", help="every item of each task, whatever its `limit`")
    plan.add_argument("--limit", type=int, metavar="N", help="at most N items of each task (as `run --limit N`)")
    plan.add_argument("--case-files-anywhere", action="store_true")
    val = sub.add_parser("validate", help="check suite files; exit 2 listing every problem")
    val.add_argument("files", nargs="+", type=Path)
    val.add_argument("--case-files-anywhere", action="store_true",
                     help="read case files, images and adapters outside the suite's folder (default: only inside it)")
    dash = sub.add_parser("dashboard", help="start the Streamlit dashboard over a results dir")
    dash.add_argument("--results-dir", type=Path, default=Path("results"))
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--address", default="127.0.0.1", help="interface to listen on")
    idx = sub.add_parser("index", help="bring the results store's index up to date with the reports "
                         "(runs and the dashboard do it as they go)")
    idx.add_argument("--results-dir", type=Path, default=Path("results"))
    sub.add_parser("models", help="list model sources and whether they work here")
    q = sub.add_parser("quantizations", help="list quantization schemes and whether they work here")
    q.add_argument("--no-probe", action="store_true",
                   help="skip the trial run of each scheme on the tiny random Gemma")


def _compare_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", type=Path, metavar="FILE", help="write a Markdown summary")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the comparison as JSON")
    p.add_argument("--gate-on", choices=["info", "warning", "critical"], default="critical",
                   help="exit 1 on a regression of a metric gated at this severity or above")


def _handler(command: str) -> Callable[[argparse.Namespace], int] | None:
    """`cmd_<command>` of the module the command lives in, imported on use (a command's start-up
    pays only for its own imports); None for the small commands below."""
    if command in ("compare", "baseline", "select", "summary"):
        from evalharness.commands import compare as module
    elif command in ("run", "plan", "merge"):
        from evalharness.commands import run as module
    elif command in ("probe", "load"):
        from evalharness.commands import loadtest as module
    elif command == "security":
        from evalharness.commands import security as module
    elif command == "monitor":
        from evalharness.commands import monitor as module
    elif command == "score":
        from evalharness.commands import score as module
    elif command == "scorer-validity":
        from evalharness.commands import validity as module
    else:
        return None
    return getattr(module, "cmd_" + command.replace("-", "_"))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.verbose:
        third_party_warnings_shown()
    handler = _handler(args.command)
    if handler is not None:
        return int(handler(args))
    if args.command == "validate":
        return cmd_validate(args.files, args.case_files_anywhere)
    if args.command == "dashboard":
        return cmd_dashboard(args)
    if args.command == "models":
        return cmd_models()
    if args.command == "index":
        return cmd_index(args.results_dir)
    return cmd_quantizations(probe=not args.no_probe)


def cmd_validate(files: Sequence[Path], case_files_anywhere: bool = False) -> int:
    from evalharness.suite import SuiteError, load_suite

    bad = 0
    for f in files:
        try:
            loaded = load_suite(f, case_files_anywhere)
        except SuiteError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        tasks = f"{len(loaded.suite.tasks)} tasks, " if loaded.suite.tasks else ""
        print(f"{f}: ok ({len(loaded.cases)} cases, {tasks}{len(loaded.suite.models)} models, "
              f"{len(loaded.suite.quantizations)} quantizations)")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def dashboard_app() -> Path:
    return Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def dashboard_command(results_dir: Path, port: int, address: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(dashboard_app()),
            "--server.port", str(port), "--server.address", address, "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--", "--results-dir", str(results_dir.resolve())]


def cmd_dashboard(args: argparse.Namespace) -> int:
    import signal
    import subprocess

    if not dashboard_app().is_file():
        print(f"evalharness: dashboard app not found at {dashboard_app()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.results_dir.is_dir():
        print(f"evalharness: results dir {args.results_dir} does not exist yet; "
              "run a suite first (evalharness run)", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"dashboard: http://{args.address}:{args.port} (results: {args.results_dir})")
    child = subprocess.Popen(dashboard_command(args.results_dir, args.port, args.address))

    def forward(signum: int, frame: object) -> None:  # Streamlit must not outlive us
        child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        code = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=10)
    return EXIT_OK if code in (0, -signal.SIGTERM, -signal.SIGINT) else code


def cmd_index(results_dir: Path) -> int:
    from evalharness.reports.store import ResultsStore

    if not results_dir.is_dir():
        print(f"evalharness: results dir {results_dir} does not exist", file=sys.stderr)
        return EXIT_BAD_INPUT
    store = ResultsStore(results_dir)
    done = store.refresh()
    runs = store.query("SELECT COUNT(*) FROM runs")[0][0]
    print(f"index: {runs:,} runs; {done.added:,} report(s) read, {done.removed:,} removed, "
          f"{done.unreadable:,} unreadable, in {done.seconds:.2f} s ({store.path})")
    for problem in store.problems():
        print(f"  unreadable: {problem}")
    return EXIT_OK


def cmd_models() -> int:
    from rich.table import Table

    from evalharness.console import console
    from evalharness.models.sources import SOURCES

    table = Table(title="model sources")
    for col in ("source", "model ids", "available here", "notes"):
        table.add_column(col)
    for name, source in SOURCES.items():
        examples = source.examples()
        ok, why = source.availability(examples[0]) if examples else (True, "")
        table.add_row(name, ", ".join(examples), "yes" if ok else "no", f"{source.description}. {why}")
    console.print(table)
    return EXIT_OK


def cmd_quantizations(probe: bool = True) -> int:
    from rich.table import Table

    from evalharness.console import console
    from evalharness.measure.gpu import cuda_available
    from evalharness.quantization import SCHEMES
    from evalharness.runtimes import RUNTIMES

    here = "cuda" if cuda_available() else "cpu"
    table = Table(title=f"quantization schemes (this machine: {here})")
    for col in ("scheme", "devices", "installed", f"runs on {here}", "description"):
        table.add_column(col)
    for name, scheme in SCHEMES.items():
        missing = scheme.missing_package()
        reason = scheme.unsupported_reason(here)
        if reason is not None:
            runs = f"no: {reason}"
        elif probe:
            ran, note = RUNTIMES.get(scheme.runtime).probe(name, here)
            runs = ("yes (probed)" if not note else f"no: {note}") if ran else f"yes ({note})"
        else:
            runs = "yes"
        table.add_row(name, ", ".join(scheme.devices), "yes" if missing is None else f"no: {missing}",
                      runs, scheme.description)
    console.print(table)
    return EXIT_OK
