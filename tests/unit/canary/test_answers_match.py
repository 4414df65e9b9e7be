from evalharness.canary.answers import compare, words
from evalharness.canary.match import VariantMatcher


def test_words_ignore_spacing_and_split_punctuation():
    assert words("Paris,  the capital.\n") == ["Paris", ",", "the", "capital", "."]


def test_compare_exact_divergence_and_common_prefix():
    same = compare("The capital is Paris.", "The capital  is Paris.")
    assert same.exact and same.agreement == 1.0 and same.first_divergence is None
    other = compare("The capital is Lyon.", "The capital is Paris.")
    assert not other.exact and other.first_divergence == 3 and other.agreement == 4 / 5
    # an answer that stops early differs where it stops
    early = compare("The capital is", "The capital is Paris.")
    assert not early.exact and early.first_divergence == 3 and early.agreement == 3 / 5
    assert compare("", "").exact and not compare("", "Paris").exact


def test_matcher_names_the_variant_and_its_runner_up():
    m = VariantMatcher(["q4", "q8"], eps=0.05, window=6)
    for _ in range(4):
        match = m.add({"q4": True, "q8": False})
    assert match.variant == "q4" and match.confidence > 0.99 and match.runner_up in ("q8", None)
    assert match.exact == 4 and match.window == 4


def test_identical_pins_leave_the_match_undecided():
    m = VariantMatcher(["fp32", "bf16", "q4"], eps=0.05, window=6)
    for _ in range(6):
        match = m.add({"fp32": True, "bf16": True, "q4": False})
    assert {match.variant, match.runner_up} == {"fp32", "bf16"}
    assert 0.45 < match.confidence < 0.55


def test_answers_that_match_no_pin_name_no_variant():
    m = VariantMatcher(["q4", "q8"], eps=0.05, window=6)
    for _ in range(6):
        match = m.add({"q4": False, "q8": False})
    assert match.variant is None and match.confidence > 0.9


def test_window_forgets_the_old_variant():
    m = VariantMatcher(["q4", "q8"], eps=0.05, window=6)
    for _ in range(6):
        m.add({"q4": True, "q8": False})
    changes = [m.add({"q4": False, "q8": True}).variant for _ in range(6)]
    assert changes[0] != "q8" and changes[-1] == "q8"


def test_batch_invariance_counts_answers_that_change_under_concurrency():
    import threading

    from evalharness.canary.batch import batch_invariance
    from evalharness.endpoints.client import stream_chat
    from tests.fake_openai import FakeOpenAI, Script

    lock = threading.Lock()
    state = {"in_flight": 0, "peak": 0}

    def batching(body, busy):
        # a server whose greedy answers change when another request is being answered
        text = body["messages"][0]["content"]
        return Script(chunks=["Answer to ", text, " under load" if busy > 1 else ""], gap_s=0.02)

    with FakeOpenAI(responder=batching) as server:
        def call(messages):
            with lock:
                state["in_flight"] += 1
                state["peak"] = max(state["peak"], state["in_flight"])
            try:
                return stream_chat(server.base_url, "m", messages)
            finally:
                with lock:
                    state["in_flight"] -= 1

        result = batch_invariance(call, ["a b", "c d", "e f"], concurrency=3)
    assert state["peak"] == 3
    assert result.alone_compared == 3 and result.alone_differ == 0
    assert result.together_compared == 9 and result.together_differ >= 6  # most overlapped another
    assert result.examples and result.examples[0].when == "together"
    assert "at concurrency 3 differ" in result.line()

    with FakeOpenAI(responder=lambda body, busy: Script(chunks=["same answer"])) as steady:
        same = batch_invariance(lambda m: stream_chat(steady.base_url, "m", m), ["a", "b"], concurrency=4)
    assert same.together_compared == 8 and same.together_differ == 0 and same.together_share == 0.0
    # the JSON `probe --batch-invariance N --json` writes: the typed record, shares included
    from evalharness.reports.endpoint import BatchInvariance

    again = BatchInvariance.model_validate_json(result.model_dump_json())
    assert again.examples == result.examples and '"together_share"' in result.model_dump_json()


def test_batch_invariance_counts_failures_by_kind():
    from evalharness.canary.batch import batch_invariance
    from evalharness.endpoints.client import stream_chat
    from tests.fake_openai import FakeOpenAI, Script

    # a server that cuts a stream short when another request is in flight (llama-cpp-python's
    # interrupt_requests)
    def interrupting(body, busy):
        return Script(mode="truncate" if busy > 1 else "ok", gap_s=0.02)

    with FakeOpenAI(responder=interrupting) as server:
        result = batch_invariance(lambda m: stream_chat(server.base_url, "m", m), ["a", "b"], concurrency=4)
    assert result.failed >= 4 and set(result.failures) == {"truncated"}
    assert f"{result.failed} requests failed (truncated {result.failed})" in result.line()
