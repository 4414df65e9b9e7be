"""Image cases on a local vision model: the processor turns messages with images into token ids
(each image's soft tokens in place) and pixel values, carried together as one prompt."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalharness.models.chat import gemma_turns
from evalharness.models.images import image_bytes, pil_image


@dataclass
class VisionPrompt:
    """Token ids with the images' inputs (pixel values, token types) the model also takes."""

    ids: list[int]
    inputs: dict[str, Any] = field(default_factory=dict)  # tensors beside input_ids, batch of 1
    digests: tuple[str, ...] = ()  # the images' sha256: with the ids, what makes two prompts equal

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def identity(self) -> dict[str, Any]:
        return {"ids": self.ids, "images": list(self.digests)}

    def extra(self, batch: int = 1, extend: int = 0, device: str = "cpu") -> dict[str, Any]:
        """The image inputs for `batch` copies of the prompt, token types padded by `extend`
        text positions (teacher forcing appends the target to the prompt)."""
        import torch

        out = {}
        for name, value in self.inputs.items():
            if name == "token_type_ids" and extend:
                value = torch.cat([value, torch.zeros((1, extend), dtype=value.dtype)], dim=1)
            out[name] = value.repeat(batch, *([1] * (value.dim() - 1))).to(device)
        return out


def vision_prompt(processor: Any, messages: Sequence[Any]) -> VisionPrompt:
    """The case through the model's processor: its chat template where it has one (real Gemma 3
    checkpoints), else Gemma's turns with `<start_of_image>` where each image goes."""
    images = [image for m in messages if not isinstance(m.content, str)
              for image in (p.image for p in m.content if p.type == "image")]
    data = [image_bytes(ref)[0] for ref in images]  # each image read once: decoded and hashed
    pil = [pil_image(d) for d in data]
    if getattr(processor, "chat_template", None):
        chat = [{"role": m.role, "content": [{"type": "text", "text": m.content}] if isinstance(m.content, str)
                 else [{"type": "text", "text": p.text} if p.type == "text" else {"type": "image"}
                       for p in m.content]} for m in messages]
        text = processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    else:
        text = processor.tokenizer.bos_token + gemma_turns(messages, image_marker=processor.boi_token)
    batch = processor(text=text, images=pil, return_tensors="pt", add_special_tokens=False)
    ids = batch.pop("input_ids")[0].tolist()
    batch.pop("attention_mask", None)
    return VisionPrompt(ids=ids, inputs=dict(batch), digests=tuple(hashlib.sha256(d).hexdigest() for d in data))
