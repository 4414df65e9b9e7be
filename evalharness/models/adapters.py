"""PEFT (LoRA) adapters applied to a loaded base model, merged into its weights or kept apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def check_adapter_folder(folder: Path) -> str | None:
    """Why `folder` is not a PEFT adapter this harness can apply, else None."""
    config = folder / "adapter_config.json"
    if not folder.is_dir():
        return f"adapter folder {str(folder)!r} does not exist"
    if not config.is_file():
        return (f"{str(folder)!r} has no adapter_config.json: give a folder written by "
                "PeftModel.save_pretrained")
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
