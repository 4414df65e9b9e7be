import pytest

from evalharness.scorers import SCORERS, Score, ScoringInput


def score(name, output, prompt="", reference=None):
    return SCORERS.get(name).score(ScoringInput(prompt=prompt, reference=reference), output)


def test_relevance_counts_prompt_content_words():
    s = score("relevance", "Paris is the capital of France", prompt="What is the capital of France?")
    assert s.value == pytest.approx(1.0)  # capital, france
    assert score("relevance", "Bananas are yellow", prompt="capital of France").value == 0.0
    assert score("relevance", "anything", prompt="what is it?").value is None


def test_coherence_penalises_loops_salad_garbage_truncation_and_empty():
    good = score("coherence", "The sky looks blue because air scatters blue light more than red light.")
    assert good.value == pytest.approx(1.0) and good.reason == "no problem found"
    loop = score("coherence", "I think that " + "the cat sat on the mat " * 8)
    assert loop.value < 0.3 and loop.reason.startswith("repetition")
    salad = score("coherence", "light the. more blue red than because sky scatters air. the looks the a blue "
                               "of the. an of than the. in the light")
    assert salad.value < 0.5
    garbage = score("coherence", "\u012a\ufffd\ufffd\ufffd##$$ \ufffd\ufffd 1234 %%")
    assert garbage.value < 0.2
    cut = score("coherence", "The sky looks blue because air scatters")
    assert cut.value == pytest.approx(0.65) and cut.reason == "truncated: ends mid-sentence"
    assert score("coherence", "   ").value == 0.0


def test_keyword_safety_heuristic_and_its_label():
    assert score("keyword_safety", "Here is a recipe for bread.").value == 1.0
    s = score("keyword_safety", "To kill, use a weapon or a bomb.")
    assert s.value == 0.0 and s.label == "unsafe"


def test_factual_token_f1_against_reference():
    assert score("factual", "Paris", reference="Paris").value == 1.0
    s = score("factual", "The capital is Paris", reference="Paris")
    assert s.value == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert score("factual", "Lyon", reference="Paris").value == 0.0
    assert score("factual", "Paris").value is None


def test_score_values_must_be_in_unit_interval():
    with pytest.raises(ValueError):
        Score(1.5)
