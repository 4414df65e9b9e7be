"""Atomic JSON writes and the append-only samples log a run writes as it goes."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def atomic_write_json(path: Path, obj: BaseModel | dict[str, Any]) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it: never half a file."""
    atomic_write_text(path, obj.model_dump_json(indent=2) if isinstance(obj, BaseModel) else json.dumps(obj, indent=2))


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write_json` for text already made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # readable like any other file the user writes (not mkstemp's 0600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class SamplesLog:
    """`<run_id>.samples.jsonl`: one JSON record a line, flushed as each is written.

    Records have a `kind`: `header` (the run), `variant` (identity, status, load figures),
    `sample` (one measured generation, unscored) and `resume` (a later machine that went on with
    it). A run's report can be rebuilt from it alone. One writer at a time: a lock file beside
    the log holds the writer's pid.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _exclusive_lock(path.with_name(path.name + ".lock"))
        torn = path.exists() and path.stat().st_size > 0 and not _ends_with_newline(path)
        self._fh = open(path, "a", encoding="utf-8")
        self._write_lock = threading.Lock()
        if torn:  # a run killed mid-line: close that line so the next record is not glued to it
            self._fh.write("\n")

    def write(self, kind: str, record: BaseModel) -> None:
        body = record.model_dump(mode="json")
        line = json.dumps({"kind": kind, **body}, ensure_ascii=False) + "\n"
        with self._write_lock:  # variants on Ray are driven from threads of their own
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()
        _release(self._lock)


class RunInUse(Exception):
    """Another process is writing this run; the message names it."""


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _exclusive_lock(lock_path: Path) -> tuple[int, Path]:
    """Hold `lock_path` exclusively (flock) with our pid in it, or raise RunInUse."""
    import fcntl

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 64).decode("ascii", "replace").strip() or "another process"
        os.close(fd)
        raise RunInUse(f"{lock_path.with_suffix('')} is being written by process {holder}; "
                       "wait for it to finish (or stop it) before resuming") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd, lock_path


def _release(lock: tuple[int, Path]) -> None:
    fd, lock_path = lock
    try:
        lock_path.unlink()
    except OSError:
        pass
    os.close(fd)
