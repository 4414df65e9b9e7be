"""Read a suite file: YAML -> Suite, case files -> cases, every problem with FILE:LINE."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evalharness.suite.bfcl import answers_by_id, bfcl_cases
from evalharness.suite.errors import Problem, node_line, problems_from
from evalharness.suite.jsonl import json_object_lines
from evalharness.suite.schema import CASE_LABELS, Case, CaseFile, Suite, case_label
from evalharness.suite.yaml_text import (  # noqa: F401 (SuiteError, read_bounded re-exported)
    MAX_CASE_FILE_BYTES,
    MAX_SUITE_BYTES,
    SuiteError,
    parse_yaml,
    read_bounded,
)


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    path: Path
    sha256: str
    cases: tuple[Case, ...]  # inline cases first, then each case file's rows in order


def load_suite(path: str | Path, case_files_anywhere: bool = False) -> LoadedSuite:
    """Validate a suite file and everything it points to; raise SuiteError listing all problems.

    Case files must lie inside the suite's folder unless `case_files_anywhere` (a CLI flag)."""
    p = Path(path)
    shown = str(path)
    try:
        raw = read_bounded(p, MAX_SUITE_BYTES)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise SuiteError([Problem(shown, 1, "(file)", f"cannot read: {reason}")]) from None
    root, data = parse_yaml(raw.decode("utf-8", errors="replace"), shown)
    if not isinstance(data, dict):
        raise SuiteError([Problem(shown, 1, "(top level)", "a suite is a YAML mapping of keys")])
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError(problems_from(exc, shown, root, Suite)) from None

    suite, problems = _resolve_adapters(suite, p.parent, shown, root, case_files_anywhere)
    suite, bad_tasks = _resolve_tasks(suite, p.parent, shown, root, case_files_anywhere)
    problems.extend(bad_tasks)
    if suite.judge is not None and suite.judge.cache is not None:
        blocked = _blocked(p.parent, suite.judge.cache, case_files_anywhere)
        if blocked:
            problems.append(Problem(shown, node_line(root, ("judge", "cache")), "judge.cache", blocked))
    cases = list(suite.cases)
    for i, spec in enumerate(suite.case_files):
        line = node_line(root, ("case_files", i, "path"))
        rows, errs = read_case_file(p.parent, spec, f"case_files[{i}]", shown, line, case_files_anywhere)
        cases.extend(rows)
        problems.extend(errs)
    cases, bad_images = _resolve_images(cases, len(suite.cases), p.parent, shown, root, case_files_anywhere)
    problems.extend(bad_images)
    problems.extend(_cross_check(suite, cases, shown, root))
    if not cases and not suite.tasks and not problems:
        problems.append(Problem(shown, 1, "cases", "the suite has no cases (give `cases`, `case_files` or `tasks`)"))
    if problems:
        raise SuiteError(sorted(problems, key=lambda p: (p.file != shown, p.file, p.line)))
    return LoadedSuite(suite, p, hashlib.sha256(raw).hexdigest(), tuple(cases))


def _resolve_adapters(suite: Suite, base: Path, file: str, root: yaml.Node | None,
                      anywhere: bool) -> tuple[Suite, list[Problem]]:
    """The suite with every model's adapter folder made absolute (relative paths are the suite
    folder's, inside it unless `anywhere`: an adapter's weights are read and applied), and a
    problem for each folder that is not a PEFT adapter."""
    from evalharness.models.adapters import check_adapter_folder

    problems: list[Problem] = []
    models = []
    for i, model in enumerate(suite.models):
        if model.adapter is not None:
            folder = _resolved(base, model.adapter)
            problem = _blocked(base, model.adapter, anywhere) or check_adapter_folder(folder)
            if problem:
                problems.append(Problem(file, node_line(root, ("models", i, "adapter")), f"models[{i}].adapter",
                                        problem))
            model = model.model_copy(update={"adapter": str(folder)})
        models.append(model)
    return suite.model_copy(update={"models": tuple(models)}), problems


def _resolve_tasks(suite: Suite, base: Path, file: str, root: yaml.Node | None,
                   anywhere: bool) -> tuple[Suite, list[Problem]]:
    """The suite with each task YAML's path made absolute (the suite folder's, inside it unless
    `anywhere`), and a problem for each unknown built-in task or unreadable YAML."""
    import difflib

    from evalharness.tasks.run import builtin_tasks

    known = builtin_tasks()
    problems: list[Problem] = []
    tasks = []
    for i, spec in enumerate(suite.tasks):
        field = "task" if spec.task is not None else "path"
        problem = None
        if spec.task is not None and spec.task not in known:
            close = difflib.get_close_matches(spec.task, list(known), n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            problem = (f"unknown built-in task {spec.task!r}.{hint} Available: {', '.join(known)}; "
                       "or give `path:` to an lm-eval task YAML")
        elif spec.path is not None:
            problem = _blocked(base, spec.path, anywhere)
            if problem is None and not _resolved(base, spec.path).is_file():
                problem = f"{spec.path!r} is not a file (an lm-eval task YAML, relative to the suite)"
            spec = spec.model_copy(update={"path": str(_resolved(base, spec.path))})
        if problem:
            problems.append(Problem(file, node_line(root, ("tasks", i, field)), f"tasks[{i}].{field}", problem))
        tasks.append(spec)
    return suite.model_copy(update={"tasks": tuple(tasks)}), problems


def _resolve_images(cases: list[Case], inline: int, base: Path, file: str, root: yaml.Node | None,
                    anywhere: bool) -> tuple[list[Case], list[Problem]]:
    """Cases with every image file made absolute (relative paths are the suite folder's, inside
    it unless `anywhere`), and a problem for each image that is missing, too large or unreadable."""
    out: list[Case] = []
    problems: list[Problem] = []
    for i, case in enumerate(cases):
        if not case.images:
            out.append(case)
            continue
        messages = []
        for j, message in enumerate(case.messages or ()):
            if isinstance(message.content, str):
                messages.append(message)
                continue
            parts = []
            for k, part in enumerate(message.content):
                if part.type == "image":
                    inline_case = i < inline
                    loc = ("cases", i, "messages", j, "content", k, "image") if inline_case else ("case_files",)
                    where = f"cases[{i}].messages[{j}].content[{k}].image" if inline_case else f"case {case.id!r}"
                    ref, problem = _image_ref(base, part.image, anywhere)
                    if problem:
                        problems.append(Problem(file, node_line(root, loc), where, f"image: {problem}"))
                    part = part.model_copy(update={"image": ref})
                parts.append(part)
            messages.append(message.model_copy(update={"content": tuple(parts)}))
        out.append(case.model_copy(update={"messages": tuple(messages)}))
    return out, problems


def _image_ref(base: Path, image: str, anywhere: bool) -> tuple[str, str | None]:
    """An image part's data URL, or its file made absolute; and why it cannot be used, if so."""
    from evalharness.models.images import image_problem, is_data_url

    if is_data_url(image):
        return image, image_problem(image)
    ref = str(_resolved(base, image))
    return ref, _blocked(base, image, anywhere) or image_problem(ref)


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
        elif entry.merge and suite.models[labels.index(entry.model)].adapter is None:
            out.append(Problem(file, node_line(root, ("matrix", i, "merge")), f"matrix[{i}].merge",
                               f"model {entry.model!r} has no `adapter` to merge"))
    return out


def read_case_file(
    base: Path, spec: CaseFile, where: str, suite_file: str, suite_line: int, anywhere: bool = False
) -> tuple[list[Case], list[Problem]]:
    path = base / spec.path
    fmt = spec.format
    if fmt == "auto":
        fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    blocked = _blocked(base, spec.path, anywhere)
    if blocked:
        return [], [Problem(suite_file, suite_line, f"{where}.path", blocked)]
    try:
        text = read_bounded(path, MAX_CASE_FILE_BYTES).decode("utf-8")
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, UnicodeDecodeError):
            reason = f"not UTF-8 text (byte {exc.start})"
        return [], [Problem(suite_file, suite_line, f"{where}.path", f"cannot read {spec.path}: {reason}")]
    if fmt == "bfcl":
        return _bfcl_file(base, spec, text, path, where, suite_file, suite_line, anywhere)
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    if fmt == "jsonl":
        rows, bad = json_object_lines(text)
        problems += [Problem(str(path), n, where, msg) for n, msg in bad]
    else:
        try:
            reader = csv.DictReader(text.splitlines())
            for row in reader:
                if None in row or None in row.values():
                    problems.append(Problem(str(path), reader.line_num, where,
                                            "this row has a different number of fields than the header"))
                    continue
                rows.append((reader.line_num, dict(row)))
        except csv.Error as exc:
            problems.append(Problem(str(path), 1, where, f"invalid CSV: {exc}"))
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


def _bfcl_file(base: Path, spec: CaseFile, text: str, path: Path, where: str, suite_file: str, suite_line: int,
               anywhere: bool) -> tuple[list[Case], list[Problem]]:
    answers = None
    problems: list[Problem] = []
    if spec.answers is not None:
        blocked = _blocked(base, spec.answers, anywhere)
        if blocked:
            return [], [Problem(suite_file, suite_line, f"{where}.answers", blocked)]
        try:
            answer_text = read_bounded(base / spec.answers, MAX_CASE_FILE_BYTES).decode("utf-8")
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return [], [Problem(suite_file, suite_line, f"{where}.answers", f"cannot read {spec.answers}: {reason}")]
        answers, bad = answers_by_id(answer_text)
        problems += [Problem(str(base / spec.answers), n, where, msg) for n, msg in bad]
    cases, bad = bfcl_cases(text, answers, spec.add_tags, spec.limit)
    return cases, problems + [Problem(str(path), n, where, msg) for n, msg in bad]


def _blocked(base: Path, relative: str, anywhere: bool) -> str | None:
    """Why a file the suite names may not be read: outside the suite's folder (unless
    `anywhere`), or a NUL in its path or a loop of symbolic links (never allowed)."""
    unusable = _unusable(base, relative)
    if unusable:
        return unusable
    outside = _outside(base, relative)
    return outside if outside and not anywhere else None


def _unusable(base: Path, relative: str) -> str | None:
    if "\x00" in relative:
        return "the path contains a NUL character"
    try:
        (base / relative).resolve(strict=False)
        (base / relative).exists()
    except (OSError, RuntimeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"{relative!r} cannot be resolved ({reason}: a loop of symbolic links?)"
    return None


def _resolved(base: Path, relative: str) -> Path:
    """The path made absolute, resolved where it can be (a loop stays as written; `_blocked` says why)."""
    try:
        return (base / relative).resolve()
    except (OSError, RuntimeError):
        return (base / relative).absolute()


def _outside(base: Path, relative: str) -> str | None:
    """Why a file the suite names is not inside the suite's own folder, or None."""
    if Path(relative).is_absolute():
        return (f"{relative!r} is absolute; give a path inside the suite's folder ({base}) "
                "(or pass --case-files-anywhere)")
    target = _resolved(base, relative)
    if base.resolve() not in target.parents:
        return (f"{relative!r} leaves the suite's folder ({base}); the files a suite names live beside or "
                "below it (or pass --case-files-anywhere)")
    return None


def _row_to_case(row: dict[str, Any], spec: CaseFile, index: int, path: Path) -> tuple[Case | None, str | None]:
    cols = ", ".join(str(c) for c in row)[:200]
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
    for field, column in (("expect", spec.expect), ("safety", spec.safety)):
        try:
            payload[field] = case_label(field, row.get(column)) if column else None
        except ValueError:
            return None, (f"column {column!r} holds {str(row.get(column))[:40]!r}; "
                          f"use {' or '.join(CASE_LABELS[field])} (or leave it empty)")
    image = row.get(spec.image) if spec.image else None
    if spec.image and (not isinstance(image, str) or not image.strip()):
        return None, f"column {spec.image!r} holds no image path"
    if image:
        payload["messages"] = ({"role": "user", "content": (
            {"type": "image", "image": image.strip()}, {"type": "text", "text": prompt})},)
    elif spec.as_chat:
        payload["messages"] = ({"role": "user", "content": prompt},)
    else:
        payload["prompt"] = prompt
    try:
        return Case.model_validate(payload), None
    except ValidationError as exc:
        return None, "; ".join(e["msg"] for e in exc.errors())


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
