"""JSON Lines as case files hold them: one object per line; bad lines are (line, message)."""

from __future__ import annotations

import json
from typing import Any


def json_object_lines(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """(line number, object) for each non-blank line holding a JSON object; (line, why) for the rest."""
    rows, problems = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            problems.append((n, f"invalid JSON: {getattr(exc, 'msg', 'nested too deep')}"))
            continue
        if not isinstance(obj, dict):
            problems.append((n, "each line must be a JSON object"))
            continue
        rows.append((n, obj))
    return rows, problems
