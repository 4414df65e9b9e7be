"""Comparison outputs for CI: terminal table, Markdown, JUnit XML and JSON."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.table import Table

from evalharness.compare.rows import Comparison, MetricComparison
from evalharness.text import md_code, md_line, xml_text

ICONS = {"regression": "❌", "improvement": "✅", "no change": "➖", "inconclusive": "❔",
         "non-inferior": "✅", "inferior": "❌"}
COLOURS = {"regression": "red", "improvement": "green", "no change": "dim", "inconclusive": "yellow",
           "non-inferior": "green", "inferior": "red"}


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.4g}" if abs(value) < 10000 else f"{value:.0f}"
    return f"{text} {unit}".strip()


def fmt_change(row: MetricComparison) -> str:
    if row.change is None:
        return "—"
    if row.relative:
        text = f"{row.change:+.1%}"
        if row.ci_low is not None:
            text += f" [{row.ci_low:+.1%}, {row.ci_high:+.1%}]"
    else:
        text = f"{row.change:+.3f}"
        if row.ci_low is not None:
            text += f" [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
    if row.p_value is not None:
        text += f" p={row.p_value:.3g}"
    return text


def terminal_table(cmp: Comparison) -> Table:
    table = Table(title=f"baseline {cmp.baseline_run} -> candidate {cmp.candidate_run}")
    for col in ("variant", "metric", "baseline", "candidate", "change [95% CI]", "verdict", "gates"):
        table.add_column(col)
    for r in cmp.rows:
        table.add_row(r.variant_id, r.metric, fmt_value(r.baseline, r.unit),
                      fmt_value(r.candidate, r.unit), fmt_change(r),
                      f"[{COLOURS[r.verdict]}]{r.verdict}[/]", r.severity or "no")
    return table


def _side_lists(cmp: Comparison) -> list[str]:
    lines = []
    if cmp.variants_only_in_baseline:
        lines.append(f"variants only in the baseline: {', '.join(cmp.variants_only_in_baseline)}")
    if cmp.variants_only_in_candidate:
        lines.append(f"variants only in the candidate: {', '.join(cmp.variants_only_in_candidate)}")
    for vid, cases in cmp.cases_only_in_baseline.items():
        lines.append(f"{vid}: cases only in the baseline: {', '.join(cases)}")
    for vid, cases in cmp.cases_only_in_candidate.items():
        lines.append(f"{vid}: cases only in the candidate: {', '.join(cases)}")
    for diff in cmp.environment_differences:
        lines.append(f"environment differs ({diff}): timing verdicts compare different machines or libraries")
    return lines


def notes(cmp: Comparison) -> list[str]:
    return _side_lists(cmp)


def markdown(cmp: Comparison) -> str:
    failures = cmp.gating_failures("info")
    head = "❌ **regression**" if failures else "✅ **no gating regression**"
    out = [f"## evalharness: {head}", "",
           f"Baseline {md_code(cmp.baseline_run)} → candidate {md_code(cmp.candidate_run)}; timings ±"
           f"{cmp.policy.timing_tolerance:.0%} tolerance, memory ±{cmp.policy.memory_tolerance:.0%}, "
           f"scores ±{cmp.policy.score_tolerance}, {cmp.policy.confidence:.0%} confidence.", ""]
    out += ["| variant | metric | baseline | candidate | change [CI] | verdict | gates |",
            "|---|---|---:|---:|---|---|---|"]
    for r in cmp.rows:
        out.append(f"| {md_code(r.variant_id)} | {r.metric} | {fmt_value(r.baseline, r.unit)} | "
                   f"{fmt_value(r.candidate, r.unit)} | {fmt_change(r)} | {ICONS[r.verdict]} "
                   f"{r.verdict} | {r.severity or 'no'} |")
    extra = _side_lists(cmp)
    if extra:
        out += ["", *[f"- {md_line(line)}" for line in extra]]
    return "\n".join(out) + "\n"


def junit(cmp: Comparison) -> str:
    """One testcase per variant x gated metric; regressions are failures carrying the numbers."""
    suite = ET.Element("testsuite", name="evalharness.compare")
    tests = failures = skipped = 0
    for r in cmp.rows:
        if r.severity is None:
            continue
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=xml_text(r.variant_id), name=r.metric)
        detail = (f"baseline {fmt_value(r.baseline, r.unit)}, candidate {fmt_value(r.candidate, r.unit)}, "
                  f"change {fmt_change(r)}, verdict {r.verdict}, severity {r.severity}")
        if r.verdict in ("regression", "inferior"):
            failures += 1
            word = "regressed" if r.verdict == "regression" else "inferior"
            fail = ET.SubElement(case, "failure", message=f"{r.metric} {word}: {fmt_change(r)}", type=r.verdict)
            fail.text = detail
        elif r.verdict == "inconclusive":
            skipped += 1
            ET.SubElement(case, "skipped", message=f"inconclusive: {detail}")
        else:
            out = ET.SubElement(case, "system-out")
            out.text = detail
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def strict_json(obj):
    """The object with every NaN or infinity replaced by null: output that strict parsers read."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    return obj


def write_outputs(cmp: Comparison, markdown_path: Path | None, junit_path: Path | None,
                  json_path: Path | None) -> None:
    for path, text in ((markdown_path, markdown), (junit_path, junit),
                       (json_path, lambda c: json.dumps(strict_json(c.to_dict()), indent=2, allow_nan=False))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text(cmp), encoding="utf-8")
