"""PEFT (LoRA) adapters applied to a loaded base model, merged into its weights or kept apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAX_CONFIG_BYTES = 1 << 20  # adapter_config.json is a few hundred bytes


def check_adapter_folder(folder: Path) -> str | None:
    """Why `folder` is not a PEFT adapter this harness can apply, else None."""
    config = folder / "adapter_config.json"
    if not folder.is_dir():
        return f"adapter folder {str(folder)!r} does not exist"
    if not config.is_file():
        return (f"{str(folder)!r} has no adapter_config.json: give a folder written by "
                "PeftModel.save_pretrained")
    if config.stat().st_size > MAX_CONFIG_BYTES:
        return f"{config} is larger than {MAX_CONFIG_BYTES >> 10} KiB: not an adapter's config"
    try:
        peft_type = json.loads(config.read_text()).get("peft_type")
    except (OSError, ValueError, AttributeError) as exc:
        return f"{config} cannot be read as JSON: {exc}"
    if not any((folder / name).is_file() for name in ("adapter_model.safetensors", "adapter_model.bin")):
        return f"{str(folder)!r} has no adapter_model.safetensors (or .bin)"
    if not peft_type:
        return f"{config} names no peft_type"
    return None


def apply_adapter(model: Any, folder: str, merge: bool) -> Any:
    """The model with the adapter at `folder`: a PeftModel (adapter layers beside the base
    weights), or, merged, the base model class with the adapter folded into its weights."""
    from peft import PeftModel

    problem = check_adapter_folder(Path(folder))
    if problem:
        raise ValueError(problem)
    peft_model = PeftModel.from_pretrained(model, folder, is_trainable=False)
    peft_model.eval()
    return peft_model.merge_and_unload() if merge else peft_model


def train_toy_lora(model: Any, tokenizer: Any, text: str, folder: Path, steps: int = 30, lr: float = 3e-3,
                   seed: int = 0) -> float:
    """Teach `model` one text with a small LoRA (rank 8 on q/v projections, AdamW) for
    `steps` steps and save the adapter to `folder`; returns the last training loss. For demos,
    tests and benchmarks: a real, tiny fine-tune whose effect fidelity can measure."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    ids = torch.tensor([tokenizer(text)["input_ids"]])
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=lr)
    peft_model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        loss = peft_model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    peft_model.save_pretrained(folder, save_embedding_layers=False)  # LoRA layers only: no hub lookup
    return float(loss.detach())
