"""`evalharness score`: scorers over an existing CSV/JSONL of prompts and answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from evalharness.scorers import SCORERS, ScoringInput, safe_score
from evalharness.suite.schema import CASE_LABELS, case_label


def read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, keep_default_na=False)
    return pd.read_json(path, lines=True)


def write_table(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_json(path, orient="records", lines=True, force_ascii=False)


def score_frame(df: pd.DataFrame, scorers: list[str], prompt_col: str, output_col: str,
                reference_col: str | None, labels: list[dict[str, str | None]] | None = None) -> pd.DataFrame:
    """`df` with one column per scorer (and `<scorer>_label`, `<scorer>_decided_by` where the
    scorer says); `labels` holds each row's case labels (`read_labels`)."""
    out = df.copy()
    inputs = [_input(row, prompt_col, reference_col, row_labels)
              for (_, row), row_labels in zip(df.iterrows(), labels or [{}] * len(df))]
    for name in scorers:
        results = [safe_score(name, inp, "" if pd.isna(row[output_col]) else str(row[output_col]))
                   for inp, (_, row) in zip(inputs, df.iterrows())]
        out[free_column(out, name)] = [r.value for r in results]
        for part in ("label", "decided_by"):
            values = [getattr(r, part) for r in results]
            if any(v is not None for v in values):
                out[free_column(out, f"{name}_{part}")] = values
    return out


def _input(row: pd.Series, prompt_col: str, reference_col: str | None,
           labels: dict[str, str | None]) -> ScoringInput:
    ref = row[reference_col] if reference_col else None
    return ScoringInput(prompt=str(row[prompt_col]), reference=str(ref) if ref not in (None, "") else None,
                        **labels)


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


def free_column(df: pd.DataFrame, wanted: str) -> str:
    """`wanted`, or `wanted_score`, `wanted_score2`, ...: never an input column (a human label
    called `refusal` must survive scoring with the refusal scorer)."""
    if wanted not in df.columns:
        return wanted
    candidate, n = f"{wanted}_score", 2
    while candidate in df.columns:
        candidate, n = f"{wanted}_score{n}", n + 1
    return candidate


def cmd_score(args: argparse.Namespace) -> int:
    for name in args.scorer:
        if name not in SCORERS:
            print(f"evalharness: --scorer: {SCORERS.unknown_message(name)}", file=sys.stderr)
            return 2
    if args.input.suffix.lower() not in (".csv", ".jsonl") or args.out.suffix.lower() not in (".csv", ".jsonl"):
        print("evalharness: --input and --out must be .csv or .jsonl files", file=sys.stderr)
        return 2
    try:
        df = read_table(args.input)
    except (OSError, ValueError) as exc:
        print(f"evalharness: {args.input}: cannot read: {exc}", file=sys.stderr)
        return 2
    label_cols = {field: column for field, column in (("expect", args.expect_column),
                                                      ("safety", args.safety_column)) if column}
    cols = [args.prompt_column, args.output_column, *([args.reference_column] if args.reference_column else []),
            *label_cols.values()]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        print(f"evalharness: {args.input}: no column {missing[0]!r} (columns: {', '.join(map(str, df.columns))}); "
              "set --prompt-column / --output-column / --reference-column / --expect-column / --safety-column",
              file=sys.stderr)
        return 2
    try:
        labels = read_labels(df, label_cols)
    except ValueError as exc:
        print(f"evalharness: {args.input}: {exc}", file=sys.stderr)
        return 2
    scored = score_frame(df, args.scorer, args.prompt_column, args.output_column, args.reference_column, labels)
    write_table(scored, args.out)
    added = [c for c in scored.columns if c not in df.columns]
    print(f"scored {len(scored)} rows with {', '.join(args.scorer)} -> {args.out} (new columns: {', '.join(added)})")
    return 0
