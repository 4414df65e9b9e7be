"""Pydantic validation errors -> `FILE:LINE: dotted.path: message` lines."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


def dotted(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def node_line(root: yaml.Node | None, loc: Sequence[Any]) -> int:
    """1-based line of the YAML node at `loc`; the nearest existing ancestor when it is absent."""
    if root is None:
        return 1
    node = root
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if getattr(key, "value", None) == part:
                    line = key.start_mark.line + 1
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
        if child is None:
            return line
        node = child
    return line


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The pydantic model class that the location's last mapping belongs to."""
    current: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _model_in(field.annotation)
    return current


def _message(err: dict[str, Any], root: type[BaseModel]) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "extra_forbidden" and loc:
        owner = model_at(root, loc[:-1])
        key = str(loc[-1])
        if owner is not None:
            allowed = sorted(owner.model_fields)
            close = difflib.get_close_matches(key, allowed, n=2, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            return f"unknown key {key!r}.{hint} Allowed: {', '.join(allowed)}"
        return f"unknown key {key!r}"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


_PYDANTIC_TAG = re.compile(r"[a-z][a-z-]*\[.*\]|function-[a-z-]+")


def _clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    # pydantic adds tags such as 'function-after[...]' for validators; drop them (and only them:
    # a user's key may hold brackets too).
    return tuple(p for p in loc if not (isinstance(p, str) and _PYDANTIC_TAG.fullmatch(p)))


def problems_from(
    exc: ValidationError, file: str, root_node: yaml.Node | None, root: type[BaseModel],
    prefix: Sequence[Any] = (),
) -> list[Problem]:
    out: list[Problem] = []
    errors = exc.errors()
    locs = [_clean_loc(e["loc"]) for e in errors]
    for err, clean in zip(errors, locs):
        # pydantic also reports "too short" for a list whose only items were invalid: noise.
        if err["type"] == "too_short" and any(
            other[: len(clean)] == clean and len(other) > len(clean) for other in locs
        ):
            continue
        loc = (*prefix, *clean)
        err = {**err, "loc": loc}
        out.append(Problem(file, node_line(root_node, loc), dotted(loc), _message(err, root)))
    return sorted(out, key=lambda p: p.line)
