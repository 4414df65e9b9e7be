"""CSV and JSON Lines tables read and written faithfully: what `score` passes through comes out
as it went in.

- Values stay what they were: CSV cells are strings ("007" stays "007", a 23-digit id keeps
  its digits, "2024-01-01" stays a date string); JSON values stay JSON values, and each JSON
  Lines row is written back as its own text with the new keys appended, byte for byte.
- A column given twice, a file that is not a regular file (a FIFO, /dev/zero) or one over the
  size limit is refused with a message naming the file and the fix.
- Spreadsheet formulas (`=cmd|...`, `+`, `-`, `@`, tab, CR at the start of a cell) are written
  to CSV behind an apostrophe, as spreadsheets expect, unless `keep_formulas`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalharness.suite.jsonl import json_lines, json_object_lines
from evalharness.suite.yaml_text import read_bounded

MAX_TABLE_BYTES = 256 << 20
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass
class Table:
    frame: pd.DataFrame  # object columns: CSV strings, or JSON values (None where a row lacks the key)
    rows_text: list[str] | None  # JSON Lines: each row's object as it was written


def read_table(path: Path) -> Table:
    """The table; ValueError naming the line and the problem."""
    try:
        text = read_bounded(path, MAX_TABLE_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    return _read_csv(text) if path.suffix.lower() == ".csv" else _read_jsonl(text)


def _read_csv(text: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise ValueError("the file is empty: the first line names the columns")
        seen: dict[str, int] = {}
        for i, name in enumerate(header, start=1):
            if name in seen:
                raise ValueError(f"column {name!r} is given twice (columns {seen[name]} and {i}); rename one")
            seen[name] = i
        rows = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"line {reader.line_num}: {len(row)} fields, the header has {len(header)}")
            rows.append(row)
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: invalid CSV: {exc}") from None
    return Table(pd.DataFrame(rows, columns=header, dtype=object), None)


def _read_jsonl(text: str) -> Table:
    rows, problems = json_object_lines(text)
    if problems:
        n, problem = problems[0]
        raise ValueError(f"line {n}: {problem}")
    lines = json_lines(text)
    objects = [obj for _, obj in rows]
    texts = [lines[n - 1].strip() for n, _ in rows]
    columns = list(dict.fromkeys(k for obj in objects for k in obj))
    frame = pd.DataFrame([[obj.get(c) for c in columns] for obj in objects], columns=columns, dtype=object)
    return Table(frame, texts)


def cell_text(value: Any) -> str:
    """A cell as text for a scorer: strings as they are, JSON values as JSON, missing as ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def hashable(value: Any) -> Any:
    """A cell that can group rows (lists and objects by their JSON)."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


def write_table(table: Table, added: pd.DataFrame, path: Path, keep_formulas: bool = False) -> None:
    """The input table as read, with `added`'s columns after its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        _write_csv(table, added, path, keep_formulas)
    else:
        _write_jsonl(table, added, path)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_jsonl(table: Table, added: pd.DataFrame, path: Path) -> None:
    columns = list(added.columns)
    if table.rows_text is not None:
        texts = table.rows_text
    else:  # a CSV input written as JSON Lines: its cells are strings
        texts = [json.dumps(dict(zip(table.frame.columns, row)), ensure_ascii=False)
                 for row in table.frame.itertuples(index=False)]
    with open(path, "w", encoding="utf-8") as fh:
        for text, values in zip(texts, added.itertuples(index=False)):
            body = text.rstrip()[:-1].rstrip()  # the object without its closing brace
            extra = ", ".join(f"{json.dumps(c)}: {json.dumps(_json_value(v), ensure_ascii=False)}"
                              for c, v in zip(columns, values))
            joiner = "" if body.endswith("{") or not extra else ", "
            fh.write(f"{body}{joiner}{extra}}}\n")


def neutralise(cell: str) -> str:
    """A cell that a spreadsheet would run as a formula, behind an apostrophe; numbers as they are."""
    if cell.startswith(_FORMULA) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _write_csv(table: Table, added: pd.DataFrame, path: Path, keep_formulas: bool) -> None:
    own = list(table.frame.columns)
    shown = (lambda c: c) if keep_formulas else neutralise
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([shown(str(c)) for c in own + list(added.columns)])
        for row, values in zip(table.frame.itertuples(index=False), added.itertuples(index=False)):
            out.writerow([shown(cell_text(v)) for v in row] + [shown(_added_text(v)) for v in values])


def _added_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else cell_text(value)
