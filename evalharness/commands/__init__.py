"""The command line: `main` parses and dispatches; each command (or group) lives in its own module,
imported when it runs."""

from pathlib import Path

DEFAULT_SUITE = Path("suites/default.yaml")  # `evalharness run` without a suite
