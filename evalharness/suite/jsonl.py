"""JSON Lines as case files hold them: one object per line; bad lines are (line, message)."""

from __future__ import annotations

import json
from typing import Any


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key[:60]!r} is given twice")
        out[key] = value
    return out


def parse_object(line: str) -> tuple[dict[str, Any] | None, str | None]:
    """One line's JSON object, or why it is none: invalid JSON, nested too deep, a number too
    long to convert (Python refuses integers of over 4,300 digits), a key given twice."""
    try:
        obj = json.loads(line, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    except RecursionError:
        return None, "invalid JSON: nested too deep"
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            return None, "invalid JSON: a number of over 4,300 digits (give long ids as strings)"
        return None, f"invalid JSON: {str(exc)[:120]}"
    if not isinstance(obj, dict):
        return None, "each line must be a JSON object"
    return obj, None


def json_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: split at LF only (a JSON string may hold U+2028 or other
    characters `str.splitlines` would split at), a CR before it dropped."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def json_object_lines(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """(line number, object) for each non-blank line holding a JSON object; (line, why) for the rest."""
    rows, problems = [], []
    for n, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        obj, problem = parse_object(line)
        if problem is not None:
            problems.append((n, problem))
        else:
            rows.append((n, obj))
    return rows, problems
