"""A security report as Markdown (for a PR or a review), JUnit XML (a testcase per finding) and a
terminal table."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from evalharness.reports.security import Rate, SecurityReport
from evalharness.text import md_line, xml_text

ICONS = {"pass": "✅", "fail": "❌", "not-applicable": "➖"}


def fmt_rate(r: Rate) -> str:
    if r.rate is None:
        return f"— (0 answered, {r.errors} errors)"
    return f"{r.successes}/{r.n} = {r.rate:.1%} [{r.low:.1%}, {r.high:.1%}]"


def markdown(report: SecurityReport) -> str:
    out = [f"## Security checks: {md_line(report.model)} at {md_line(report.target)}", "",
           f"{report.started}, {report.duration_s:.0f} s, {len(report.requests)} requests", "",
           "| check | status | severity | finding |", "|---|---|---|---|"]
    for f in report.findings:
        out.append(f"| {f.check} | {ICONS[f.status]} {f.status} | {f.severity} | {md_line(f.title)} |")
    if report.rates:
        out += ["", "| check | counted | rate [95% interval] | clustered by |", "|---|---|---|---|"]
        out += [f"| {r.check} | {r.name} | {fmt_rate(r)} | {r.clusters} |" for r in report.rates]
    out += ["", "Evidence:", ""]
    out += [f"- **{f.check}**: {md_line(f.evidence)}" for f in report.findings]
    return "\n".join(out) + "\n"


def junit(report: SecurityReport) -> str:
    suite = ET.Element("testsuite", name="evalharness.security")
    failures = skipped = 0
    for i, f in enumerate(report.findings):
        case = ET.SubElement(suite, "testcase", classname=xml_text(f"{report.model}.{f.check}"),
                             name=xml_text(f"{i + 1}. {f.title[:120]}"))
        if f.status == "fail":
            failures += 1
            fail = ET.SubElement(case, "failure", message=xml_text(f.title), type=f.severity)
            fail.text = xml_text(f.evidence)
        elif f.status == "not-applicable":
            skipped += 1
            ET.SubElement(case, "skipped", message=xml_text(f.title))
        else:
            ET.SubElement(case, "system-out").text = xml_text(f.evidence)
    for key, value in (("tests", len(report.findings)), ("failures", failures), ("errors", 0), ("skipped", skipped)):
        suite.set(key, str(value))
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def print_report(report: SecurityReport) -> None:
    from rich.table import Table

    from evalharness.console import console

    table = Table(title=f"security · {report.model} · {report.target}")
    for col in ("check", "status", "severity", "finding"):
        table.add_column(col, overflow="fold")
    for f in report.findings:
        table.add_row(f.check, f"{ICONS[f.status]} {f.status}", f.severity, f.title)
    console.print(table)
    for r in report.rates:
        console.print(f"{r.check}: {r.name} {fmt_rate(r)}, clustered by {r.clusters}")
