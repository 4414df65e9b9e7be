"""The real embedded Gemma 3 270M, loaded from the converted cache (converted once if needed)."""

import time

import pytest

from evalharness.models import embedded
from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.suite import load_suite

pytestmark = pytest.mark.slow

SUITE = """
name: embedded-check
models:
  - source: embedded
    id: gemma3-270m
quantizations: [fp32, int8-dynamic]
device: cpu
generation: {max_new_tokens: 12}
warmup: 1
repeats: 1
cases:
  - id: capital
    prompt: "The capital of France is"
    reference: Paris
  - id: chat
    messages: [{role: user, content: "Name a colour."}]
"""


@pytest.fixture(scope="module")
def converted():
    return embedded.ensure_converted()


def test_cached_load_is_fast_and_tokenizer_has_gemma_specials(converted):
    from transformers import AutoTokenizer

    start = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(converted))
    elapsed = time.perf_counter() - start
    # converting the GGUF tokenizer takes ~20-40 s here; the cached one loads in seconds
    assert elapsed < 15
    assert tok.convert_tokens_to_ids("<end_of_turn>") == 106
    assert tok("hi")["input_ids"][0] == tok.bos_token_id == 2


def test_real_model_report_fields_are_sane(converted, write_suite, tmp_path):
    from transformers import AutoTokenizer

    loaded = load_suite(write_suite(SUITE))
    report = load_report(Runner(loaded, RunOptions(output_dir=tmp_path)).run().report_path)
    assert report.status == "complete"
    fp32, int8 = report.variants
    assert fp32.status == int8.status == "ok"
    assert 900 < fp32.load.footprint_mb < 1100  # ~1023 MB: dense fp32 with the tied embedding once
    assert int8.load.footprint_mb < fp32.load.footprint_mb
    tok = AutoTokenizer.from_pretrained(str(converted))
    for s in report.samples:
        assert s.success, s.error
        assert 0 < s.ttft_s < s.latency_s
        assert s.decode_tokens_per_s > 0
        assert 1 <= s.output_tokens <= 12
        # re-tokenising the decoded answer gives back exactly the counted tokens
        assert len(tok(s.output, add_special_tokens=False)["input_ids"]) == s.output_tokens
        assert s.peak_rss_mb > 300
    capital = next(s for s in report.samples if s.case_id == "capital" and "fp32" in s.variant_id)
    assert "paris" in capital.output.lower() or capital.scores["factual"] is not None
    assert set(fp32.scores) == {"relevance", "coherence", "safety", "factual"}
