"""PEFT (LoRA) adapters as variants of the tiny model: the adapter really moves the model, its
fidelity is measured against its base, merged equals unmerged, and bad adapters fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.reports import load_report
from evalharness.runner import Runner, RunOptions
from evalharness.suite import SuiteError, load_suite


def make_lora(folder: Path, seed: int = 1) -> Path:
    """A LoRA adapter for the tiny Gemma with random (non-zero) A and B: outputs change."""
    import torch
    from peft import LoraConfig, get_peft_model

    from evalharness.models.tiny import tiny_gemma3

    model, _ = tiny_gemma3(seed=0)
    torch.manual_seed(seed)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(folder)
    return folder


SUITE = """
name: adapters
models:
  - {source: tiny-random, id: tiny-random-gemma3, name: base}
  - {source: tiny-random, id: tiny-random-gemma3, adapter: lora}
matrix:
  - {model: tiny-random-gemma3+lora, quantization: fp32}
  - {model: base, quantization: fp32}
  - {model: tiny-random-gemma3+lora, quantization: fp32, merge: true}
  - {model: tiny-random-gemma3+lora, quantization: int8-dynamic}
generation: {max_new_tokens: 10}
warmup: 0
repeats: 1
isolation: none
cases:
  - {id: a, prompt: "Hello there"}
  - {id: b, messages: [{role: user, content: "Count to five"}]}
"""


@pytest.fixture(scope="module")
def adapter_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adapters")
    make_lora(folder / "lora")
    (folder / "suite.yaml").write_text(SUITE)
    outcome = Runner(load_suite(folder / "suite.yaml"), RunOptions(output_dir=folder / "out")).run(run_id="a1")
    return load_report(outcome.report_path)


def test_adapter_variants_compare_with_base_and_merge_changes_nothing(adapter_run):
    by_id = {v.id: v for v in adapter_run.variants}
    # the base model's reference is measured first, whatever order the matrix lists
    assert [v.id for v in adapter_run.variants][0] == "base/fp32/cpu"
    assert all(v.status == "ok" for v in by_id.values()), [v.error for v in by_id.values()]
    tuned = by_id["tiny-random-gemma3+lora/fp32/cpu"]
    assert tuned.model.adapter and tuned.model.adapter.endswith("/lora")
    assert by_id["base/fp32/cpu"].model.adapter is None
    # how far the fine-tune moved the model: compared with the base model's reference
    assert tuned.fidelity.reference == "base/fp32/cpu"
    assert tuned.fidelity.kl_mean > 1e-3 and tuned.fidelity.token_agreement < 1.0
    # merging folds the same update into the weights: the same tokens, KL at float rounding
    merged = by_id["tiny-random-gemma3+lora/fp32/cpu/merged"]
    assert merged.axes.get("merge") is True or "merged" in merged.id
    assert merged.fidelity.reference == tuned.id
    assert merged.fidelity.token_agreement == 1.0 and merged.fidelity.kl_mean < 1e-6
    # quantizing the adapter model compares with the adapter's own reference
    assert by_id["tiny-random-gemma3+lora/int8-dynamic/cpu"].fidelity.reference == tuned.id
    # the unmerged adapter's own weights are counted in its footprint; merged they are folded in
    assert tuned.load.footprint_mb > merged.load.footprint_mb == by_id["base/fp32/cpu"].load.footprint_mb
    outputs = {(s.variant_id, s.case_id): s.output_ids for s in adapter_run.samples}
    assert outputs[("base/fp32/cpu", "a")] != outputs[(tuned.id, "a")]
    assert outputs[(merged.id, "a")] == outputs[(tuned.id, "a")]


def test_bad_adapter_and_merge_without_adapter_are_suite_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    text = SUITE.replace("lora", "empty").replace(
        "- {model: base, quantization: fp32}", "- {model: base, quantization: fp32, merge: true}")
    (tmp_path / "suite.yaml").write_text(text)
    with pytest.raises(SuiteError) as exc:
        load_suite(tmp_path / "suite.yaml")
    messages = [str(p) for p in exc.value.problems]
    assert any(":5: models[1].adapter:" in m and "no adapter_config.json" in m for m in messages), messages
    assert any(":8: matrix[1].merge:" in m and "no `adapter`" in m for m in messages), messages


def test_an_adapter_outside_the_suite_folder_is_refused_unless_allowed(tmp_path):
    suite_dir = tmp_path / "suites"
    suite_dir.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for adapter, why in (("../elsewhere", "leaves the suite's folder"), (str(outside), "is absolute")):
        (suite_dir / "suite.yaml").write_text(SUITE.replace("adapter: lora", f"adapter: {adapter}"))
        with pytest.raises(SuiteError) as exc:
            load_suite(suite_dir / "suite.yaml")
        assert any("models[1].adapter" in str(p) and why in str(p) for p in exc.value.problems), exc.value.problems
        # allowed: then it is checked as an adapter folder (this one has no adapter_config.json)
        with pytest.raises(SuiteError) as exc:
            load_suite(suite_dir / "suite.yaml", case_files_anywhere=True)
        assert any("no adapter_config.json" in str(p) for p in exc.value.problems), exc.value.problems


def test_adapter_identity_changes_the_reuse_key(tmp_path):
    from evalharness.runner.plan import plan_variants

    make_lora(tmp_path / "lora")
    (tmp_path / "suite.yaml").write_text(SUITE)
    plans = plan_variants(load_suite(tmp_path / "suite.yaml").suite, "cpu")
    base = next(p for p in plans if p.id == "base/fp32/cpu")
    tuned = next(p for p in plans if p.id == "tiny-random-gemma3+lora/fp32/cpu")
    assert base.entry().model != tuned.entry().model  # the plan (and so the report) names the adapter
    assert tuned.entry().model["adapter"] == str((tmp_path / "lora").resolve())
