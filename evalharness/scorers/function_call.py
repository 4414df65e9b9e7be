"""Function calls in the answer: parsed, checked against the case's schemas, compared with the
expected call.

Formats (the source design's two, and OpenAI's):
- a JSON object `{"function_name": "...", "parameters": {...}}`;
- lines `FUNCTION_CALL: name(arg="v", n=3)`, several allowed;
- OpenAI tool calls: `{"tool_calls": [{"function": {"name": ..., "arguments": "<json>"}}]}`,
  or a bare `{"name": ..., "arguments": {...}}`.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from evalharness.scorers.base import Score, Scorer, ScoringInput, register

_LINE = re.compile(r"FUNCTION_CALL:\s*([A-Za-z_][\w.]*)\s*\((.*?)\)\s*$", re.MULTILINE)


@dataclass
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def _json_objects(text: str) -> list[Any]:
    """Every top-level JSON value embedded in the text (fenced or not)."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    while i < len(text):
        if text[i] in "{[":
            try:
                obj, end = decoder.raw_decode(text, i)
            except json.JSONDecodeError:
                i += 1
                continue
            found.append(obj)
            i = end
        else:
            i += 1
    return found


def _from_json(obj: Any) -> list[Call]:
    if isinstance(obj, list):
        return [c for item in obj for c in _from_json(item)]
    if not isinstance(obj, dict):
        return []
    if "tool_calls" in obj:
        return _from_json(obj["tool_calls"])
    if "function" in obj and isinstance(obj["function"], dict):
        return _from_json(obj["function"])
    name = obj.get("function_name") or obj.get("name")
    args = obj.get("parameters", obj.get("arguments", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            args = {"_unparsed": args}
    if isinstance(name, str) and isinstance(args, dict):
        return [Call(name, args)]
    return []


def _from_line(name: str, arg_text: str) -> Call:
    """`a="x", n=3` -> {"a": "x", "n": 3}, read as Python keyword arguments (literals only)."""
    try:
        node = ast.parse(f"f({arg_text})", mode="eval").body
        args = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}  # type: ignore[attr-defined]
    except (SyntaxError, ValueError):
        args = {"_unparsed": arg_text}
    return Call(name, args)


def parse_calls(text: str) -> list[Call]:
    calls = [_from_line(m.group(1), m.group(2)) for m in _LINE.finditer(text)]
    for obj in _json_objects(text):
        calls.extend(_from_json(obj))
    return calls


def validate(call: Call, schemas: dict[str, dict[str, Any]]) -> list[str]:
    """Problems with a call against the case's function schemas (name, required args, types)."""
    import jsonschema

    schema = schemas.get(call.name)
    if schema is None:
        return [f"unknown function {call.name!r} (known: {', '.join(sorted(schemas))})"]
    params = schema.get("parameters", {"type": "object"})
    validator = jsonschema.Draft202012Validator(params)
    return [f"{call.name}: {e.message}" for e in validator.iter_errors(call.arguments)]


def argument_f1(got: dict[str, Any], want: dict[str, Any]) -> float:
    """F1 over (argument, value) pairs; values compared as strings, case-insensitively."""
    g = {(k, str(v).strip().lower()) for k, v in got.items()}
    w = {(k, str(v).strip().lower()) for k, v in want.items()}
    if not g and not w:
        return 1.0
    hit = len(g & w)
    if hit == 0:
        return 0.0
    p, r = hit / len(g), hit / len(w)
    return 2 * p * r / (p + r)


@register
class FunctionCall(Scorer):
    name = "function_call"
    description = "parses function calls, validates them against the case's schemas, compares with the expected call"

    def score(self, inp: ScoringInput, output: str) -> Score:
        schemas = {f["name"]: f for f in inp.extra.get("functions") or () if "name" in f}
        expected = inp.extra.get("expected_call")
        if not schemas and not expected:
            return Score(None, reason="case gives no functions and no expected call")
        calls = parse_calls(output)
        if not calls:
            return Score(0.0, label="no call", reason="no function call found")
        problems = [p for c in calls for p in validate(c, schemas)] if schemas else []
        label = "valid" if not problems else "invalid"
        if expected:
            want_args = expected.get("arguments", {})
            best = max(calls, key=lambda c: (c.name == expected.get("name"), argument_f1(c.arguments, want_args)))
            name_ok = best.name == expected.get("name")
            f1 = argument_f1(best.arguments, want_args) if name_ok else 0.0
            value = 0.5 * name_ok + 0.5 * f1
            if problems:
                value *= 0.5
            reason = f"name {'matches' if name_ok else 'differs'} ({best.name}), argument F1 {f1:.2f}"
        else:
            value = 1.0 if not problems else 0.0
            reason = f"{len(calls)} call(s)"
        if problems:
            reason += "; " + "; ".join(problems[:3])
        return Score(value, label=label, reason=reason)
