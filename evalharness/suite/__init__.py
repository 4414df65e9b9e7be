"""YAML suites -> validated, frozen suite objects, with FILE:LINE error messages."""

from evalharness.suite.loader import SuiteError, load_suite
from evalharness.suite.schema import Case, Suite

__all__ = ["Case", "Suite", "SuiteError", "load_suite"]
