"""Shared by the CLI commands: load a suite or a report, or say why not on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from evalharness.reports import ReportError, load_baseline, load_report
from evalharness.reports.schema import Report
from evalharness.suite import SuiteError, load_suite
from evalharness.suite.loader import LoadedSuite


def suite_or_none(path: Path, case_files_anywhere: bool = False) -> LoadedSuite | None:
    """The validated suite, or None after printing every `FILE:LINE: path: message` line."""
    try:
        return load_suite(path, case_files_anywhere)
    except SuiteError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def baseline_or_none(path: Path, what: str = "") -> list[Report] | None:
    """The baseline's runs (one report, or a pinned set of several), or None after saying why."""
    try:
        return load_baseline(path)
    except ReportError as exc:
        print(f"evalharness: {what + ': ' if what else ''}{exc}", file=sys.stderr)
        return None


def report_or_none(path: Path, what: str = "") -> Report | None:
    """The report, or None after printing why it cannot be read (the message names the file)."""
    try:
        return load_report(path)
    except ReportError as exc:
        print(f"evalharness: {what + ': ' if what else ''}{exc}", file=sys.stderr)
        return None
