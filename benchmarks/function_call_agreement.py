"""Does `function_call` judge calls as BFCL's own checker does?

    .venv/bin/pip install --no-deps bfcl-eval==2026.3.23   # BFCL's published package: the reference
    .venv/bin/python benchmarks/function_call_agreement.py [--per-question 6]

For every question of the vendored BFCL categories (suites/data/bfcl: simple_python, multiple,
parallel, irrelevance) this builds right and wrong answers from the ground truth — acceptable
values picked in turn, optional arguments left out, an int for a float, another case; and a
wrong name, a missing or extra argument, a wrong value or type, a call too many or too few —
renders each as Python call syntax (BFCL's format), and asks both sides: our scorer reads the
text; BFCL's `ast_checker` (imported from the bfcl_eval package; only its model table, which
pulls in every provider's SDK, is replaced by a stub) gets the decoded calls. Irrelevance
questions: BFCL counts an answer right when it holds no call. Prints agreement per category
and the disagreements' first examples; last line `agreement: X of N (p)`.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import types
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.scorers import SCORERS, ScoringInput  # noqa: E402

DATA = ROOT / "suites" / "data" / "bfcl"
CATEGORIES = ("simple_python", "multiple", "parallel", "irrelevance")


def bfcl_checker():
    """BFCL's ast_checker and Language enum, from the installed bfcl_eval package."""
    stub = types.ModuleType("bfcl_eval.constants.model_config")
    stub.MODEL_CONFIG_MAPPING = defaultdict(lambda: types.SimpleNamespace(underscore_to_dot=False))
    sys.modules["bfcl_eval.constants.model_config"] = stub
    try:
        from bfcl_eval.constants.enums import Language
        from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    except ImportError as exc:
        raise SystemExit(f"BFCL's checker is not installed ({exc}); run: .venv/bin/pip install --no-deps "
                         "bfcl-eval==2026.3.23") from None
    return ast_checker, Language


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def render(calls: list[dict]) -> str:
    """[{name: {arg: value}}] -> BFCL's Python format."""
    parts = [f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
             for call in calls for name, args in call.items()]
    return "[" + ", ".join(parts) + "]"


def right_answers(truth: list[dict], rng: random.Random, n: int) -> list[list[dict]]:
    out = []
    for k in range(n):
        calls = []
        for call in truth:
            (name, args), = call.items()
            chosen = {}
            for arg, options in args.items():
                real = [o for o in options if o != ""]
                if not real or ("" in options and k % 2 == 1):
                    continue  # optional: leave it out
                value = copy.deepcopy(real[(k // 2) % len(real)])
                if isinstance(value, float) and value.is_integer() and k % 3 == 2:
                    value = int(value)  # an int is a valid float
                if isinstance(value, str) and k % 4 == 3:
                    value = value.upper()  # strings compare case-insensitively
                chosen[arg] = value
            calls.append({name: chosen})
        rng.shuffle(calls)  # parallel calls in any order
        out.append(calls)
    return out


def _mutate_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value + " zzz"
    if isinstance(value, list):
        return value[:-1] if value else ["zzz"]
    if isinstance(value, dict):
        return {**value, "zzz_extra": 1}
    return "zzz"


def wrong_answers(good: list[dict], functions: list[dict], rng: random.Random) -> list[list[dict]]:
    out = []
    (name, args), = good[0].items()
    rest = good[1:]
    out.append([{name + "_v2": args}, *rest])  # wrong name
    schema = next((f for f in functions if f["name"] == name), None)
    required = schema["parameters"].get("required", []) if schema else []
    if required and required[0] in args:
        out.append([{name: {k: v for k, v in args.items() if k != required[0]}}, *rest])  # missing required
    out.append([{name: {**args, "zzz_unknown": 1}}, *rest])  # unexpected argument
    if args:
        arg = rng.choice(sorted(args))
        out.append([{name: {**args, arg: _mutate_value(args[arg])}}, *rest])  # wrong value
        if isinstance(args[arg], (int, float)) and not isinstance(args[arg], bool):
            out.append([{name: {**args, arg: str(args[arg])}}, *rest])  # wrong type
    out.append(good + [good[0]])  # a call too many
    if len(good) > 1:
        out.append(good[1:])  # a call too few
    out.append([])  # no call
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-question", type=int, default=6, help="right answers built per question")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ast_checker, language = bfcl_checker()
    scorer, rng = SCORERS.get("function_call"), random.Random(args.seed)
    total = agree = 0
    for category in CATEGORIES:
        questions = read(DATA / f"BFCL_v4_{category}.json")
        answers_path = DATA / "possible_answer" / f"BFCL_v4_{category}.json"
        truths = {a["id"]: a["ground_truth"] for a in read(answers_path)} if answers_path.exists() else None
        n = same = 0
        shown = []
        for q in questions:
            functions = q["function"]
            if truths is None:  # irrelevance: no call is right
                candidates = [[], [{functions[0]["name"]: {}}]]
            else:
                goods = right_answers(truths[q["id"]], rng, args.per_question)
                candidates = goods + wrong_answers(goods[0], functions, rng)
            for calls in candidates:
                text = render(calls) if calls else "None of these functions fits the request."
                ours = scorer.score(ScoringInput(
                    prompt="", functions=tuple(functions),
                    expected_calls=tuple(truths[q["id"]]) if truths is not None else ()), text)
                if truths is None:
                    theirs = not calls
                else:
                    theirs = bool(calls) and ast_checker(functions, calls, truths[q["id"]], language.PYTHON,
                                                         category, "gorilla-openfunctions-v2")["valid"]
                n += 1
                if (ours.value == 1.0) == theirs:
                    same += 1
                elif len(shown) < 3:
                    shown.append(f"{q['id']}: {text[:160]} -> ours {ours.label} ({ours.reason[:100]}); "
                                 f"BFCL {'right' if theirs else 'wrong'}")
        total, agree = total + n, agree + same
        print(f"{category}: {same} of {n} verdicts agree ({same / n:.4f}), {len(questions)} questions")
        for line in shown:
            print(f"  disagreement: {line}")
    print(f"agreement: {agree} of {total} ({agree / total:.4f})")


if __name__ == "__main__":
    main()
