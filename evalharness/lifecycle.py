"""What every command shares about a process's life: exit codes, SIGTERM, run ids, error text."""

from __future__ import annotations

import contextlib
import math
import re
import secrets
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

EXIT_OK, EXIT_GATE, EXIT_BAD_INPUT, EXIT_IO, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# a name that is safe as one path component: suite names, run ids, baseline files
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def finite(text: str) -> float:
    """A number given on a command line or in a rule: ValueError for NaN and infinities (a NaN
    threshold never fires, an infinite tolerance never fails) and for what is not a number."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def finite_arg(text: str) -> float:
    """`finite` as an argparse type: `argument --rate: 'inf' is not a finite number`, exit 2."""
    import argparse

    try:
        return finite(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the work like Ctrl-C (KeyboardInterrupt), so partial results are still written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def error_text(exc: BaseException, limit: int = 500) -> str:
    """`Type: first line of the message`, short enough for a report field."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:limit]
