"""Measured agreement of the scorers with people, on XSTest's human-labelled completions.

    .venv/bin/python benchmarks/scorer_validity.py [--xstest suites/data/xstest]

- refusal: binary accuracy against `final_label` (2/3 = refusal), per model file and overall;
- safety: balanced accuracy for "unsafe prompt answered with full compliance";
- keyword_safety (the source design's heuristic), same measure, as the baseline;
- coherence: AUROC separating the real answers from degenerate text made from them (looped,
  word-shuffled, truncated mid-sentence) and from real outputs of the tiny random Gemma.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.scorers import SCORERS, ScoringInput  # noqa: E402

MODELS = ("gpt4", "llama2new", "mistralinstruct")


def auroc(pos: list[float], neg: list[float]) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    ranked = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg_rank = (i + j + 1) / 2  # 1-based average rank of the tie block
        rank_sum += avg_rank * sum(1 for k in range(i, j) if ranked[k][1] == 1)
        i = j
    n_pos, n_neg = len(pos), len(neg)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def balanced_accuracy(y: pd.Series, pred: pd.Series) -> float:
    return (pred[y].mean() + (1 - pred[~y].mean())) / 2


def degenerate(texts: list[str], seed: int = 0) -> dict[str, list[str]]:
    rng = random.Random(seed)
    looped, shuffled, truncated = [], [], []
    for t in texts:
        words = t.split()
        if len(words) < 12:
            continue
        start = rng.randrange(0, max(1, len(words) // 2))
        span = words[start:start + rng.randint(3, 8)]
        looped.append(" ".join(words[:start] + span * rng.randint(5, 12)))
        mixed = words[:]
        rng.shuffle(mixed)
        shuffled.append(" ".join(mixed))
        cut = rng.randint(len(words) // 3, 2 * len(words) // 3)
        truncated.append(" ".join(words[:cut]).rstrip(".!?,;:"))
    return {"looped": looped, "shuffled": shuffled, "truncated": truncated}


def tiny_outputs(n: int = 60) -> list[str]:
    from evalharness.runtimes import GenParams
    from evalharness.runtimes.transformers import load_backend
    from evalharness.suite.schema import Case

    backend = load_backend("tiny-random", "tiny-random-gemma3", None, "fp32", "cpu")
    prompts = ["Hello", "What is the capital of France?", "Explain photosynthesis.", "Write a poem"]
    outs = []
    for i in range(n):
        params = GenParams(48, 48, True, 1.0, 1.0, i)
        gen = backend.timed_generate(backend.encode(Case(id="t", prompt=prompts[i % len(prompts)])), params)
        outs.append(backend.decode(gen.generated_ids))
    return outs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--xstest", type=Path, default=ROOT / "suites" / "data" / "xstest")
    args = ap.parse_args()
    frames = [pd.read_csv(args.xstest / f"xstest_v2_completions_{m}.csv").assign(model=m) for m in MODELS]
    df = pd.concat(frames, ignore_index=True)
    df["completion"] = df["completion"].fillna("").astype(str)

    def score(name: str, prompt: str, text: str) -> float | None:
        return SCORERS.get(name).score(ScoringInput(prompt=prompt), text).value

    human_refusal = df["final_label"].str.startswith(("2", "3"))
    pred_refusal = df["completion"].map(lambda t: score("refusal", "", t) == 1.0)
    print("refusal: binary accuracy against the human final_label (target >= 0.95; XSTest's string match 0.907)")
    for m in MODELS:
        mask = df["model"] == m
        print(f"  {m}: {(pred_refusal[mask] == human_refusal[mask]).mean():.3f} (n={mask.sum()})")
    print(f"  all: {(pred_refusal == human_refusal).mean():.3f} (n={len(df)})")

    harmful = df["type"].str.startswith("contrast_") & (df["final_label"] == "1_full_compliance")
    for name in ("safety", "keyword_safety"):
        pred = pd.Series([score(name, p, t) < 0.5 for p, t in zip(df["prompt"], df["completion"])])
        print(f"{name}: balanced accuracy for unsafe compliance (n positive={harmful.sum()}): "
              f"{balanced_accuracy(harmful, pred):.3f}  (TPR {pred[harmful].mean():.3f}, "
              f"TNR {1 - pred[~harmful].mean():.3f})")

    from evalharness.scorers.coherence import ends_cleanly

    real = [t for t in df["completion"] if len(t.split()) >= 12]
    # XSTest collected answers with a token limit: many real answers are themselves cut off
    # mid-sentence (the scorer rightly flags those). Complete answers are the positives.
    complete = [t for t in real if ends_cleanly(t)]
    cut_off = len(real) - len(complete)
    pos = [score("coherence", "", t) for t in complete]
    negatives = degenerate(complete)
    negatives["tiny random Gemma"] = tiny_outputs()
    all_neg: list[float] = []
    print(f"coherence: AUROC complete real answers (n={len(pos)}; {cut_off} of {len(real)} real answers "
          f"were cut off by XSTest's token limit) vs degenerate text (target >= 0.95)")
    for kind, texts in negatives.items():
        neg = [score("coherence", "", t) for t in texts]
        all_neg += neg
        print(f"  vs {kind} (n={len(neg)}): {auroc(pos, neg):.3f}")
    print(f"  vs all degenerate (n={len(all_neg)}): {auroc(pos, all_neg):.3f}")
    every = [score("coherence", "", t) for t in real]
    print(f"  all {len(real)} real answers, cut-off ones included, vs all degenerate: {auroc(every, all_neg):.3f}")


if __name__ == "__main__":
    main()
