"""Read a suite file: YAML -> Suite, case files -> cases, every problem with FILE:LINE."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evalharness.suite.errors import Problem, node_line, problems_from
from evalharness.suite.schema import Case, CaseFile, Suite


class SuiteError(Exception):
    """A suite that cannot be used; `problems` holds every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    path: Path
    sha256: str
    cases: tuple[Case, ...]  # inline cases first, then each case file's rows in order


def load_suite(path: str | Path) -> LoadedSuite:
    """Validate a suite file and everything it points to; raise SuiteError listing all problems."""
    p = Path(path)
    shown = str(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SuiteError([Problem(shown, 1, "(file)", f"cannot read: {exc.strerror}")]) from None
    text = raw.decode("utf-8", errors="replace")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise SuiteError([Problem(shown, line, "(yaml)", f"invalid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise SuiteError([Problem(shown, 1, "(top level)", "a suite is a YAML mapping of keys")])
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError(problems_from(exc, shown, root, Suite)) from None

    problems: list[Problem] = []
    cases = list(suite.cases)
    for i, spec in enumerate(suite.case_files):
        line = node_line(root, ("case_files", i, "path"))
        rows, errs = read_case_file(p.parent, spec, f"case_files[{i}]", shown, line)
        cases.extend(rows)
        problems.extend(errs)
    problems.extend(_cross_check(suite, cases, shown, root))
    if not cases and not problems:
        problems.append(Problem(shown, 1, "cases", "the suite has no cases (give `cases` or `case_files`)"))
    if problems:
        raise SuiteError(sorted(problems, key=lambda p: (p.file != shown, p.file, p.line)))
    return LoadedSuite(suite, p, hashlib.sha256(raw).hexdigest(), tuple(cases))


def _cross_check(suite: Suite, cases: list[Case], file: str, root: yaml.Node | None) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, case in enumerate(cases):
        if case.id in seen:
            loc = ("cases", i, "id") if i < len(suite.cases) else ("case_files",)
            out.append(Problem(file, node_line(root, loc), f"cases[{i}].id",
                               f"case id {case.id!r} is used twice (first at cases[{seen[case.id]}])"))
        seen.setdefault(case.id, i)
    labels = [m.label for m in suite.models]
    for i, entry in enumerate(suite.matrix or ()):
        if entry.model not in labels:
            loc = ("matrix", i, "model")
            out.append(Problem(file, node_line(root, loc), f"matrix[{i}].model",
                               f"no model labelled {entry.model!r}; models are: {', '.join(labels)}"))
    return out


def read_case_file(
    base: Path, spec: CaseFile, where: str, suite_file: str, suite_line: int
) -> tuple[list[Case], list[Problem]]:
    path = base / spec.path
    fmt = spec.format
    if fmt == "auto":
        fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [], [Problem(suite_file, suite_line, f"{where}.path", f"cannot read {path}: {exc.strerror}")]
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(str(path), n, where, f"invalid JSON: {exc.msg}"))
                continue
            if not isinstance(obj, dict):
                problems.append(Problem(str(path), n, where, "each line must be a JSON object"))
                continue
            rows.append((n, obj))
    else:
        reader = csv.DictReader(text.splitlines())
        for row in reader:
            rows.append((reader.line_num, dict(row)))
    cases: list[Case] = []
    for index, (line, row) in enumerate(rows):
        if spec.limit is not None and len(cases) >= spec.limit:
            break
        case, err = _row_to_case(row, spec, index, path)
        if err:
            problems.append(Problem(str(path), line, where, err))
        elif case is not None:
            cases.append(case)
    return cases, problems


def _row_to_case(row: dict[str, Any], spec: CaseFile, index: int, path: Path) -> tuple[Case | None, str | None]:
    cols = ", ".join(row)
    # prompt and id columns must exist; reference and tags may be absent from a row
    for col in (spec.prompt, spec.id):
        if col is not None and col not in row:
            return None, f"row has no column {col!r} (columns: {cols}); fix the column mapping"
    prompt = row[spec.prompt]
    if not isinstance(prompt, str) or not prompt.strip():
        return None, f"column {spec.prompt!r} is empty or not text"
    tags: list[str] = list(spec.add_tags)
    tag_columns = (spec.tags,) if isinstance(spec.tags, str) else spec.tags or ()
    for column in tag_columns:
        value = row.get(column)
        if isinstance(value, list):
            tags.extend(str(t) for t in value)
        elif value:
            tags.extend(t.strip() for t in str(value).split(";") if t.strip())
    case_id = str(row[spec.id]) if spec.id is not None else f"{path.stem}-{index + 1}"
    payload: dict[str, Any] = {
        "id": case_id,
        "reference": _optional_text(row.get(spec.reference) if spec.reference else None),
        "tags": tuple(tags),
    }
    if spec.as_chat:
        payload["messages"] = ({"role": "user", "content": prompt},)
    else:
        payload["prompt"] = prompt
    try:
        return Case.model_validate(payload), None
    except ValidationError as exc:
        return None, "; ".join(e["msg"] for e in exc.errors())


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
