"""Atomic JSON writes and the append-only samples log a run writes as it goes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def atomic_write_json(path: Path, obj: BaseModel | dict[str, Any]) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = obj.model_dump_json(indent=2) if isinstance(obj, BaseModel) else json.dumps(obj, indent=2)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


class SamplesLog:
    """`<run_id>.samples.jsonl`: one JSON record a line, flushed as each is written.

    Records have a `kind`: `header` (the run), `variant` (identity, status, load figures) and
    `sample` (one measured generation, unscored). A run's report can be rebuilt from it alone.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "a", encoding="utf-8")

    def write(self, kind: str, record: BaseModel) -> None:
        body = record.model_dump(mode="json")
        self._fh.write(json.dumps({"kind": kind, **body}, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
