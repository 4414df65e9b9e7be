"""The deployment checks against a scripted gateway on a fake clock: exact boundaries, window
arithmetic, units, and the findings each misconfiguration must give."""

import pytest

from evalharness.security.access import check_auth, check_input_hygiene
from evalharness.security.context import CheckContext
from evalharness.security.input_size import check_input_size
from evalharness.security.rate_limit import check_rate_limit
from tests.security_server import FakeClock, ScriptedDeployment


def ctx_for(server: ScriptedDeployment, key: str | None = None, second: str | None = None) -> CheckContext:
    return CheckContext(server, key=key, second_key=second, clock=server.clock)


# input size -----------------------------------------------------------------------------------


def test_a_declared_limit_that_holds_passes_with_its_figures():
    server = ScriptedDeployment(limit=8192)
    f = check_input_size(ctx_for(server), declared=8192)
    assert (f.status, f.observed["limit_chars"], f.observed["unit"]) == ("pass", 8192, "characters")
    assert f.observed["reject_s"] < f.observed["accept_s"]
    assert server.requests <= 8


@pytest.mark.parametrize("real", [16384, 5000, 8191, 8193])
def test_a_limit_other_than_declared_is_found_exactly(real):
    server = ScriptedDeployment(limit=real)
    f = check_input_size(ctx_for(server), declared=8192)
    assert f.status == "fail"
    assert f.observed["limit_chars"] == real and f.observed["unit"] == "characters"
    assert server.requests <= 30


def test_without_a_declaration_the_boundary_is_discovered():
    f = check_input_size(ctx_for(ScriptedDeployment(limit=3001)), declared=None)
    assert (f.status, f.observed["limit_chars"]) == ("pass", 3001)


def test_a_limit_in_bytes_is_told_from_one_in_characters():
    overhead = len(b'{"model": "m", "messages": [{"role": "user", "content": ""}], "max_tokens": 1, '
                   b'"temperature": 0, "stream": false}')
    server = ScriptedDeployment(limit=8192 + overhead, unit="bytes")
    f = check_input_size(ctx_for(server), declared=8192)
    assert f.status == "fail" and "bytes" in f.title
    assert f.observed["unit"] == "bytes"


def test_no_limit_at_all_is_a_finding():
    f = check_input_size(ctx_for(ScriptedDeployment(limit=None)), declared=8192)
    assert f.status == "fail" and f.observed["limit_chars"] is None and "1 MiB" in f.title


def test_only_a_context_window_is_not_an_input_limit():
    server = ScriptedDeployment(limit=4000, unit="tokens")
    f = check_input_size(ctx_for(server), declared=8192)
    assert f.status == "fail" and f.observed["unit"] == "tokens" and f.observed["limit_chars"] is None
    assert f.observed["context_tokens"] <= 4000


def test_a_refusal_after_generation_fails():
    f = check_input_size(ctx_for(ScriptedDeployment(limit=8192, refuse_late=True)), declared=8192)
    assert f.status == "fail" and "not before generation" in f.title


# rate limit -----------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["sliding", "bucket"])
def test_a_declared_sliding_limit_holds(window):
    server = ScriptedDeployment(rate=(5, 10.0), window=window, keys=frozenset({"k1", "k2"}))
    f = check_rate_limit(ctx_for(server, "k1", "k2"), declared=(5, 10.0))
    assert f.status == "pass", f.title
    assert f.observed["limit"] == 5 and f.observed["window_s"] == 10.0 and f.observed["sliding"] is True
    assert f.observed["second_key_answered"] is True
    assert server.requests <= 80  # two bursts, a poll every 0.25 s until the return, the probe


@pytest.mark.parametrize("start", [1000.37, 1004.0, 1009.9])  # the burst early, mid or late in a window
def test_a_fixed_window_lets_two_n_through_at_its_end(start):
    server = ScriptedDeployment(rate=(5, 10.0), window="fixed", clock=FakeClock(start))
    f = check_rate_limit(ctx_for(server), declared=(5, 10.0))
    assert f.status == "fail" and "fixed window" in f.title
    assert f.observed["sliding"] is False and f.observed["most_within_window"] >= 9


@pytest.mark.parametrize("gen_s", [0.05, 0.0005])  # fast answers: the first burst expires in a blink
@pytest.mark.parametrize("window,sliding", [("sliding", True), ("fixed", False)])
def test_an_undeclared_limit_and_window_are_discovered(window, sliding, gen_s):
    server = ScriptedDeployment(rate=(7, 30.0), window=window, gen_s=gen_s)
    f = check_rate_limit(ctx_for(server), declared=None)
    assert f.observed["limit"] == 7
    assert f.observed["window_s"] == pytest.approx(30.0, abs=1.0)
    assert f.observed["sliding"] is sliding


def test_no_rate_limit_is_a_finding():
    server = ScriptedDeployment()
    f = check_rate_limit(ctx_for(server), declared=None, max_requests=50)
    assert f.status == "fail" and f.observed["limit"] is None and server.requests == 50


def test_a_limit_shared_by_all_keys_is_caught():
    server = ScriptedDeployment(rate=(5, 10.0), per_key=False, keys=frozenset({"k1", "k2"}))
    f = check_rate_limit(ctx_for(server, "k1", "k2"), declared=(5, 10.0))
    assert f.status == "fail" and "not per key" in f.title


@pytest.mark.parametrize("changes,words", [({"retry_after": False}, "no Retry-After"),
                                          ({"limit_status": 503}, "not 429"),
                                          ({"rate": (8, 10.0)}, "answered 8")])
def test_a_limit_that_breaks_its_promise_fails(changes, words):
    server = ScriptedDeployment(**{"rate": (5, 10.0), **changes})
    f = check_rate_limit(ctx_for(server), declared=(5, 10.0))
    assert f.status == "fail" and words in f.title


# authentication and hygiene -------------------------------------------------------------------


def test_no_authentication_is_a_high_finding():
    f = check_auth(ctx_for(ScriptedDeployment()))
    assert (f.status, f.severity, f.observed["required"]) == ("fail", "high", False)


def test_keys_required_and_refused_fast():
    f = check_auth(ctx_for(ScriptedDeployment(keys=frozenset({"sk-good-123456"})), key="sk-good-123456"))
    assert f.status == "pass" and f.observed["required"] is True
    assert (f.observed["no_key_status"], f.observed["wrong_key_status"]) == (401, 401)


def test_a_refusal_after_generation_is_caught_for_keys_too():
    server = ScriptedDeployment(keys=frozenset({"sk-good-123456"}), refuse_late=True)
    f = check_auth(ctx_for(server, key="sk-good-123456"))
    assert f.status == "fail" and "the refusal took" in f.title


@pytest.mark.parametrize("policy,status,outcome", [("reject", "pass", "rejected"),
                                                   ("strip", "pass", "neutralised"),
                                                   ("pass", "fail", "passed-to-model")])
def test_hidden_characters(policy, status, outcome):
    findings = check_input_hygiene(ctx_for(ScriptedDeployment(hygiene=policy)))
    assert [f.observed["class"] for f in findings] == ["zero-width", "bidi-override", "unicode-tags", "control"]
    assert {(f.status, f.observed["outcome"]) for f in findings} == {(status, outcome)}


def test_hidden_characters_without_token_counts_are_unobservable():
    findings = check_input_hygiene(ctx_for(ScriptedDeployment(usage=False)))
    assert {f.status for f in findings} == {"not-applicable"}
    assert all("cannot be observed" in f.title for f in findings)


@pytest.mark.parametrize("status,hint", [(500, "the deployment is failing"), (404, "check the URL and --model")])
def test_a_deployment_that_fails_a_plain_request_blocks_every_check_but_auth(status, hint):
    from evalharness.security.exchange import Reply
    from evalharness.security.run import run_checks
    from evalharness.suite.security_spec import SecuritySpec
    from tests.security_server import FakeClock

    class Failing:
        def __init__(self):
            self.clock, self.requests = FakeClock(), 0

        def send(self, ask):
            self.requests += 1
            self.clock.sleep(0.01)
            return Reply(status, 0.01, error="scripted failure")

    server = Failing()
    report = run_checks(CheckContext(server, clock=server.clock), SecuritySpec(), "http://x/v1", "m")
    assert report.blocked and f"HTTP {status}" in report.blocked and hint in report.blocked
    others = [f for f in report.findings if f.check != "auth"]
    assert others and {f.status for f in others} == {"not-applicable"}
    assert server.requests < 10  # no check hammered a failing deployment
