"""`evalharness load BASE_URL --model NAME`: an endpoint under a load profile, stage by stage."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_OK

PROMPTS = ("Say hello in one short sentence.", "Name three colours.", "What is 12 times 7?",
           "Give one tip for writing clear code.")


def add_load_args(sub: Any) -> None:
    ld = sub.add_parser("load", help="load-test an OpenAI-compatible endpoint: profiles, SLOs, goodput, a sweep")
    ld.add_argument("base_url", help="as clients take it, e.g. http://127.0.0.1:8080/v1")
    ld.add_argument("--model", required=True, help="the model name at the endpoint")
    ld.add_argument("--profile", default="synchronous",
                    choices=["synchronous", "concurrent", "throughput", "constant", "poisson", "sweep"],
                    help="synchronous: one at a time; concurrent/throughput: N in flight; constant/poisson: "
                    "requests/s offered whatever is in flight; sweep: synchronous, throughput, then rates "
                    "between until saturation")
    ld.add_argument("--concurrency", type=int, default=4, help="requests in flight (concurrent, throughput, sweep)")
    ld.add_argument("--rate", type=float, help="requests/s offered (constant, poisson)")
    ld.add_argument("--burstiness", type=float, default=1.0, help="gamma arrivals' shape (1 = Poisson; <1 burstier)")
    ld.add_argument("--requests", type=int, help="measured requests per stage")
    ld.add_argument("--duration", type=float, help="seconds of sending per stage")
    ld.add_argument("--warmup", type=int, default=1, help="requests per stage left out of the figures")
    ld.add_argument("--sweep-steps", type=int, default=4, help="sweep: rates between synchronous and throughput")
    ld.add_argument("--slo", action="append", default=[], metavar="NAME=SECONDS",
                    help="ttft_p95_s, itl_p95_s or latency_p95_s; repeatable. Goodput counts requests meeting all")
    ld.add_argument("--max-tokens", type=int, default=64)
    ld.add_argument("--prompt", action="append", help="a prompt (repeatable; requests cycle through them)")
    ld.add_argument("--api-key-env", help="environment variable holding the API key")
    ld.add_argument("--timeout", type=float, default=120.0, help="total seconds per request")
    ld.add_argument("--seed", type=int, default=0, help="seed of the poisson arrivals")
    ld.add_argument("--json", type=Path, metavar="FILE", help="write {stages: [...]} as JSON")


def parse_slos(items: list[str]) -> dict[str, float]:
    from evalharness.load.engine import SLO_FIELDS

    out: dict[str, float] = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in SLO_FIELDS:
            raise ValueError(f"unknown SLO {name!r}: use {', '.join(SLO_FIELDS)} (e.g. ttft_p95_s=0.5)")
        try:
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"SLO {name}: {value!r} is not a number of seconds") from None
        if not out[name] > 0:
            raise ValueError(f"SLO {name} must be above 0 s")
    return out


def _problem(args: argparse.Namespace) -> str | None:
    if args.requests is None and args.duration is None:
        return "give --requests and/or --duration (each stage stops at whichever comes first)"
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
    return None


def cmd_load(args: argparse.Namespace) -> int:
    import httpx

    from evalharness.endpoints.client import Timeouts, api_key_from_env, stream_chat
    from evalharness.load.engine import StageSpec, run_stage, stage_record
    from evalharness.load.quality import against_baseline
    from evalharness.load.sweep import run_sweep

    problem = _problem(args)
    try:
        slos = parse_slos(args.slo)
        key = api_key_from_env(args.api_key_env)
    except ValueError as exc:
        problem = str(exc)
    if problem:
        print(f"evalharness: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    prompts = args.prompt or list(PROMPTS)
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
    with httpx.Client(limits=limits) as client:
        def send(i: int) -> Any:
            return stream_chat(args.base_url, args.model, [{"role": "user", "content": prompts[i % len(prompts)]}],
                               max_tokens=args.max_tokens, api_key=key, timeouts=Timeouts(total_s=args.timeout),
                               client=client)

        base = StageSpec(args.profile if args.profile != "sweep" else
                         ("poisson" if args.burstiness != 1.0 else "constant"),
                         concurrency=args.concurrency, rate=args.rate, burstiness=args.burstiness,
                         requests=args.requests, duration_s=args.duration, warmup=args.warmup, seed=args.seed)
        origin = time.perf_counter()
        if args.profile == "sweep":
            swept = run_sweep(base, send, args.sweep_steps, origin, note=lambda m: print(m, file=sys.stderr))
            stages, knee, saturated_at = swept.stages, swept.knee_rate, swept.saturated_at
        else:
            stages, knee, saturated_at = [run_stage(base, send, origin=origin)], None, None
    records = [stage_record(s, slos) for s in stages]
    if args.profile == "sweep":
        against_baseline(records, records[0], lambda i: prompts[i % len(prompts)])
    return _report(args, records, slos, knee, saturated_at)


def intact_up_to(records: list[dict[str, Any]]) -> tuple[float | None, str | None]:
    """The highest offered rate of the sweep's rate stages (in order) before the first whose
    answers were not all intact (a failure, or an answer changed from the synchronous one), and
    what went wrong there."""
    best = None
    for r in records:
        if r["offered_rate"] is None:
            continue
        q = r.get("vs_synchronous") or {}
        if (r["success_rate"] or 0) < 1 or (q.get("changed_rate") or 0) > 0:
            failed = _kinds(r["errors"])
            why = (f"at {r['offered_rate']:.3g} req/s: " + (f"{q['changed_rate']:.0%} of answers changed "
                   f"({q['shorter_rate']:.0%} shorter) from the unloaded ones" if q.get("changed_rate") else "")
                   + (f"; failed: {failed}" if failed else ""))
            return best, why
        best = r["offered_rate"]
    return best, None


def _report(args: argparse.Namespace, records: list[dict[str, Any]], slos: dict[str, float], knee: float | None,
            saturated_at: float | None) -> int:
    from rich.table import Table

    from evalharness.console import console

    table = Table(title=f"{args.base_url} · {args.model}" + (f" · SLOs {slos}" if slos else ""))
    for col in ("stage", "offered req/s", "achieved req/s", "goodput req/s", "TTFT p50/p95 s", "ITL p50/p95 s",
                "latency p95 s", "success", "failures", "changed/shorter vs sync", "saturated"):
        table.add_column(col)
    f = lambda v, d=3: "—" if v is None else f"{v:.{d}f}"  # noqa: E731
    for r in records:
        s, n = r["summary"], len(r["requests"])
        stage_name = r["profile"] + (f" {r['offered_rate']:.3g}/s" if r["offered_rate"] else "")
        ok = sum(1 for q in r["requests"] if q["success"])
        stage_name += f" x{r['concurrency']}" if r["profile"] in ("concurrent", "throughput") else ""
        table.add_row(stage_name, f(r["offered_rate"], 2), f(r["achieved_rate"], 2),
                      f(r["goodput"], 2) if slos else "—",
                      f"{f(s['ttft_s']['p50'])}/{f(s['ttft_s']['p95'])}",
                      f"{f(s['inter_token_latency_s']['p50'], 4)}/{f(s['inter_token_latency_s']['p95'], 4)}",
                      f(s["latency_s"]["p95"]), f"{ok}/{n}",
                      _kinds(r["errors"]) or "—",
                      _vs(r.get("vs_synchronous")), r["saturation"] or "no")
    console.print(table)
    intact, why = intact_up_to(records) if args.profile == "sweep" else (None, None)
    if args.profile == "sweep":
        console.print(f"knee: {f(knee, 2)} req/s (the highest rate served without saturation); "
                      + (f"saturated at {saturated_at:.2f} req/s" if saturated_at else "no stage saturated"))
        console.print(f"answers intact up to {f(intact, 2)} req/s" + (f"; {why}" if why else ""))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"base_url": args.base_url, "model": args.model, "profile": args.profile,
                                         "slos": slos, "knee_rate": knee, "saturated_at": saturated_at,
                                         "intact_up_to": intact, "degraded": why, "stages": records}, indent=2))
        console.print(f"json: {args.json}")
    return EXIT_OK


def _vs(q: dict[str, Any] | None) -> str:
    if not q or not q["compared"]:
        return "—"
    return f"{q['changed_rate']:.0%}/{q['shorter_rate']:.0%} of {q['compared']}"


def _kinds(errors: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))
