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
quantizations: [fp32, bf16, torchao-int8wo, int8-dynamic]
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
    fp32, bf16, torchao, int8 = report.variants
    assert {v.status for v in report.variants} == {"ok"}
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
    # each variant measured in its own worker: its own memory, int8 now below bf16's 511 MB
    assert fp32.worker.pid != int8.worker.pid and int8.load.footprint_mb < 500
    # peak RSS physically ordered, and what a variant holds beyond its weights (the process,
    # activations, KV cache) about the same for each: an in-place quantizer that kept the float32
    # file mapping resident held ~1.9 GB beyond a 416 MB model, fp32 ~0.6 GB
    peak = {v.quantization: v.summary["peak_rss_mb"].max for v in report.variants}
    assert peak["fp32"] > max(peak["bf16"], peak["torchao-int8wo"], peak["int8-dynamic"]) + 300, peak
    beyond = {v.quantization: peak[v.quantization] - v.load.footprint_mb for v in report.variants}
    assert max(beyond.values()) - min(beyond.values()) < 400, beyond
    # what the load left resident follows the weights (bf16 511 MB > int8 416 MB)
    resident = {v.quantization: v.load.resident_mb for v in report.variants}
    assert resident["fp32"] > resident["bf16"] > max(resident["torchao-int8wo"], resident["int8-dynamic"]), resident
    assert all(r > 0.8 * v.load.footprint_mb for r, v in zip(resident.values(), report.variants)), resident
    assert 0 < fp32.load.roofline_fraction < 1.5


FIXED_LENGTH = """
name: fixed-length
models: [{{source: embedded, id: gemma3-270m}}]
quantizations: [fp32]
device: cpu
generation: {{max_new_tokens: 8, min_new_tokens: {min_tokens}}}
warmup: 1
repeats: 3
scorers: []
cases: [{{id: capital, prompt: "The capital of France is"}}]
"""


def test_min_new_tokens_does_not_inflate_ttft(converted, write_suite, tmp_path):
    """Fixed-length decoding (min = max) once reported TTFT ~16x too high (2.1 s vs 0.13 s)."""
    ttft = {}
    for min_tokens in (0, 8):
        path = write_suite(FIXED_LENGTH.format(min_tokens=min_tokens), name=f"f{min_tokens}.yaml")
        report = Runner(load_suite(path), RunOptions(output_dir=tmp_path)).run().report
        ttft[min_tokens] = report.variants[0].summary["ttft_s"].p50
        assert all(s.success and s.ttft_s < s.latency_s for s in report.samples)
    # the bug was 16x; two runs one after the other on a shared 2-core VM differ by up to ~2x
    # (1.9x measured with another process busy), so the bound is 3x
    assert 1 / 3 < ttft[8] / ttft[0] < 3.0, ttft


def test_a_bfcl_category_runs_on_the_embedded_gemma(tmp_path):
    """The shipped BFCL suite, cut to three simple questions, through the real model: every answer
    is judged (1 or 0 with the rule that failed), none is an error."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "suites"
    shutil.copytree(root / "data" / "bfcl", tmp_path / "data" / "bfcl")
    text = (root / "bfcl.yaml").read_text().replace("limit: 10", "limit: 3").replace("limit: 5", "limit: 1")
    (tmp_path / "bfcl.yaml").write_text(text.replace("max_new_tokens: 96", "max_new_tokens: 24"))
    outcome = Runner(load_suite(tmp_path / "bfcl.yaml"), RunOptions(output_dir=tmp_path / "results")).run()
    report = outcome.report
    assert len(report.samples) == 6 and all(s.success for s in report.samples)
    labels = {s.score_details["function_call"].label for s in report.samples}
    assert all(s.scores["function_call"] in (0.0, 1.0) for s in report.samples), labels
    assert "error" not in labels
