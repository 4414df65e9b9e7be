"""A suite's YAML text read safely: bounded files, no duplicate keys, dates as text, and the
depth and alias expansion measured before anything walks the data."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from evalharness.suite.errors import Problem


class SuiteError(Exception):
    """A suite that cannot be used; `problems` holds every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


MAX_SUITE_BYTES = 1 << 20  # a suite is configuration; cases in bulk belong in case files
MAX_CASE_FILE_BYTES = 256 << 20
MAX_DEPTH = 64  # nesting of YAML collections


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML where a key given twice is an error and dates stay text (`2024-02-30` is a
    description, not a failed date)."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool, type(None))):
            raise yaml.constructor.ConstructorError(None, None, "a key must be plain text",
                                                    key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_bounded(path: Path, limit: int) -> bytes:
    """A regular file's bytes, refusing devices, FIFOs, folders and anything over `limit`."""
    st = path.stat()  # a missing file: FileNotFoundError, "No such file or directory"
    if not stat.S_ISREG(st.st_mode):
        raise OSError(0, "not a regular file")
    if st.st_size > limit:
        raise OSError(0, f"larger than {limit >> 20} MiB")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OSError(0, f"larger than {limit >> 20} MiB")
    return data


MAX_NODES = 200_000  # YAML nodes once every alias is expanded (a suite has a few thousand)


def _shape(node: yaml.Node) -> tuple[int, int]:
    """(depth, node count once every alias is expanded) in time linear in the *unexpanded*
    tree: an alias is a shared node, measured once and counted as often as it is used, so
    aliases of aliases (a billion laughs) are caught before anything walks their expansion.
    A node inside itself (a recursive alias) counts as too large."""
    sizes: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if key in sizes:
            continue
        children = ([c for pair in current.value for c in pair] if isinstance(current, yaml.MappingNode)
                    else list(current.value) if isinstance(current, yaml.SequenceNode) else [])
        if not done:
            if key in open_:
                return MAX_DEPTH + 1, MAX_NODES + 1  # recursive
            open_.add(key)
            stack.append((current, True))
            for child in children:
                if id(child) in open_ and id(child) not in sizes:
                    return MAX_DEPTH + 1, MAX_NODES + 1
                stack.append((child, False))
            continue
        open_.discard(key)
        depth = 1 + max((sizes[id(c)][0] for c in children), default=0)
        count = 1 + sum(sizes[id(c)][1] for c in children)
        sizes[key] = (min(depth, MAX_DEPTH + 1), min(count, MAX_NODES + 1))
    return sizes[id(node)]


def parse_yaml(text: str, shown: str) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree and data, or SuiteError with the line of the problem."""
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
        depth, nodes = _shape(root) if root is not None else (0, 0)
        if depth > MAX_DEPTH:
            raise SuiteError([Problem(shown, 1, "(yaml)", f"nested deeper than {MAX_DEPTH} levels (or an alias "
                                                          "inside itself)")])
        if nodes > MAX_NODES:
            raise SuiteError([Problem(shown, 1, "(yaml)", f"aliases expand to more than {MAX_NODES:,} values; "
                                                          "repeat less through anchors (&) and aliases (*)")])
        return root, yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise SuiteError([Problem(shown, line, "(yaml)", f"invalid YAML: {problem}")]) from None
    except (ValueError, TypeError, RecursionError) as exc:  # tags such as !!int x, !!binary junk
        raise SuiteError([Problem(shown, 1, "(yaml)", f"invalid YAML: {type(exc).__name__}: {exc}"[:300])]) from None
