"""Cases from Berkeley Function Calling Leaderboard files (`case_files: [{format: bfcl, ...}]`).

A BFCL question file holds one JSON object per line: `id`, `question` (turns of chat messages;
the first turn is used) and `function` (the schemas, BFCL's types). Its possible-answer file
holds `id` and `ground_truth` (`[{name: {argument: [acceptable values]}}]`). Without an answer
file (BFCL's irrelevance categories) no call is the right answer. The model is shown the
functions in a system message of ours and asked for calls in Python syntax, BFCL's format.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from evalharness.suite.jsonl import json_object_lines
from evalharness.suite.schema import Case

SYSTEM = (
    "You can call functions. These are the functions you have, as JSON:\n{functions}\n\n"
    "If the request can be served with them, answer only with the call or calls in Python syntax, as a list: "
    "[function_name(argument=value, other_argument=value), other_function(argument=value)]. "
    "Use the exact function names and name every argument. If none of the functions fits the request, "
    "say so in words and call nothing."
)


def _json_lines(text: str, label: str) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """JSON object lines with a string `id`; problems prefixed with `label`."""
    objects, bad = json_object_lines(text)
    rows = [(n, obj) for n, obj in objects if isinstance(obj.get("id"), str)]
    problems = [(n, f"{label}: {msg}") for n, msg in bad]
    problems += [(n, f"{label}: each line must be a JSON object with a string `id`")
                 for n, obj in objects if not isinstance(obj.get("id"), str)]
    return rows, sorted(problems)


def answers_by_id(text: str) -> tuple[dict[str, list], list[tuple[int, str]]]:
    rows, problems = _json_lines(text, "answers")
    out = {}
    for n, obj in rows:
        truth = obj.get("ground_truth")
        if not isinstance(truth, list):
            problems.append((n, f"answers: {obj['id']}: `ground_truth` must be a list"))
            continue
        out[obj["id"]] = truth
    return out, problems


def bfcl_cases(text: str, answers: dict[str, list] | None, add_tags: tuple[str, ...],
               limit: int | None) -> tuple[list[Case], list[tuple[int, str]]]:
    """Cases from a question file's text; (line, message) for each row that is no case."""
    rows, problems = _json_lines(text, "questions")
    cases: list[Case] = []
    for n, obj in rows:
        if limit is not None and len(cases) >= limit:
            break
        turns, functions = obj.get("question"), obj.get("function")
        first = turns[0] if isinstance(turns, list) and turns and isinstance(turns[0], list) else turns
        if not isinstance(first, list) or not first or not isinstance(functions, list):
            problems.append((n, f"{obj['id']}: needs `question` (a list of chat messages) and `function` (a list)"))
            continue
        if answers is not None and obj["id"] not in answers:
            problems.append((n, f"{obj['id']}: no possible answer for this id in the answers file"))
            continue
        system = {"role": "system", "content": SYSTEM.format(functions=json.dumps(functions, ensure_ascii=False))}
        category = obj["id"].rsplit("_", 1)[0]
        try:
            cases.append(Case.model_validate({
                "id": obj["id"], "messages": (system, *first), "functions": tuple(functions),
                "expected_calls": tuple(answers[obj["id"]]) if answers is not None else (),
                "tags": (*add_tags, category), "scorers": None,
            }))
        except ValidationError as exc:
            problems.append((n, f"{obj['id']}: " + "; ".join(e["msg"] for e in exc.errors())[:300]))
    return cases, problems
