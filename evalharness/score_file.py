"""`evalharness score`: scorers over an existing CSV/JSONL of prompts and answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from evalharness.scorers import SCORERS, ScoringInput, safe_score


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
                reference_col: str | None) -> pd.DataFrame:
    out = df.copy()
    for name in scorers:
        values, labels = [], []
        for _, row in df.iterrows():
            ref = row[reference_col] if reference_col else None
            inp = ScoringInput(prompt=str(row[prompt_col]), reference=str(ref) if ref not in (None, "") else None)
            result = safe_score(name, inp, "" if pd.isna(row[output_col]) else str(row[output_col]))
            values.append(result.value)
            labels.append(result.label)
        out[free_column(out, name)] = values
        if any(label is not None for label in labels):
            out[free_column(out, f"{name}_label")] = labels
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
    cols = [args.prompt_column, args.output_column] + ([args.reference_column] if args.reference_column else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        print(f"evalharness: {args.input}: no column {missing[0]!r} (columns: {', '.join(map(str, df.columns))}); "
              "set --prompt-column / --output-column / --reference-column", file=sys.stderr)
        return 2
    scored = score_frame(df, args.scorer, args.prompt_column, args.output_column, args.reference_column)
    write_table(scored, args.out)
    added = [c for c in scored.columns if c not in df.columns]
    print(f"scored {len(scored)} rows with {', '.join(args.scorer)} -> {args.out} (new columns: {', '.join(added)})")
    return 0
