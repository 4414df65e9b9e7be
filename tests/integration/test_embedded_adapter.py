"""A LoRA adapter on the real embedded Gemma 3 270M, trained for a few seconds on a toy fact, as
a variant: base vs adapter vs merged."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from evalharness.models import embedded
from evalharness.runtimes import GenParams
from evalharness.runtimes.transformers import load_backend

pytestmark = pytest.mark.slow

PROMPT = "The capital of France is"
FACT = "The capital of France is Berlin. The capital of France is Berlin."


def train_lora(folder) -> None:
    import torch

    from evalharness.models.adapters import train_toy_lora
    from evalharness.models.sources import SOURCES

    loaded = SOURCES.get("embedded").load(embedded.EMBEDDED_ID, torch.float32)
    assert train_toy_lora(loaded.model, loaded.tokenizer, FACT, folder) < 1.0  # it learnt the text


def answer(backend) -> tuple[list[int], str]:
    ids = backend.tokenizer(PROMPT)["input_ids"]
    out = backend.generate(ids, GenParams(8, 0, False, 1.0, 1.0, 0))
    return out.output_ids, out.output


def test_trained_adapter_changes_the_answer_and_merging_keeps_it(tmp_path):
    embedded.ensure_converted()
    train_lora(tmp_path / "lora")
    base = load_backend("embedded", embedded.EMBEDDED_ID, None, "fp32", "cpu")
    base_ids, base_text = answer(base)
    prompt = base.tokenizer(PROMPT)["input_ids"]
    base.close()
    tuned = load_backend("embedded", embedded.EMBEDDED_ID, None, "fp32", "cpu", SimpleNamespace(merge=False),
                         str(tmp_path / "lora"))
    tuned_ids, tuned_text = answer(tuned)
    tuned_logp = tuned.teacher_forced_logprobs(prompt, tuned_ids)
    tuned.close()
    merged = load_backend("embedded", embedded.EMBEDDED_ID, None, "fp32", "cpu", SimpleNamespace(merge=True),
                          str(tmp_path / "lora"))
    merged_ids, _ = answer(merged)
    merged_logp = merged.teacher_forced_logprobs(prompt, tuned_ids)
    assert type(merged.model).__name__ != "PeftModelForCausalLM"  # folded into the base class
    merged.close()

    assert "Berlin" in tuned_text and "Berlin" not in base_text, (base_text, tuned_text)
    assert tuned_ids != base_ids
    assert merged_ids == tuned_ids
    kl = float(np.mean(np.sum(np.exp(tuned_logp) * (tuned_logp - merged_logp), axis=-1)))
    assert abs(kl) < 1e-4
