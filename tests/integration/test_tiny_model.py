"""Real transformers generation on the tiny random Gemma 3 (seconds, no download)."""

import pytest

from evalharness.measure.sample import measure_generation
from evalharness.measure.tokens import trim_at_eos
from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.runtimes import GenParams
from evalharness.runtimes.transformers import load_backend
from evalharness.suite import load_suite
from evalharness.suite.schema import Case

GREEDY = GenParams(max_new_tokens=12, min_new_tokens=12, do_sample=False, temperature=1.0,
                   top_p=1.0, seed=0)


def test_tokens_are_timed_inside_one_generate_call():
    backend = load_backend("tiny-random", "tiny-random-gemma3", None, "fp32", "cpu")
    case = Case(id="x", prompt="Hello there")
    ids = backend.encode(case)
    assert ids[0] == 2 and len(ids) == len("Hello there") + 1  # BOS + one byte a token
    gen = backend.timed_generate(ids, GREEDY)
    assert len(gen.generated_ids) == 12 and len(gen.token_times_s) == 12
    assert gen.start_s < gen.token_times_s[0] <= gen.token_times_s[-1] <= gen.end_s
    assert gen.token_times_s == sorted(gen.token_times_s)
    m = measure_generation(lambda: backend.timed_generate(ids, GREEDY), backend.eos_ids)
    assert m.output_ids == trim_at_eos(m.output_ids, backend.eos_ids)
    assert m.timing.output_tokens == len(m.output_ids)
    assert m.timing.ttft_s < m.timing.latency_s
    assert m.peak_rss_mb > 50 and m.gpu_peak_mb is None


def test_same_seed_same_model_same_greedy_output():
    a = load_backend("tiny-random", "tiny-random-gemma3", None, "fp32", "cpu")
    b = load_backend("tiny-random", "tiny-random-gemma3", None, "fp32", "cpu")
    ids = a.encode(Case(id="x", prompt="abc"))
    assert a.timed_generate(ids, GREEDY).generated_ids == b.timed_generate(ids, GREEDY).generated_ids


def test_three_quantizations_end_to_end(tiny_suite, tmp_path):
    loaded = load_suite(tiny_suite())
    outcome = Runner(loaded, RunOptions(output_dir=tmp_path / "out")).run()
    report = load_report(outcome.report_path)
    assert report.status == "complete"
    assert [v.quantization for v in report.variants] == ["fp32", "bf16", "int8-dynamic"]
    fp = {v.quantization: v.load.footprint_mb for v in report.variants}
    assert fp["int8-dynamic"] < fp["bf16"] < fp["fp32"]
    for v in report.variants:
        assert v.status == "ok" and v.synthetic and v.scores == {}
        assert v.summary["decode_tokens_per_s"].mean > 0
        assert v.load.seconds > 0 and v.load.peak_rss_mb > 0
    for s in report.samples:
        assert s.success and s.output_tokens == 8
        assert 0 < s.ttft_s < s.latency_s
        assert s.decode_tokens_per_s > 0 and s.prefill_tokens_per_s > 0
        assert s.gpu_peak_mb is None
    assert report.environment.torch and report.environment.cpu_count >= 1
    assert report.environment.gpu_name is None


def test_hub_id_without_network_fails_its_variant_only(tiny_suite, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    path = tiny_suite(extra="""
    """)
    text = path.read_text().replace(
        "models:\n", "models:\n  - source: hf\n    id: google/gemma-3-1b-it\n    name: g1b\n")
    text = text.replace("[fp32, bf16, int8-dynamic]", "[fp32]")
    path.write_text(text)
    outcome = Runner(load_suite(path), RunOptions(output_dir=tmp_path, repeats=1)).run()
    by = {v.id: v for v in outcome.report.variants}
    assert by["g1b/fp32/cpu"].status == "failed"
    assert "the Hugging Face hub cannot be reached" in by["g1b/fp32/cpu"].error
    assert by["tiny-random-gemma3/fp32/cpu"].status == "ok"
    assert len(outcome.report.samples) == 2


@pytest.mark.parametrize("quant", ["fp32", "bf16"])
def test_local_folder_source(tmp_path, quant):
    from evalharness.models.tiny import tiny_gemma3

    model, tok = tiny_gemma3()
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    backend = load_backend("hf", str(tmp_path / "m"), None, quant, "cpu")
    gen = backend.timed_generate(backend.encode(Case(id="x", prompt="hi")), GREEDY)
    assert len(gen.generated_ids) == 12
