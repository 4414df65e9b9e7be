"""Function calls read from a model's answer, in the formats models write them.

- the source design's JSON `{"function_name": "...", "parameters": {...}}`;
- lines `FUNCTION_CALL: name(arg="v", n=3)`, several allowed;
- OpenAI tool calls `{"tool_calls": [{"function": {"name": ..., "arguments": "<json>"}}]}`, or a
  bare `{"name": ..., "arguments": {...}}`;
- Python call syntax, as Gemma writes it in ```tool_code blocks (also ```python blocks) and as
  the Berkeley Function Calling Leaderboard asks for it: `get_weather(city="Paris")` or a list
  `[f(a=1), g(b="x")]`; dotted names (`math.hypot`) are kept.

Values are Python / JSON literals; a bare name (a variable) is kept as its text, an expression
(`0.15 * 240`) as its source text. Nothing is evaluated.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

_LINE = re.compile(r"FUNCTION_CALL:\s*([A-Za-z_][\w.]*)\s*\((.*?)\)\s*$", re.MULTILINE)
_FENCE = re.compile(r"```[ \t]*(tool_code|tool_call|python|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
MAX_PARSE_CHARS = 20_000  # a call longer than this is not parsed as Python (bounded work)


@dataclass
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None  # why the arguments could not be read (positional ones, syntax)


def _json_objects(text: str) -> list[Any]:
    """Every top-level JSON value embedded in the text (fenced or not)."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    while i < len(text):
        if text[i] in "{[":
            try:
                obj, end = decoder.raw_decode(text, i)
            except (json.JSONDecodeError, RecursionError):
                i += 1
                continue
            found.append(obj)
            i = end
        else:
            i += 1
    return found


def _from_json(obj: Any, depth: int = 0) -> list[Call]:
    if depth > 4:
        return []
    if isinstance(obj, list):
        return [c for item in obj for c in _from_json(item, depth + 1)]
    if not isinstance(obj, dict):
        return []
    if "tool_calls" in obj:
        return _from_json(obj["tool_calls"], depth + 1)
    if "function" in obj and isinstance(obj["function"], dict):
        return _from_json(obj["function"], depth + 1)
    name = obj.get("function_name") or obj.get("name")
    args = obj.get("parameters", obj.get("arguments", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except (json.JSONDecodeError, RecursionError):
            return [Call(str(name), {}, f"arguments are not JSON: {args[:60]!r}")] if isinstance(name, str) else []
    if isinstance(name, str) and isinstance(args, dict):
        return [Call(name, args)]
    return []


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _value(node: ast.AST, source: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(e, source) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {(_value(k, source) if k is not None else "**"): _value(v, source)
                for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _dotted(node) or ast.get_source_segment(source, node)
    return ast.get_source_segment(source, node)


def _call_of(node: ast.Call, source: str) -> Call | None:
    name = _dotted(node.func)
    if name is None:
        return None
    args = {kw.arg: _value(kw.value, source) for kw in node.keywords if kw.arg}
    problem = f"{len(node.args)} positional argument(s); name every argument" if node.args else None
    return Call(name, args, problem)


def python_calls(text: str) -> list[Call]:
    """Calls in Python syntax: one call, or a list / tuple of calls, or one per line."""
    text = text.strip()
    if not text or len(text) > MAX_PARSE_CHARS:
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    calls: list[Call] = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            return []
        nodes = stmt.value.elts if isinstance(stmt.value, (ast.List, ast.Tuple)) else [stmt.value]
        for node in nodes:
            call = _call_of(node, text) if isinstance(node, ast.Call) else None
            if call is None:
                return []
            calls.append(call)
    return calls


def parse_calls(text: str) -> list[Call]:
    """Every call in the answer, in the order the formats are tried: fenced Python blocks, the
    whole answer as Python, FUNCTION_CALL lines, JSON."""
    calls: list[Call] = []
    for match in _FENCE.finditer(text):
        if (match.group(1) or "").lower() in ("tool_code", "tool_call", "python", "py"):
            calls.extend(python_calls(match.group(2)))
    if not calls:
        calls.extend(python_calls(text))
    if not calls:
        calls.extend(Call(m.group(1), *_line_arguments(m.group(2))) for m in _LINE.finditer(text))
    if not calls:
        for obj in _json_objects(text):
            calls.extend(_from_json(obj))
    return calls


def _line_arguments(arg_text: str) -> tuple[dict[str, Any], str | None]:
    found = python_calls(f"f({arg_text})")
    if not found:
        return {}, f"arguments are not Python keyword arguments: {arg_text[:60]!r}"
    return found[0].arguments, found[0].problem
