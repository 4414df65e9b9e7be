"""What every command shares about a process's life: exit codes, SIGTERM, run ids, error text."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import math
import os
import re
import secrets
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CACHE_ENV = "EVALHARNESS_CACHE"
VERBOSE_ENV = "EVALHARNESS_VERBOSE"  # set (by `--verbose`): third-party warnings stay on the terminal
# libraries that warn on stderr about what a user cannot act on (torchao's optional CUDA kernels on
# a CPU machine, torch's deprecations of its own internals); Python warnings join them
THIRD_PARTY_LOGGERS = ("torchao", "torch.utils._pytree", "py.warnings")
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


def cache_root() -> Path:
    """`$EVALHARNESS_CACHE`, else `~/.cache/evalharness`."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "evalharness"


def third_party_log() -> Path:
    return cache_root() / "third-party.log"


def third_party_warnings_to_log() -> None:
    """Third-party warnings go to `third_party_log()` instead of the terminal, unless
    `$EVALHARNESS_VERBOSE` is set; called as evalharness is imported (also by the fork server
    that workers start from, before it imports torch)."""
    if os.environ.get(VERBOSE_ENV):
        return
    try:
        third_party_log().parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            third_party_log(), maxBytes=1 << 20, backupCount=1, delay=True, encoding="utf-8")
    except OSError:  # a read-only home: the warnings are dropped rather than shown
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s pid %(process)d %(name)s %(levelname)s: %(message)s"))
    for name in THIRD_PARTY_LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
    logging.captureWarnings(True)
    _routed.append(handler)


_routed: list[logging.Handler] = []


def third_party_warnings_shown() -> None:
    """Undo `third_party_warnings_to_log` in this process and in the workers it starts."""
    os.environ[VERBOSE_ENV] = "1"
    for handler in _routed:
        for name in THIRD_PARTY_LOGGERS:
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).propagate = True
    _routed.clear()
    logging.captureWarnings(False)
