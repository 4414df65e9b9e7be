"""Report schema (versioned), atomic writer, and the reader everything else uses."""

from evalharness.reports.reader import ReportError, list_runs, load_baseline, load_report, read_samples_log
from evalharness.reports.schema import SCHEMA_VERSION, Report, Sample, Variant

__all__ = [
    "SCHEMA_VERSION", "Report", "ReportError", "Sample", "Variant",
    "list_runs", "load_baseline", "load_report", "read_samples_log",
]
