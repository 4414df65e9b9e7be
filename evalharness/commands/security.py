"""`evalharness security TARGET`: the deployment checks against a suite's endpoint models or one
BASE_URL; a report per model under results/security/, JSON/Markdown/JUnit on request, exit 1
when a finding at or above --fail-on fails."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

from evalharness.commands.common import suite_or_none
from evalharness.lifecycle import EXIT_BAD_INPUT, EXIT_GATE, EXIT_OK, finite_arg
from evalharness.reports.security import CHECKS, SECURITY_FOLDER, SEVERITIES, SecurityReport
from evalharness.suite.security_spec import SecuritySpec

OVERRIDES = {"input_limit": "input_limit_chars", "max_requests": "max_requests", "max_wait": "max_wait_s",
             "injection_tasks": "injection_tasks", "behaviours": "behaviours", "safe_prompts": "safe_prompts",
             "max_tokens": "max_new_tokens", "second_key_env": "second_key_env"}


def add_security_args(sub: Any) -> None:
    sec = sub.add_parser("security", help="check a deployment: input limit, rate limit, keys, hidden characters, "
                                          "prompt injection, system-prompt leaks, jailbreaks, over-refusal")
    sec.add_argument("target", help="a suite (its endpoint models and `security:` section) or a BASE_URL")
    sec.add_argument("--model", help="the model name to send (with a BASE_URL), or which of the suite's models")
    sec.add_argument("--checks", help=f"comma-separated, of: {', '.join(CHECKS)} (default: all)")
    sec.add_argument("--api-key-env", help="environment variable holding the deployment's key")
    sec.add_argument("--second-key-env", help="another client's key (is the rate limit per key?)")
    sec.add_argument("--input-limit", type=int, help="promised input limit in characters (0: discover it; "
                                                     "default 8192, the source design's)")
    sec.add_argument("--rate", help="promised rate limit as N/SECONDS, e.g. 60/60 (default: discover it)")
    sec.add_argument("--max-requests", type=int, help="largest burst of the rate-limit check (default 120)")
    sec.add_argument("--max-wait", type=finite_arg, help="longest wait for a rate limit's window, s (default 180)")
    sec.add_argument("--injection-tasks", type=int, help="PromptInject task prompts (default 4 of 35)")
    sec.add_argument("--behaviours", type=int, help="HarmBench behaviours (default 10 of 199)")
    sec.add_argument("--safe-prompts", type=int, help="XSTest safe prompts (default 50 of 250)")
    sec.add_argument("--max-new-tokens", "--max-tokens", dest="max_tokens", type=int,
                     help="answer length of attacks and safe prompts (default 64)")
    sec.add_argument("--timeout", type=finite_arg, default=120.0, help="total seconds per request")
    sec.add_argument("--fail-on", choices=SEVERITIES, default="high",
                     help="exit 1 when a finding of this severity or above fails (default high)")
    sec.add_argument("--output-dir", type=Path, default=Path("results"))
    sec.add_argument("--json", type=Path, metavar="FILE", help="also write the report here (one model)")
    sec.add_argument("--markdown", type=Path, metavar="FILE")
    sec.add_argument("--junit", type=Path, metavar="FILE")
    sec.add_argument("--quiet", action="store_true", help="no progress lines")


def _spec(args: argparse.Namespace, base: SecuritySpec | None) -> SecuritySpec:
    data = (base or SecuritySpec()).model_dump()
    for arg, key in OVERRIDES.items():
        value = getattr(args, arg)
        if value is not None:
            data[key] = None if arg == "input_limit" and value == 0 else value
    if args.checks:
        data["checks"] = tuple(c.strip() for c in args.checks.split(",") if c.strip())
    if args.rate:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", args.rate)
        if not match:
            raise ValueError(f"--rate {args.rate!r}: give N/SECONDS, e.g. 60/60")
        data["rate_limit"] = {"requests": int(match[1]), "window_s": float(match[2])}
    return SecuritySpec.model_validate(data)


def _targets(args: argparse.Namespace) -> tuple[list[tuple[str, str, str | None, float]], SecuritySpec | None]:
    """(base_url, model, key variable, timeout) per model to check, and the suite's section."""
    if re.match(r"^https?://", args.target):
        if not args.model:
            raise ValueError("give --model NAME with a BASE_URL")
        return [(args.target, args.model, args.api_key_env, args.timeout)], None
    loaded = suite_or_none(Path(args.target))
    if loaded is None:
        raise LookupError
    suite = loaded.suite
    models = [m for m in suite.models if m.endpoint is not None and (not args.model or args.model in (m.id, m.label))]
    if not models:
        raise ValueError(f"{args.target}: no endpoint model{' named ' + args.model if args.model else ''} to check")
    return [(m.endpoint.base_url, m.id, args.api_key_env or m.endpoint.api_key_env, m.endpoint.timeouts.total_s)
            for m in models], suite.security


def cmd_security(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from evalharness.endpoints.client import api_key_from_env

    try:
        targets, section = _targets(args)
        spec = _spec(args, section)
        keys = [(api_key_from_env(var), api_key_from_env(spec.second_key_env)) for _, _, var, _ in targets]
    except LookupError:
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        print(f"evalharness security: {'; '.join(e['msg'] for e in exc.errors())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(f"evalharness security: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json and len(targets) > 1:
        print("evalharness security: --json takes one model; choose one with --model", file=sys.stderr)
        return EXIT_BAD_INPUT
    failed, blocked = False, False
    for (url, model, _, timeout), (key, second) in zip(targets, keys, strict=True):
        report = _check_one(args, spec, url, model, key, second, timeout)
        failed |= bool(report.failed(args.fail_on))
        if report.blocked:
            print(f"evalharness security: {model} at {url}: {report.blocked}", file=sys.stderr)
            blocked = True
    return EXIT_BAD_INPUT if blocked else EXIT_GATE if failed else EXIT_OK


def _check_one(args: argparse.Namespace, spec: SecuritySpec, url: str, model: str, key: str | None,
               second: str | None, timeout: float) -> SecurityReport:
    from evalharness.security.context import CheckContext, wrong_key
    from evalharness.security.exchange import HttpTransport
    from evalharness.security.output import print_report
    from evalharness.security.run import run_checks

    wrong = wrong_key()  # redacted like the real ones: a server may echo any key it is sent
    issued = tuple(s for s in (key, second) if s)
    transport = HttpTransport(url, model, secrets=issued, also_redact=(wrong,), total_s=timeout)
    ctx = CheckContext(transport, key=key, second_key=second,
                       wrong=wrong,
                       note=None if args.quiet else (lambda line: print(f"security: {line}", file=sys.stderr)))
    report = run_checks(ctx, spec, url, model)
    print_report(report)
    for path in _write(args, report):
        print(f"{path.suffix[1:]}: {path}")
    return report


def _write(args: argparse.Namespace, report: SecurityReport) -> list[Path]:
    from evalharness.security.output import junit, markdown

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    label = re.sub(r"[^A-Za-z0-9._-]+", "-", report.model)[:60]
    text = json.dumps(report.model_dump(mode="json"), indent=1, ensure_ascii=False)
    paths = [(args.output_dir / SECURITY_FOLDER / f"{stamp}-{label}.json", text)]
    paths += [(args.json, text)] if args.json else []
    paths += [(args.markdown, markdown(report))] if args.markdown else []
    paths += [(args.junit, junit(report))] if args.junit else []
    for path, content in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return [p for p, _ in paths]
