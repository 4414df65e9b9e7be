"""`evalharness score`: scorers over an existing CSV/JSONL of prompts and answers."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic

from evalharness.scorers import SCORERS, ScoringInput, safe_score
from evalharness.scoring import OpenScorers
from evalharness.suite.schema import CASE_LABELS, case_label
from evalharness.tables import Table, cell_text, read_table, write_table

SCORE_PREFIX = "score_"


PARTS = ("label", "decided_by", "raw", "judge")  # besides the value, where a scorer gives them


def score_columns(scorers: list[str]) -> list[str]:
    """The columns `score_frame` may add: `score_<name>` and `score_<name>_<part>` for PARTS."""
    return [f"{SCORE_PREFIX}{name}{suffix}" for name in scorers for suffix in ("", *(f"_{p}" for p in PARTS))]


def score_frame(df: pd.DataFrame, scorers: list[str], prompt_col: str, output_col: str,
                reference_col: str | None, labels: list[dict[str, str | None]] | None = None,
                opened: OpenScorers | None = None, call_cols: dict[str, str] | None = None) -> pd.DataFrame:
    """`df` with a `score_<scorer>` column per scorer (and `score_<scorer>_label`,
    `score_<scorer>_decided_by` where the scorer says); `labels` holds each row's case labels
    (`read_labels`); `opened` holds the scorers opened with their settings (a judge's model).
    Input columns are never overwritten: a clash is a ValueError."""
    clash = [c for c in score_columns(scorers) if c in df.columns]
    if clash:
        raise ValueError(f"the input already has a column {clash[0]!r}, which scoring would overwrite; "
                         "rename that column")
    out = df.copy()
    inputs = [_input(row, prompt_col, reference_col, row_labels, call_cols or {})
              for (_, row), row_labels in zip(df.iterrows(), labels or [{}] * len(df))]
    for name in scorers:
        scorer = opened.get(name) if opened is not None else SCORERS.get(name)
        results = [safe_score(scorer, inp, cell_text(row[output_col])) for inp, (_, row) in zip(inputs, df.iterrows())]
        out[f"{SCORE_PREFIX}{name}"] = [r.value for r in results]
        for part in PARTS:
            values = [getattr(r, part, None) for r in results]
            if any(v is not None for v in values):
                out[f"{SCORE_PREFIX}{name}_{part}"] = values
    return out


def _input(row: pd.Series, prompt_col: str, reference_col: str | None, labels: dict[str, str | None],
           call_cols: dict[str, str]) -> ScoringInput:
    ref = cell_text(row[reference_col]) if reference_col else None
    extra: dict = {}
    for field, column in call_cols.items():
        value = row[column]
        if isinstance(value, str):
            if not value.strip():
                continue
            try:
                value = json.loads(value)
            except (ValueError, RecursionError) as exc:  # a number of over 4,300 digits is a ValueError
                extra["call_input_error"] = f"column {column!r} is not JSON: {getattr(exc, 'msg', str(exc)[:80])}"
                continue
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if field == "expected_calls" and isinstance(value, dict):
            value = [value]  # one expected call
        extra[field] = tuple(value) if isinstance(value, list) else value
    return ScoringInput(prompt=cell_text(row[prompt_col]), reference=ref or None, **extra, **labels)


def read_labels(df: pd.DataFrame, label_cols: dict[str, str]) -> list[dict[str, str | None]]:
    """Each row's case labels ("expect"/"safety" -> value or None) from their columns;
    ValueError naming the column and row of the first value that is no label."""
    out: list[dict[str, str | None]] = [{} for _ in range(len(df))]
    for field, column in label_cols.items():
        for i, value in enumerate(df[column]):
            try:
                out[i][field] = case_label(field, value)
            except ValueError:
                raise ValueError(f"column {column!r}, row {i + 1}: {str(value)[:40]!r} is not "
                                 f"{' or '.join(CASE_LABELS[field])} (or empty)") from None
    return out


def read_judge(path: Path | None) -> Any:
    """The settings of `--judge FILE` (a YAML mapping like a suite's `judge:` section: a
    JudgeSpec), None without one; ValueError naming the file and the problem."""
    if path is None:
        return None
    from evalharness.suite.schema import JudgeSpec
    from evalharness.suite.yaml_text import MAX_SUITE_BYTES, SuiteError, parse_yaml, read_bounded

    try:
        _, data = parse_yaml(read_bounded(path, MAX_SUITE_BYTES).decode("utf-8", "replace"), str(path))
        spec = JudgeSpec.model_validate(data)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except SuiteError as exc:  # invalid YAML, nested too deep, aliases that expand too far
        raise ValueError(str(exc.problems[0])) from None
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top)"
        raise ValueError(f"{path}: {where}: {first['msg']}") from None
    return spec


@dataclass
class Scored:
    frame: pd.DataFrame  # the input with the score columns
    columns: list[str]  # the input's own columns
    table: Table  # the input as read (written back as it came)


def score_input(args: argparse.Namespace) -> Scored | int:
    """Read `--input`, check columns, labels and the judge, and score; an exit code (2) after an
    error message naming the file and the fix."""
    for name in args.scorer:
        if name not in SCORERS:
            print(f"evalharness: --scorer: {SCORERS.unknown_message(name)}", file=sys.stderr)
            return 2
    if args.input.suffix.lower() not in (".csv", ".jsonl") or (
            args.out is not None and args.out.suffix.lower() not in (".csv", ".jsonl")):
        print("evalharness: --input and --out must be .csv or .jsonl files", file=sys.stderr)
        return 2
    try:
        table = read_table(args.input)
    except ValueError as exc:
        print(f"evalharness: {args.input}: cannot read: {exc}", file=sys.stderr)
        return 2
    df = table.frame
    label_cols = {field: column for field, column in (("expect", args.expect_column),
                                                      ("safety", args.safety_column)) if column}
    call_cols = {field: column for field, column in (("functions", getattr(args, "functions_column", None)),
                                                     ("expected_calls", getattr(args, "expected_column", None)))
                 if column}
    cols = [args.prompt_column, args.output_column, *([args.reference_column] if args.reference_column else []),
            *label_cols.values(), *getattr(args, "extra_columns", []), *call_cols.values()]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        print(f"evalharness: {args.input}: no column {missing[0]!r} (columns: {', '.join(map(str, df.columns))}); "
              "set --prompt-column / --output-column / --reference-column / --expect-column / --safety-column",
              file=sys.stderr)
        return 2
    try:
        settings = {"judge": read_judge(args.judge)}  # a section's settings, by its name
    except ValueError as exc:
        print(f"evalharness: --judge {exc}", file=sys.stderr)
        return 2
    for name in args.scorer:
        section = SCORERS.get(name).settings_section
        if section is not None and settings.get(section) is None:
            print(f"evalharness: the {name} scorer needs --{section} FILE (a YAML mapping like a suite's "
                  f"`{section}:` section)", file=sys.stderr)
            return 2
    base = args.judge.parent if args.judge is not None else None
    try:
        with OpenScorers(settings.get, base) as opened:
            labels = read_labels(df, label_cols)
            scored = score_frame(df, args.scorer, args.prompt_column, args.output_column, args.reference_column,
                                 labels, opened, call_cols)
    except ValueError as exc:
        print(f"evalharness: {args.input}: {exc}", file=sys.stderr)
        return 2
    return Scored(scored, list(df.columns), table)


def cmd_score(args: argparse.Namespace) -> int:
    result = score_input(args)
    if isinstance(result, int):
        return result
    added = [c for c in result.frame.columns if c not in result.columns]
    try:
        write_table(result.table, result.frame[added], args.out, keep_formulas=args.keep_formulas)
    except OSError as exc:
        print(f"evalharness: --out {args.out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"scored {len(result.frame)} rows with {', '.join(args.scorer)} -> {args.out} "
          f"(new columns: {', '.join(added)})")
    return 0
