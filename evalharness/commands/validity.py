"""`evalharness scorer-validity`: how well a scorer agrees with people's labels on a file.

A CSV/JSONL with a prompt, an answer and a human label per row: the scorer is run on every row
(as `evalharness score` does), its prediction compared with the label, and accuracy and
balanced accuracy printed with 95% bootstrap intervals. With `--group-column` (e.g. the prompt,
when several models answered the same prompts) the bootstrap resamples groups, not rows, so
rows that share a prompt do not count as independent evidence.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from evalharness.commands.score import SCORE_PREFIX, score_input
from evalharness.tables import hashable


@dataclass(frozen=True)
class Agreement:
    n: int
    not_scored: int
    positives: int
    accuracy: float
    accuracy_ci: tuple[float, float]
    balanced_accuracy: float | None  # None with one class only
    balanced_accuracy_ci: tuple[float, float] | None
    tpr: float | None
    tnr: float | None
    confusion: dict[str, int]
    groups: int


def balanced_accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    """Mean of TPR and TNR of boolean arrays; NaN when one class is absent."""
    pos, neg = truth.sum(), (~truth).sum()
    if pos == 0 or neg == 0:
        return math.nan
    return float(((pred & truth).sum() / pos + (~pred & ~truth).sum() / neg) / 2)


def agreement(truth: np.ndarray, pred: np.ndarray, groups: np.ndarray | None = None, not_scored: int = 0,
              resamples: int = 2000, seed: int = 0) -> Agreement:
    """Accuracy and balanced accuracy of boolean predictions against boolean truth, with 95%
    percentile-bootstrap intervals over rows, or over groups when `groups` is given."""
    truth, pred = np.asarray(truth, dtype=bool), np.asarray(pred, dtype=bool)
    if len(truth) == 0:
        raise ValueError("no scored rows to compare")
    keys = np.arange(len(truth)) if groups is None else pd.factorize(np.asarray(groups))[0]
    members = [np.flatnonzero(keys == g) for g in range(keys.max() + 1)]
    rng = np.random.default_rng(seed)
    acc, bal = [], []
    for _ in range(resamples):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        acc.append(float((truth[idx] == pred[idx]).mean()))
        bal.append(balanced_accuracy(truth[idx], pred[idx]))
    ba = balanced_accuracy(truth, pred)
    bal_ok = [b for b in bal if not math.isnan(b)]
    pos, neg = int(truth.sum()), int((~truth).sum())
    return Agreement(
        n=len(truth), not_scored=not_scored, positives=pos, accuracy=float((truth == pred).mean()),
        accuracy_ci=(float(np.quantile(acc, 0.025)), float(np.quantile(acc, 0.975))),
        balanced_accuracy=None if math.isnan(ba) else ba,
        balanced_accuracy_ci=(float(np.quantile(bal_ok, 0.025)), float(np.quantile(bal_ok, 0.975)))
        if bal_ok and not math.isnan(ba) else None,
        tpr=float((pred & truth).sum() / pos) if pos else None,
        tnr=float((~pred & ~truth).sum() / neg) if neg else None,
        confusion={"tp": int((pred & truth).sum()), "fn": int((~pred & truth).sum()),
                   "fp": int((pred & ~truth).sum()), "tn": int((~pred & ~truth).sum())},
        groups=len(members))


def predictions(frame: pd.DataFrame, scorer: str, predicted: list[str]) -> tuple[pd.Series, pd.Series]:
    """(scored mask, predicted positive): positive = the scorer's label in `predicted`, or, without
    `--predicted`, a value of 0.5 or more (the scorer's "yes" end)."""
    values = frame[f"{SCORE_PREFIX}{scorer}"]
    scored = values.notna()
    if predicted:
        labels = frame.get(f"{SCORE_PREFIX}{scorer}_label", pd.Series([None] * len(frame), index=frame.index))
        return scored, labels.isin(predicted)
    return scored, values.fillna(-1) >= 0.5


def _ci(iv: tuple[float, float] | None) -> str:
    return f"[{iv[0]:.3f}, {iv[1]:.3f}]" if iv else "(one class only)"


def cmd_scorer_validity(args: argparse.Namespace) -> int:
    args.out = None
    args.extra_columns = [args.truth_column, *([args.group_column] if args.group_column else [])]
    result = score_input(args)
    if isinstance(result, int):
        return result
    frame, name = result.frame, args.scorer[0]
    scored, pred = predictions(frame, name, args.predicted)
    truth = frame[args.truth_column].astype(str).isin(args.positive)
    groups = frame[args.group_column][scored].map(hashable).to_numpy() if args.group_column else None
    try:
        a = agreement(truth[scored].to_numpy(), pred[scored].to_numpy(), groups, int((~scored).sum()),
                      args.resamples, args.seed)
    except ValueError as exc:
        print(f"evalharness: {args.input}: {exc} ({int((~scored).sum())} rows the scorer did not score)",
              file=sys.stderr)
        return 2
    rule = f"label in {args.predicted}" if args.predicted else "value >= 0.5"
    over = f"groups of {args.group_column!r} ({a.groups})" if args.group_column else f"rows ({a.groups})"
    print(f"scorer-validity: {name} on {args.input} — predicted positive: {rule}; human positive: "
          f"{args.truth_column} in {args.positive}")
    print(f"  n = {a.n} scored ({a.not_scored} not scored), {a.positives} positive")
    print(f"  accuracy           {a.accuracy:.3f}  {_ci(a.accuracy_ci)}")
    ba = "n/a" if a.balanced_accuracy is None else f"{a.balanced_accuracy:.3f}"
    print(f"  balanced accuracy  {ba}  {_ci(a.balanced_accuracy_ci)}")
    rates = "  ".join(f"{k} {v:.3f}" for k, v in (("TPR", a.tpr), ("TNR", a.tnr)) if v is not None)
    print(f"  {rates}  ({', '.join(f'{k.upper()} {v}' for k, v in a.confusion.items())})")
    print(f"  95% intervals: percentile bootstrap over {over}, {args.resamples} resamples")
    if args.json:
        args.json.write_text(json.dumps({"scorer": name, "input": str(args.input), **asdict(a)}, indent=2))
    return 0
