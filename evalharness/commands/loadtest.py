"""`evalharness load BASE_URL --model NAME` or `evalharness load SUITE`: a server under a load
profile, stage by stage; with a suite, its endpoint models take its cases as the load and every
answer is scored with its scorers."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_GATE, EXIT_OK, finite, finite_arg, now_iso
from evalharness.reports.loadtest import LoadReport, Percentiles, StageRecord, VsSynchronous


def add_load_args(sub: Any) -> None:
    ld = sub.add_parser("load", help="load-test an OpenAI-compatible endpoint: profiles, SLOs, goodput, a sweep",
                        description="Options not given come from a suite's `load:` section, else the defaults; "
                        "--slo and --alert add to the suite's.")
    ld.add_argument("target", help="a server as clients take it (e.g. http://127.0.0.1:8080/v1; give --model), "
                    "or a suite file: its endpoint models, its cases as the load, its scorers on every answer")
    ld.add_argument("--model", help="the model name at the server; with a suite, which endpoint model (name or id)")
    ld.add_argument("--profile",
                    choices=["synchronous", "concurrent", "throughput", "constant", "poisson", "sweep"],
                    help="synchronous: one at a time; concurrent/throughput: N in flight; constant/poisson: "
                    "requests/s offered whatever is in flight; sweep: synchronous, throughput, then rates "
                    "between until saturation (default: the suite's `load.profile`, else synchronous)")
    ld.add_argument("--concurrency", type=int, help="requests in flight (concurrent, throughput, sweep; default 4)")
    ld.add_argument("--rate", type=finite_arg, help="requests/s offered (constant, poisson)")
    ld.add_argument("--burstiness", type=finite_arg, help="gamma arrivals' shape (default 1 = Poisson; <1 burstier)")
    ld.add_argument("--requests", type=int, help="measured requests per stage")
    ld.add_argument("--duration", type=finite_arg, help="seconds of sending per stage")
    ld.add_argument("--warmup", type=int, help="requests per stage left out of the figures (default 1)")
    ld.add_argument("--sweep-steps", type=int, help="sweep: rates between synchronous and throughput (default 4)")
    ld.add_argument("--slo", action="append", default=[], metavar="NAME=SECONDS",
                    help="ttft_s, inter_token_latency_s or latency_s: the seconds each request may take; repeatable. "
                         "Goodput counts the requests meeting all")
    ld.add_argument("--max-new-tokens", "--max-tokens", dest="max_tokens", type=int,
                    help="tokens per answer at most (default: 64, or each case's setting)")
    ld.add_argument("--prompt", action="append", help="a prompt (repeatable; requests cycle through them)")
    ld.add_argument("--alert", action="append", default=[], metavar="RULE",
                    help="e.g. 'quality drop > 0.05 at max', 'goodput < 2 at 4', 'ttft_s.p95 > 1.5'; repeatable")
    ld.add_argument("--fail-on-alert", action="store_true", help="exit 1 when an alert fires")
    ld.add_argument("--results-dir", type=Path, default=Path("results"),
                    help="the JSON goes to RESULTS_DIR/load/ (the dashboard's Load tab) unless --json names a file")
    ld.add_argument("--api-key-env",
                    help="environment variable holding the API key (a server URL; a suite's endpoint names its own)")
    ld.add_argument("--timeout", type=finite_arg, default=120.0,
                    help="total seconds per request (a server URL; a suite's endpoint has its own timeouts)")
    ld.add_argument("--seed", type=int, default=0, help="seed of the poisson arrivals")
    ld.add_argument("--case-files-anywhere", action="store_true",
                    help="a suite's case files and images may lie outside its folder (default: only inside it)")
    ld.add_argument("--json", type=Path, metavar="FILE", help="write {stages: [...]} to FILE (one target only)")


def parse_slos(items: list[str]) -> dict[str, float]:
    from evalharness.reports.loadtest import slo_field, slo_limits

    out: dict[str, float] = {}
    for item in items:
        name, _, value = item.partition("=")
        slo_field(name)  # the name first: its error lists the known ones
        try:
            out[name] = finite(value)
        except ValueError:
            raise ValueError(f"SLO {name}: {value!r} is not a number of seconds") from None
    return slo_limits(out)


def _problem(args: argparse.Namespace) -> str | None:
    if args.requests is None and args.duration is None:
        return ("give --requests and/or --duration (each stage stops at whichever comes first), or a suite's "
                "`load.requests` / `load.duration_s`")
    if args.requests is not None and not 1 <= args.requests <= 100_000:
        return "--requests must be 1..100000"
    if args.duration is not None and not args.duration > 0:
        return "--duration must be above 0 s"
    if args.profile in ("constant", "poisson") and (args.rate is None or not args.rate > 0):
        return f"--profile {args.profile} needs --rate above 0 requests/s"
    if not 1 <= args.concurrency <= 512 or args.warmup < 0 or not args.burstiness > 0:
        return "--concurrency must be 1..512, --warmup at least 0, --burstiness above 0"
    if args.profile == "sweep" and args.sweep_steps < 1:
        return "--sweep-steps must be at least 1"
    if args.max_tokens is not None and not 1 <= args.max_tokens <= 65536:
        return "--max-new-tokens must be 1..65536"
    return None


@dataclass(frozen=True)
class _Plan:
    targets: list[Any]  # load.workload.Target
    workload: Any  # load.workload.Workload
    loaded: Any = None  # the suite (LoadedSuite) when the target was one


# (option, the suite's `load:` field, the default when neither gives it)
SETTINGS = (("profile", "profile", "synchronous"), ("concurrency", "concurrency", 4), ("rate", "rate", None),
            ("burstiness", "burstiness", 1.0), ("requests", "requests", None), ("duration", "duration_s", None),
            ("warmup", "warmup", 1), ("sweep_steps", "sweep_steps", 4), ("max_tokens", "max_new_tokens", None))


def _settle(args: argparse.Namespace, spec: Any) -> tuple[dict[str, float], list[Any]]:
    """Fill the options not given from the suite's `load:` section (`spec`), else the defaults;
    the SLOs and alert rules: the suite's, then the command line's."""
    from evalharness.loadtest_rules import parse_rule

    for option, field, default in SETTINGS:
        if getattr(args, option) is None:
            setattr(args, option, getattr(spec, field) if spec is not None else default)
    slos = {**(spec.slos if spec is not None else {}), **parse_slos(args.slo)}
    rules = [parse_rule(text) for text in (*(spec.alerts if spec is not None else ()), *args.alert)]
    return slos, rules


def _plan(args: argparse.Namespace) -> tuple[list[Any], Any]:
    """The targets, and the suite when the target is one."""
    from evalharness.loadtest.workload import endpoint_targets, url_target

    if args.target.startswith(("http://", "https://")):
        if not args.model:
            raise ValueError("give --model: the model name the server at " + args.target + " serves")
        if not args.timeout > 0:
            raise ValueError("--timeout must be above 0 s")
        return [url_target(args.target, args.model, args.api_key_env, args.timeout)], None
    from evalharness.suite import load_suite

    if not Path(args.target).is_file():
        raise ValueError(f"{args.target}: neither a server URL (http://...) nor a suite file")
    if args.prompt:
        raise ValueError("--prompt is for a server URL; a suite's cases are its prompts")
    loaded = load_suite(args.target, case_files_anywhere=args.case_files_anywhere)
    targets = endpoint_targets(loaded, args.model)
    if args.json and len(targets) > 1:
        raise ValueError(f"--json names one file but {args.target} has {len(targets)} endpoint models: "
                         "pick one with --model, or leave --json out (one file each under --results-dir)")
    return targets, loaded


def cmd_load(args: argparse.Namespace) -> int:
    from evalharness.loadtest.workload import prompts_workload, suite_workload
    from evalharness.suite import SuiteError

    problem = None
    try:
        targets, loaded = _plan(args)
        slos, rules = _settle(args, loaded.suite.load if loaded is not None else None)
        problem = _problem(args)
    except (ValueError, SuiteError) as exc:
        problem = str(exc)
    if problem:
        print(f"evalharness: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    workload = (suite_workload(loaded, args.max_tokens) if loaded is not None
                else prompts_workload(args.prompt, args.max_tokens or 64))
    plan = _Plan(targets, workload, loaded)
    worst = EXIT_OK
    for target in plan.targets:
        try:
            doc = _load_one(args, target, plan, slos, rules)
        except ValueError as exc:  # an API key variable that is not set, a bad tokenizer
            print(f"evalharness: {target.label}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        _report(doc, _write(args, doc))
        if args.fail_on_alert and any(a.fired for a in doc.alerts):
            worst = EXIT_GATE
    return worst


def _load_one(args: argparse.Namespace, target: Any, plan: _Plan, slos: dict[str, float],
              rules: list[Any]) -> LoadReport:
    from evalharness.loadtest.alerts import evaluate
    from evalharness.loadtest.engine import stage_record
    from evalharness.loadtest.quality import against_baseline

    def key_of(i: int) -> str | None:  # sampled answers differ anyway: not compared with the unloaded ones
        item = plan.workload.item(i)
        return item.key if item.temperature == 0 else None

    stages, knee, saturated_at = _run_stages(args, target, plan.workload)
    records = [stage_record(s, slos) for s in stages]
    if args.profile == "sweep":
        against_baseline(records, records[0], key_of)
    if plan.loaded is not None:
        _score(records, plan)
    intact, why = intact_up_to(records) if args.profile == "sweep" else (None, None)
    return LoadReport(started_at=now_iso(), target=target.label, base_url=target.base_url, model=target.model,
                      suite=str(plan.loaded.path) if plan.loaded is not None else None, profile=args.profile,
                      slos=slos, knee_rate=knee, saturated_at=saturated_at, intact_up_to=intact, degraded=why,
                      alerts=evaluate(rules, records), stages=records)


def _run_stages(args: argparse.Namespace, target: Any, workload: Any) -> tuple[list[Any], float | None, float | None]:
    from evalharness.endpoints.bounded import bounded_client
    from evalharness.endpoints.client import stream_chat
    from evalharness.endpoints.messages import client_settings
    from evalharness.loadtest.engine import StageSpec, run_stage
    from evalharness.loadtest.sweep import run_sweep

    settings = client_settings(target.endpoint)
    base = StageSpec(args.profile if args.profile != "sweep" else
                     ("poisson" if args.burstiness != 1.0 else "constant"),
                     concurrency=args.concurrency, rate=args.rate, burstiness=args.burstiness,
                     requests=args.requests, duration_s=args.duration, warmup=args.warmup, seed=args.seed)
    with bounded_client(max_connections=512, max_keepalive=64) as client:
        def send(i: int) -> Any:
            item = workload.item(i)
            return stream_chat(target.base_url, target.model, item.messages, max_tokens=item.max_tokens,
                               temperature=item.temperature, sampling=item.sampling, api_key=settings.api_key,
                               timeouts=settings.timeouts, count_tokens=settings.count_tokens, client=client)

        origin = time.perf_counter()
        if args.profile == "sweep":
            swept = run_sweep(base, send, args.sweep_steps, origin,
                              note=lambda m: print(f"{target.label}: {m}", file=sys.stderr))
            return swept.stages, swept.knee_rate, swept.saturated_at
        print(f"{target.label}: {base.profile} stage, {_size(args)}", file=sys.stderr)
        return [run_stage(base, send, origin=origin)], None, None


def _size(args: argparse.Namespace) -> str:
    parts = [f"{args.requests} requests"] if args.requests is not None else []
    parts += [f"{args.duration:g} s"] if args.duration is not None else []
    return " or ".join(parts) + (f" after {args.warmup} warm-up" if args.warmup else "")


def _score(records: list[StageRecord], plan: _Plan) -> None:
    from evalharness.loadtest.quality import score_stages
    from evalharness.scoring import OpenScorers

    suite = plan.loaded.suite
    with OpenScorers.of_suite(suite, plan.loaded.path.parent) as scorers:
        score_stages(records, plan.workload, suite.scorers, suite.tag_scorers, scorers)


def _write(args: argparse.Namespace, doc: LoadReport) -> Path:
    import re

    from evalharness.reports.loadtest import LOAD_FOLDER

    path = args.json
    if path is None:
        stamp = doc.started_at.replace(":", "").replace("-", "")[:15]
        path = args.results_dir / LOAD_FOLDER / f"{stamp}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', doc.target)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc.model_dump_json(indent=2))
    return path


def intact_up_to(records: list[StageRecord]) -> tuple[float | None, str | None]:
    """The highest offered rate of the sweep's rate stages (in order) before the first whose
    answers were not all intact (a failure, or an answer changed from the synchronous one), and
    what went wrong there."""
    best = None
    for r in records:
        if r.offered_rate is None:
            continue
        q = r.vs_synchronous
        changed = q.changed_rate if q is not None else None
        if (r.success_rate or 0) < 1 or (changed or 0) > 0:
            failed = _kinds(r.errors)
            why = (f"at {r.offered_rate:.3g} req/s: " + (f"{changed:.0%} of answers changed "
                   f"({q.shorter_rate or 0:.0%} shorter) from the unloaded ones" if q is not None and changed else "")
                   + (f"; failed: {failed}" if failed else ""))
            return best, why
        best = r.offered_rate
    return best, None


def _report(doc: LoadReport, path: Path) -> None:
    from rich.table import Table

    from evalharness.console import console

    records, slos, knee = doc.stages, doc.slos, doc.knee_rate
    scored = any(r.quality is not None or r.scores is not None for r in records)
    table = Table(title=f"{doc.base_url} · {doc.model}" + (f" · SLOs {slos}" if slos else ""))
    for col in ("stage", "offered req/s", "achieved req/s", "goodput req/s", "TTFT p50/p95 s", "ITL p50/p95 s",
                "latency p95 s", "success", "failures", "changed/shorter vs sync", *(("quality",) if scored else ()),
                "saturated"):
        table.add_column(col)
    f = lambda v, d=3: "—" if v is None else f"{v:.{d}f}"  # noqa: E731
    for r in records:
        s, n = r.summary, len(r.requests)
        ok = sum(1 for q in r.requests if q.success)
        ttft, itl, latency = (s.get(k, Percentiles()) for k in ("ttft_s", "inter_token_latency_s", "latency_s"))
        table.add_row(r.name, f(r.offered_rate, 2), f(r.achieved_rate, 2), f(r.goodput, 2) if slos else "—",
                      f"{f(ttft.p50)}/{f(ttft.p95)}", f"{f(itl.p50, 4)}/{f(itl.p95, 4)}", f(latency.p95),
                      f"{ok}/{n}", _kinds(r.errors) or "—", _vs(r.vs_synchronous),
                      *((f(r.quality),) if scored else ()), r.saturation or "no")
    console.print(table)
    if doc.profile == "sweep":
        console.print(f"knee: {f(knee, 2)} req/s (the highest rate served without saturation); "
                      + (f"saturated at {doc.saturated_at:.2f} req/s" if doc.saturated_at else "no stage saturated"))
        console.print(f"answers intact up to {f(doc.intact_up_to, 2)} req/s"
                      + (f"; {doc.degraded}" if doc.degraded else ""))
    for a in doc.alerts:
        mark = "ALERT" if a.fired else ("not evaluated" if a.fired is None else "ok")
        console.print(f"{mark}: {a.message}", markup=False)
    console.print(f"json: {path}", markup=False)


def _vs(q: VsSynchronous | None) -> str:
    if q is None or not q.compared:
        return "—"
    return f"{q.changed_rate or 0:.0%}/{q.shorter_rate or 0:.0%} of {q.compared}"


def _kinds(errors: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))


def batch_invariance_probe(args: argparse.Namespace, key: str | None, timeouts: Any) -> int:
    """`probe URL --batch-invariance N`: the canary prompts alone, then N in flight; exit 1 when
    answers under concurrency differ."""
    from evalharness.canary.batch import PROMPTS, batch_invariance
    from evalharness.endpoints.client import stream_chat

    def call(messages: list[dict[str, Any]]) -> Any:
        return stream_chat(args.base_url, args.model, messages, max_tokens=args.max_tokens, api_key=key,
                           timeouts=timeouts)

    result = batch_invariance(call, [*PROMPTS, args.prompt], args.batch_invariance)
    print(result.line())
    for e in result.examples:
        print(f"  {e.when}: {e.prompt!r} differs from word {e.first_divergence}: {e.answer!r}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(result.model_dump_json(indent=2))
    return EXIT_OK if not result.together_differ and not result.failed else EXIT_GATE


def cmd_probe(args: argparse.Namespace) -> int:
    """`evalharness probe URL`: a few requests (or a short load) against an endpoint, tabulated."""
    from rich.table import Table

    from evalharness.console import console
    from evalharness.endpoints.client import Timeouts, api_key_from_env
    from evalharness.endpoints.probe import run_probe, write_json

    if args.requests < 1 or args.concurrency < 1 or args.requests > 100_000:
        print("evalharness: --requests must be 1..100000 and --concurrency at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        key = api_key_from_env(args.api_key_env)
    except ValueError as exc:
        print(f"evalharness: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.batch_invariance:
        return batch_invariance_probe(args, key, Timeouts(total_s=args.timeout))
    results, summ = run_probe(args.base_url, args.model, args.prompt, args.requests, args.concurrency,
                              args.max_tokens, key, Timeouts(total_s=args.timeout))
    table = Table(title=f"{args.base_url} · {args.model}")
    for col in ("#", "ok", "TTFT s", "ITL s", "latency s", "tokens", "tok/s", "error"):
        table.add_column(col)
    for i, r in enumerate(results, 1):
        f = lambda v, d=3: "—" if v is None else f"{v:.{d}f}"  # noqa: E731
        table.add_row(str(i), "yes" if r.success else "no", f(r.ttft_s), f(r.inter_token_latency_s),
                      f(r.latency_s), str(r.output_tokens if r.output_tokens is not None else "—"),
                      f(r.decode_tokens_per_s, 1), r.error or "")
    console.print(table)
    lat = summ.latency_s
    console.print(f"success {summ.succeeded}/{summ.requests}, {summ.requests_per_s or 0:.2f} req/s, "
                  f"{summ.output_tokens_per_s or 0:.1f} output tok/s at concurrency {summ.concurrency}; "
                  f"latency p50 {lat.p50 or 0:.3f} s p95 {lat.p95 or 0:.3f} s; "
                  f"tokens counted by {', '.join(summ.token_count_sources) or '—'}")
    if args.json:
        write_json(args.json, results, summ)
        console.print(f"json: {args.json}")
    return EXIT_OK if summ.succeeded == summ.requests else EXIT_GATE
