"""Function schemas as people write them, and calls judged by the Berkeley Function Calling
Leaderboard's rules (our own code, written from the rules of BFCL's AST checker).

Schemas: JSON Schema `parameters` (`object`, `number`, ...), OpenAI tools
(`{"type": "function", "function": {...}}`) and BFCL's own types (`dict`, `float`, `tuple`,
`any`, arrays without `items`). A schema that cannot be read raises SchemaError, which the
scorer reports as a per-case error.

Expected calls: a list of `{name: {argument: [acceptable values]}}` (BFCL's ground truth; "" among
the acceptable values means the argument may be left out) or of `{"name": ..., "arguments":
{argument: value}}` (our shape: each value the one right value); an empty list means no call is
the right answer.

Rules, per expected call (any order; each answer call used once): the right function name; every
required argument present; no argument the schema or the expected call does not know; each
value of the right type (an int is a valid float, a tuple a valid list) and among the acceptable
values — strings compared after BFCL's normalisation (case, spaces and `,./-_*^` ignored, ' as "),
lists element by element, dicts key by key; an argument left out only where "" is acceptable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evalharness.scorers.calls import Call

TYPES: dict[str, type | tuple[type, ...] | None] = {
    "string": str, "str": str, "integer": int, "int": int, "float": float, "number": float, "double": float,
    "boolean": bool, "bool": bool, "array": list, "list": list, "tuple": list, "object": dict, "dict": dict,
    "any": None, "null": type(None),
}


class SchemaError(ValueError):
    pass


@dataclass(frozen=True)
class Param:
    type: str | None  # a key of TYPES, or None when the schema does not say
    items: str | None = None  # the element type of an array, when given
    enum: tuple[Any, ...] | None = None  # the schema's allowed values, when it lists them


@dataclass(frozen=True)
class Function:
    name: str
    params: dict[str, Param]
    required: tuple[str, ...]


def _type_name(spec: Any, where: str) -> str | None:
    t = spec.get("type") if isinstance(spec, dict) else None
    if isinstance(t, list):  # JSON Schema ["string", "null"]
        t = next((x for x in t if x != "null"), None)
    if t is None:
        return None
    if not isinstance(t, str) or t.lower() not in TYPES:
        raise SchemaError(f"{where} has type {t!r}, not one of {', '.join(sorted(TYPES))}")
    return t.lower()


def read_function(schema: Any) -> Function:
    """One function schema (JSON Schema, OpenAI tool or BFCL) -> Function; SchemaError else."""
    if isinstance(schema, dict) and isinstance(schema.get("function"), dict):
        schema = schema["function"]  # an OpenAI tool
    if not isinstance(schema, dict) or not isinstance(schema.get("name"), str) or not schema["name"]:
        raise SchemaError("a function schema needs a `name`")
    name = schema["name"]
    params = schema.get("parameters") or {}
    if not isinstance(params, dict):
        raise SchemaError(f"{name}: `parameters` must be an object")
    props = params.get("properties") or {}
    required = params.get("required") or []
    if not isinstance(props, dict) or not isinstance(required, list):
        raise SchemaError(f"{name}: `properties` must be an object and `required` a list")
    out = {}
    for pname, spec in props.items():
        where = f"{name}.{pname}"
        items = spec.get("items") if isinstance(spec, dict) else None
        enum = spec.get("enum") if isinstance(spec, dict) else None
        out[str(pname)] = Param(_type_name(spec, where), _type_name(items, f"{where}[]") if items else None,
                                tuple(enum) if isinstance(enum, list) else None)
    return Function(name, out, tuple(str(r) for r in required))


def read_functions(schemas: Any) -> dict[str, Function]:
    items = schemas if isinstance(schemas, (list, tuple)) else [schemas]
    funcs = [read_function(s) for s in items]
    return {f.name: f for f in funcs}


def read_expected(expected: Any) -> list[tuple[str, dict[str, list[Any]]]]:
    """Expected calls in either shape -> [(name, {argument: acceptable values})]."""
    items = expected if isinstance(expected, (list, tuple)) else [expected]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise SchemaError(f"an expected call must be an object, not {type(item).__name__}")
        if "name" in item and isinstance(item.get("name"), str):
            # our shape: each value is the one right value (alternatives: use BFCL's shape)
            name, args = item["name"], item.get("arguments", item.get("parameters", {})) or {}
            if not isinstance(args, dict):
                raise SchemaError(f"expected call {name!r}: `arguments` must be an object")
            args = {k: [v] for k, v in args.items()}
        elif len(item) == 1:
            name, args = next(iter(item.items()))
            if not isinstance(args, dict) or not all(isinstance(v, list) for v in args.values()):
                raise SchemaError(f"expected call {name!r}: each argument needs a list of acceptable values")
        else:
            raise SchemaError("an expected call is {name: {argument: [values]}} or {name, arguments}")
        out.append((str(name), dict(args)))
    return out


_NORMALISE = re.compile(r"[ ,./\-_*^]")


def normalise(text: str) -> str:
    return _NORMALISE.sub("", text).lower().replace("'", '"')


def _norm(value: Any) -> Any:
    return normalise(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Failure:
    rule: str  # wrong_count, wrong_name, unreadable_call, missing_required, unexpected_argument,
    # type, value, missing_argument, no_call_expected
    detail: str


def _type_ok(value: Any, ptype: str | None, items: str | None) -> bool:
    expected = TYPES.get(ptype) if ptype else None
    if expected is None:
        return True
    if expected is float and type(value) is int:
        return True
    if type(value) is not expected and not (expected is list and type(value) is tuple):
        return False
    if expected is list and items and TYPES.get(items) is not None:
        return all(_type_ok(v, items, None) for v in value)
    return True


def _value_ok(value: Any, acceptable: list[Any]) -> bool:
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, dict):
        return any(isinstance(a, dict) and _dict_ok(value, a) for a in acceptable)
    if isinstance(value, list):
        return any(isinstance(a, list) and _list_ok(value, a) for a in acceptable)
    if isinstance(value, str):
        return normalise(value) in [_norm(a) for a in acceptable if isinstance(a, str)]
    return any(value == a and type(a) is not str and not isinstance(a, bool) ^ isinstance(value, bool)
               for a in acceptable)


def _list_ok(value: list, want: list) -> bool:
    if len(value) != len(want):
        return False
    for v, w in zip(value, want):
        if isinstance(v, dict) and isinstance(w, dict):
            if not _dict_ok(v, w):
                return False
        elif _norm(v) != _norm(w) or isinstance(v, bool) != isinstance(w, bool):
            return False
    return True


def _dict_ok(value: dict, want: dict) -> bool:
    """`want` maps keys to acceptable values (BFCL) or to one value."""
    for key, v in value.items():
        if key not in want:
            return False
        options = want[key] if isinstance(want[key], list) else [want[key]]
        if not _value_ok(v, options) and _norm(v) not in [_norm(o) for o in options]:
            return False
    return all(key in value or (isinstance(w, list) and "" in w) for key, w in want.items())


def check_call(call: Call, name: str, acceptable: dict[str, list[Any]], func: Function | None) -> Failure | None:
    if call.name != name:
        return Failure("wrong_name", f"called {call.name!r}, expected {name!r}")
    if call.problem:
        return Failure("unreadable_call", f"{name}: {call.problem}")
    for req in func.required if func else ():
        if req not in call.arguments:
            return Failure("missing_required", f"{name}: required argument {req!r} missing")
    for arg, value in call.arguments.items():
        if arg not in acceptable or (func is not None and arg not in func.params):
            return Failure("unexpected_argument", f"{name}: unexpected argument {arg!r}")
        param = func.params[arg] if func else Param(None)
        if not _type_ok(value, param.type, param.items):
            return Failure("type", f"{name}: {arg}={value!r} is not of type {param.type}")
        if not _value_ok(value, acceptable[arg]):
            return Failure("value", f"{name}: {arg}={value!r} is not one of {acceptable[arg]!r}")
    for arg, options in acceptable.items():
        if arg not in call.arguments and "" not in options:
            return Failure("missing_argument", f"{name}: argument {arg!r} missing (not optional)")
    return None


def check_calls(calls: list[Call], expected: list[tuple[str, dict[str, list[Any]]]],
                funcs: dict[str, Function]) -> Failure | None:
    """None when the calls are right: as many as expected, each expected call matched by one of
    them (any order). An empty `expected` means no call is right."""
    if not expected:
        return Failure("no_call_expected", f"{len(calls)} call(s) where none was right") if calls else None
    if len(calls) != len(expected):
        return Failure("wrong_count", f"{len(calls)} call(s), expected {len(expected)}")
    used: set[int] = set()
    for name, acceptable in expected:
        last: Failure | None = None
        for i, call in enumerate(calls):
            if i in used:
                continue
            last = check_call(call, name, acceptable, funcs.get(name))
            if last is None:
                used.add(i)
                break
        if last is not None:
            return last
    return None


def check_against_schemas(calls: list[Call], funcs: dict[str, Function]) -> Failure | None:
    """Without an expected call: every call names a known function with well-typed arguments."""
    for call in calls:
        func = funcs.get(call.name)
        if func is None:
            return Failure("wrong_name", f"unknown function {call.name!r} (known: {', '.join(sorted(funcs))})")
        if call.problem:
            return Failure("unreadable_call", f"{call.name}: {call.problem}")
        for req in func.required:
            if req not in call.arguments:
                return Failure("missing_required", f"{call.name}: required argument {req!r} missing")
        for arg, value in call.arguments.items():
            if arg not in func.params:
                return Failure("unexpected_argument", f"{call.name}: unexpected argument {arg!r}")
            param = func.params[arg]
            if not _type_ok(value, param.type, param.items):
                return Failure("type", f"{call.name}: {arg}={value!r} is not of type {param.type}")
            if param.enum is not None and value not in param.enum:
                return Failure("value", f"{call.name}: {arg}={value!r} is not one of {list(param.enum)!r}")
    return None
