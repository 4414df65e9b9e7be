"""Deterministic per-case assertions (contains, regex, is_json, ...), as promptfoo users know them.

A case passes (1.0) when every one of its assertions passes; the variant's mean is its pass rate.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalharness.scorers.base import Score, Scorer, ScoringInput, register


def check(assertion: Any, output: str) -> tuple[bool, str]:
    """(passed, description) for one assertion, negation applied."""
    kind, value = assertion.type, assertion.value
    text, target = (output.lower(), str(value).lower()) if assertion.ignore_case else (output, value)
    if kind == "contains":
        ok, what = str(target) in text, f"contains {value!r}"
    elif kind == "not_contains":
        ok, what = str(target) not in text, f"does not contain {value!r}"
    elif kind == "equals":
        ok, what = text.strip() == str(target).strip(), f"equals {value!r}"
    elif kind == "regex":
        flags = re.IGNORECASE if assertion.ignore_case else 0
        ok, what = re.search(str(value), output, flags) is not None, f"matches /{value}/"
    elif kind == "max_chars":
        ok, what = len(output) <= int(value), f"at most {value} characters (has {len(output)})"
    elif kind == "is_json":
        ok, what = _is_json(output, assertion.json_schema)
    else:  # the schema's Literal makes this unreachable
        raise ValueError(f"unknown assertion type {kind!r}")
    if assertion.negate:
        return not ok, f"not ({what})"
    return ok, what


def _is_json(output: str, schema: dict[str, Any] | None) -> tuple[bool, str]:
    try:
        data = json.loads(output.strip())
    except json.JSONDecodeError as exc:
        return False, f"is JSON ({exc.msg})"
    if schema is None:
        return True, "is JSON"
    import jsonschema

    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        return False, f"is JSON matching the schema ({exc.message})"
    return True, "is JSON matching the schema"


@register
class Assertions(Scorer):
    name = "assertions"
    description = "1 when every deterministic assertion of the case passes, else 0 (pass rate)"
    always_for = "assertions"  # a case with assertions is always checked

    def score(self, inp: ScoringInput, output: str) -> Score:
        items = inp.assertions or ()
        if not items:
            return Score(None, reason="case has no assertions")
        failed = []
        for a in items:
            ok, what = check(a, output)
            if not ok:
                failed.append(what)
        if failed:
            return Score(0.0, label="fail", reason="failed: " + "; ".join(failed))
        return Score(1.0, label="pass", reason=f"{len(items)} assertion(s) passed")
