"""A tiny, seeded, randomly initialised Gemma 3 with a byte-level tokenizer, for fast tests.

Its answers are noise: reports mark it `synthetic` and never present its scores as quality.
"""

from __future__ import annotations

from typing import Any

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]


def byte_core() -> Any:
    """The byte-level `tokenizers` tokenizer (no transformers needed): ids 0-5 are specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(SPECIALS)
    core.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", 2)]
    )
    return core


def byte_tokenizer() -> Any:
    """A byte-level tokenizer: every text round-trips exactly; ids 0-5 are Gemma-like specials."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=byte_core(),
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=["<start_of_turn>", "<end_of_turn>"],
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
