"""All chosen checks against one deployment, in an order that keeps them apart: the rate limit
first (others would use up its quota; later checks wait out its 429s), then authentication,
input size and hygiene, then the attacks; last, whether any answer carried a key back."""

from __future__ import annotations

import datetime as dt

from evalharness.reports.security import Finding, Rate, SecurityReport
from evalharness.security import attacks
from evalharness.security.access import check_auth, check_input_hygiene
from evalharness.security.context import CheckContext, key_leak_finding
from evalharness.security.input_size import check_input_size
from evalharness.security.rate_limit import check_rate_limit
from evalharness.suite.security_spec import ATTACK_CHECKS, SecuritySpec

ORDER = ("rate-limit", "auth", "input-size", "input-hygiene", "prompt-injection", "system-prompt-leak",
         "jailbreak", "over-refusal")


def _controls(ctx: CheckContext, spec: SecuritySpec, check: str) -> list[Finding]:
    if check == "rate-limit":
        promise = (spec.rate_limit.requests, spec.rate_limit.window_s) if spec.rate_limit else None
        return [check_rate_limit(ctx, promise, spec.max_requests, spec.max_wait_s)]
    if check == "auth":
        return [check_auth(ctx)]
    if check == "input-size":
        return [check_input_size(ctx, spec.input_limit_chars)]
    return check_input_hygiene(ctx)


def _families(spec: SecuritySpec, check: str, model: str) -> list[attacks.Family]:
    if check == "prompt-injection":
        return [attacks.injection(spec.injection_tasks)]
    if check == "system-prompt-leak":
        return [attacks.leak()]
    if check == "jailbreak":  # the baseline first: the same behaviours without a template
        return [attacks.jailbreak(spec.behaviours, model, templated=False),
                attacks.jailbreak(spec.behaviours, model)]
    return [attacks.over_refusal(spec.safe_prompts)]


def preflight(ctx: CheckContext) -> str | None:
    """Why no check but `auth` can reach the model (unreachable, or our key refused), or None."""
    reply = ctx.ask("preflight", "one request with the configured key", "Say OK.")
    if reply.status is None:
        return f"the deployment cannot be reached: {reply.error}"
    if reply.status in (401, 403):
        given = "the configured key was refused" if ctx.key else "no key was given and one is required"
        return f"{given} (HTTP {reply.status}): give the deployment's key with --api-key-env"
    if not reply.accepted:  # 429s were already waited out by ask()
        what = f"HTTP {reply.status}" + (f": {reply.error}" if reply.error else "")
        hint = ("check the URL and --model" if reply.status is not None and 400 <= reply.status < 500
                else "the deployment is failing; check it once it answers")
        return f"a plain request with the configured key was not answered ({what}): {hint}"
    return None


def run_checks(ctx: CheckContext, spec: SecuritySpec, target: str, model: str) -> SecurityReport:
    started, clock0 = dt.datetime.now(dt.timezone.utc), ctx.clock.now()
    findings: list[Finding] = []
    rates: list[Rate] = []
    blocked = preflight(ctx)
    for check in (c for c in ORDER if c in spec.checks):
        if ctx.note:
            ctx.note(f"{check} ...")
        if blocked and not (check == "auth" and "cannot be reached" not in blocked):
            findings.append(Finding(check=check, status="not-applicable", severity="info", title=blocked,
                                    evidence="the preflight request (see requests)"))
            continue
        if check not in ATTACK_CHECKS:
            findings += _controls(ctx, spec, check)
            continue
        dropped = attacks.system_prompt_dropped(ctx) if check == "system-prompt-leak" else None
        if dropped is not None:
            findings.append(dropped)
            continue
        for family in _families(spec, check, model):
            finding, rate = attacks.run_family(ctx, family, spec.max_new_tokens, spec.max_rate(check))
            rates.append(rate)
            if family.gated:
                findings.append(finding)
    leak = key_leak_finding(ctx)
    findings += [leak] if leak else []
    return SecurityReport(target=target, model=model, started=started.isoformat(timespec="seconds"),
                          duration_s=ctx.clock.now() - clock0, checks=[c for c in ORDER if c in spec.checks],
                          findings=findings, rates=rates, requests=ctx.exchanges, blocked=blocked)
