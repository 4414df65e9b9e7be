"""`function_call`: the calls in the answer, judged against the case's functions and expected
calls by the Berkeley Function Calling Leaderboard's rules (call_match.py; formats: calls.py).

1 = right, 0 = wrong, with the rule that failed as the label (`wrong_name`, `missing_required`,
`value`, ...) and the detail as the reason. Null with label `error` when the case's schemas or
expected calls cannot be read: a per-case error, never an exception.
"""

from __future__ import annotations

from evalharness.scorers.base import Score, Scorer, ScoringInput, register
from evalharness.scorers.call_match import (
    SchemaError,
    check_against_schemas,
    check_calls,
    read_expected,
    read_functions,
)
from evalharness.scorers.calls import Call, parse_calls

__all__ = ["Call", "FunctionCall", "parse_calls"]


def expected_of(inp: ScoringInput) -> list | None:
    """The case's expected calls: `expected_calls` (BFCL shape or ours; [] = no call is right),
    else the single `expected_call`, else None."""
    calls = inp.expected_calls
    if calls is not None:
        return list(calls)
    one = inp.expected_call
    return [one] if one else None


@register
class FunctionCall(Scorer):
    name = "function_call"
    description = ("function calls in the answer (JSON, FUNCTION_CALL lines, OpenAI tool calls, Python / Gemma "
                   "tool_code) judged by BFCL's rules against the case's functions and expected calls")

    def score(self, inp: ScoringInput, output: str) -> Score:
        if inp.call_input_error:
            return Score(None, label="error", reason=inp.call_input_error)
        schemas = inp.functions or ()
        expected = expected_of(inp)
        if not schemas and expected is None:
            return Score(None, reason="case gives no functions and no expected call")
        try:
            funcs = read_functions(list(schemas)) if schemas else {}
            want = read_expected(expected) if expected is not None else None
        except SchemaError as exc:
            return Score(None, label="error", reason=f"unreadable schema or expected call: {exc}")
        calls = parse_calls(output)
        if want is None:
            if not calls:
                return Score(0.0, label="no_call", reason="no function call found")
            failure = check_against_schemas(calls, funcs)
        else:
            if not calls and want:
                return Score(0.0, label="no_call", reason=f"no function call found; expected {len(want)}")
            failure = check_calls(calls, want, funcs)
        if failure is not None:
            return Score(0.0, label=failure.rule, reason=failure.detail)
        what = "no call, as expected" if want == [] else f"{len(calls)} call(s): {', '.join(c.name for c in calls)}"
        return Score(1.0, label="correct", reason=what)
