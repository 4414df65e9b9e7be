"""A tiny, seeded, randomly initialised Gemma 3 with a byte-level tokenizer, for fast tests.

Its answers are noise: reports mark it `synthetic` and never present its scores as quality.
"""

from __future__ import annotations

from typing import Any

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]


IMAGE_TOKENS = ["<start_of_image>", "<end_of_image>", "<image_soft_token>"]  # after the bytes
VISION_ID = "tiny-random-gemma3-vision"


def byte_core(image_tokens: bool = False) -> Any:
    """The byte-level `tokenizers` tokenizer (no transformers needed): ids 0-5 are specials;
    with `image_tokens`, Gemma 3's three image tokens follow the 256 bytes."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(SPECIALS)
    if image_tokens:
        for tok in IMAGE_TOKENS:
            vocab[tok] = len(vocab)
        core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
        core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        core.decoder = decoders.ByteLevel()
        core.add_special_tokens(SPECIALS + IMAGE_TOKENS)
    core.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", 2)]
    )
    return core


def byte_tokenizer(image_tokens: bool = False) -> Any:
    """A byte-level tokenizer: every text round-trips exactly; ids 0-5 are Gemma-like specials
    (and, with `image_tokens`, Gemma 3's image tokens, named as its processor looks them up)."""
    from transformers import PreTrainedTokenizerFast

    extra = ({"boi_token": IMAGE_TOKENS[0], "eoi_token": IMAGE_TOKENS[1], "image_token": IMAGE_TOKENS[2]}
             if image_tokens else {})
    return PreTrainedTokenizerFast(
        tokenizer_object=byte_core(image_tokens),
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=["<start_of_turn>", "<end_of_turn>"],
        **({"extra_special_tokens": extra} if extra else {}),
    )


def tiny_gemma3(seed: int = 0, dtype: Any = None) -> tuple[Any, Any]:
    """(model, tokenizer): 2 layers, hidden 64, byte vocabulary; identical for the same seed."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    tokenizer = byte_tokenizer()
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        max_position_embeddings=2048,
        sliding_window=512,
        pad_token_id=0,
        eos_token_id=[1, 5],
        bos_token_id=2,
    )
    config._attn_implementation = "sdpa"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Gemma3ForCausalLM(config)
    model.eval()
    if dtype is not None:
        model = model.to(dtype)
    return model, tokenizer


def tiny_gemma3_vision(seed: int = 0, dtype: Any = None) -> tuple[Any, Any, Any]:
    """(model, tokenizer, processor): a Gemma3ForConditionalGeneration with a 1-layer SigLIP
    (32x32 images, 8x8 patches, 4 image tokens) and the tiny text model; seeded.

    transformers initialises the multimodal projector to zeros, so every image would embed the
    same: it is re-initialised (normal, std 0.02) so that different images give different logits."""
    import torch
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    tokenizer = byte_tokenizer(image_tokens=True)
    boi, eoi, image = (tokenizer.convert_tokens_to_ids(t) for t in IMAGE_TOKENS)
    text = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                            num_attention_heads=2, num_key_value_heads=1, head_dim=32,
                            max_position_embeddings=2048, sliding_window=512, pad_token_id=0,
                            eos_token_id=[1, 5], bos_token_id=2)
    vision = SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                image_size=32, patch_size=8, vision_use_head=False)
    config = Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4,
                          image_token_index=image, boi_token_index=boi, eoi_token_index=eoi,
                          pad_token_id=0, eos_token_id=[1, 5], bos_token_id=2)
    config._attn_implementation = "sdpa"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Gemma3ForConditionalGeneration(config)
        with torch.no_grad():
            model.model.multi_modal_projector.mm_input_projection_weight.normal_(0.0, 0.02)
    model.eval()
    if dtype is not None:
        model = model.to(dtype)
    return model, tokenizer, tiny_processor(tokenizer)


def tiny_processor(tokenizer: Any) -> Any:
    """Gemma 3's processor for the tiny vision model, built from parameters (no download)."""
    from transformers import Gemma3Processor
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    images = Gemma3ImageProcessorPil(size={"height": 32, "width": 32}, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                                     do_pan_and_scan=False)
    return Gemma3Processor(image_processor=images, tokenizer=tokenizer, image_seq_length=4)
