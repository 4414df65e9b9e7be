"""An independent measurement of TTFT and decode tokens/s that imports nothing from evalharness.

Plain library calls only (transformers, torch, torchao, optimum-quanto, bitsandbytes,
llama-cpp-python), so a bug in the harness cannot be repeated here. Run in a fresh process by
`benchmarks/agreement.py` and `benchmarks/overhead.py`:

    python benchmarks/independent.py SCHEME MODEL_DIR_OR_GGUF --text "..." --tokens 32 --repeats 3

transformers schemes, like optimum-benchmark: TTFT = t(1), the wall time of a `generate` of one
token (prefill and the first token); decode tokens/s = (N-1) / (t(N) - t(1)) with N tokens forced
(min_new_tokens = max_new_tokens = N), medians over the repeats.
gguf (llama.cpp): llama.cpp's own counters (`llama_perf_context`): TTFT = prompt-eval time,
decode tokens/s = tokens evaluated / eval time.

The prompt is tokenized here, with the library's own tokenizer (BOS added once).
Prints one JSON line: {"scheme", "prompt_tokens", "ttft_s", "decode_tokens_per_s", "ttft_best_s",
"decode_best_tokens_per_s", "t1_s", "tN_s"}; the "best" figures use the fastest repeat (min t(1),
min t(N)), which other processes on a busy machine can only slow down, never speed up; every
repeat's own figures follow ("t1_all_s", "tN_all_s"; for gguf "ttft_all_s",
"decode_all_tokens_per_s"), so a caller can pool repeats over several processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from typing import Any


def _bf16_rest(model: Any, head_too: bool = True) -> None:
    """Mirror of the documented recipe: the tied embedding / LM head kept in bf16, computing in
    bf16, handing float32 on to the float32 parts (the head only when it was left unquantized)."""
    import torch

    emb = model.get_input_embeddings()
    emb.weight.data = emb.weight.data.to(torch.bfloat16)
    emb.register_forward_hook(lambda m, i, out: out.to(torch.float32))
    if head_too:
        head = model.get_output_embeddings()
        head.register_forward_pre_hook(lambda m, args: (args[0].to(torch.bfloat16),))
        head.register_forward_hook(lambda m, i, out: out.to(torch.float32))


def _not_head(model: Any) -> Any:
    head = model.get_output_embeddings()
    return lambda module, fqn: module is not head and isinstance(module, __import__("torch").nn.Linear)


def load(scheme: str, folder: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    if scheme in dtypes:
        return AutoModelForCausalLM.from_pretrained(folder, dtype=dtypes[scheme]).eval()
    if scheme.startswith("bnb-"):
        # bitsandbytes' CPU 8-bit matmul logs a warning on every call (2,142 lines for 8 tokens),
        # which slowed this side (harness/independent decode 1.157); the harness silences it too
        import logging

        logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
        config = (BitsAndBytesConfig(load_in_8bit=True, llm_int8_threshold=6.0) if scheme == "bnb-int8" else
                  BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                     bnb_4bit_compute_dtype=torch.bfloat16))
        dtype = torch.float32 if scheme == "bnb-int8" else torch.bfloat16
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, quantization_config=config,
                                                     device_map="cpu").eval()
        if scheme == "bnb-int8":
            _bf16_rest(model)
        return model
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    head = model.get_output_embeddings()
    if scheme.startswith("int8-dynamic"):
        names = {n for n, m in model.named_modules()
                 if isinstance(m, torch.nn.Linear) and (m is not head or scheme == "int8-dynamic-head")}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

            model = quantize_dynamic(model, {n: default_dynamic_qconfig for n in names}, dtype=torch.qint8)
    elif scheme.startswith("torchao-"):
        import torchao.quantization as tq

        config = tq.Int8WeightOnlyConfig() if scheme == "torchao-int8wo" else tq.Int8DynamicActivationInt8WeightConfig()
        tq.quantize_(model, config, filter_fn=_not_head(model))
    elif scheme == "quanto-int8":
        from optimum.quanto import freeze, qint8, quantize

        quantize(model, weights=qint8, exclude=["lm_head"])
        freeze(model)
    else:
        raise SystemExit(f"unknown scheme {scheme!r}")
    _bf16_rest(model, head_too=scheme != "int8-dynamic-head")
    return model


def transformers_figures(scheme: str, folder: str, text: str, tokens: int, repeats: int) -> dict:
    import torch
    from transformers import AutoTokenizer, GenerationConfig

    ids = AutoTokenizer.from_pretrained(folder)(text, add_special_tokens=True)["input_ids"]
    model = load(scheme, folder)
    input_ids = torch.tensor([ids])
    attention = torch.ones_like(input_ids)
    eos = model.generation_config.eos_token_id

    def timed(n: int) -> float:
        config = GenerationConfig(max_new_tokens=n, min_new_tokens=n, do_sample=False, temperature=None,
                                  top_p=None, top_k=None, eos_token_id=eos, pad_token_id=0)
        with torch.inference_mode():
            start = time.perf_counter()
            out = model.generate(input_ids=input_ids, attention_mask=attention, generation_config=config)
            wall = time.perf_counter() - start
        assert out.shape[1] - len(ids) == n, (out.shape, n)
        return wall

    timed(tokens)  # warm-up, like the harness's
    t1, tn = [], []
    for _ in range(repeats):
        t1.append(timed(1))
        tn.append(timed(tokens))
    a, b = statistics.median(t1), statistics.median(tn)
    return {"prompt_tokens": len(ids), "ttft_s": a, "decode_tokens_per_s": (tokens - 1) / (b - a),
            "ttft_best_s": min(t1), "decode_best_tokens_per_s": (tokens - 1) / (min(tn) - min(t1)),
            "t1_s": a, "tN_s": b, "t1_all_s": t1, "tN_all_s": tn}


def gguf_figures(path: str, text: str, tokens: int, repeats: int) -> dict:
    import llama_cpp
    import torch

    llm = llama_cpp.Llama(model_path=path, n_ctx=4096, n_threads=torch.get_num_threads(),
                          n_threads_batch=torch.get_num_threads(), verbose=False, seed=0)
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def once() -> tuple[float, float]:
        llm.reset()
        llama_cpp.llama_perf_context_reset(llm.ctx)
        produced = 0
        for _ in llm.generate(ids, reset=True, temp=0.0, top_k=1, top_p=1.0, repeat_penalty=1.0):
            produced += 1
            if produced >= tokens:
                break
        perf = llama_cpp.llama_perf_context(llm.ctx)
        return perf.t_p_eval_ms / 1000, perf.n_eval / (perf.t_eval_ms / 1000)

    once()
    runs = [once() for _ in range(repeats)]
    return {"prompt_tokens": len(ids), "ttft_s": statistics.median(r[0] for r in runs),
            "decode_tokens_per_s": statistics.median(r[1] for r in runs),
            "ttft_best_s": min(r[0] for r in runs), "decode_best_tokens_per_s": max(r[1] for r in runs),
            "t1_s": None, "tN_s": None, "ttft_all_s": [r[0] for r in runs],
            "decode_all_tokens_per_s": [r[1] for r in runs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scheme")
    ap.add_argument("model", help="a transformers model folder, or a .gguf file for gguf-native")
    ap.add_argument("--text", required=True, help="the prompt")
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.scheme == "gguf-native":
        figures = gguf_figures(args.model, args.text, args.tokens, args.repeats)
    else:
        figures = transformers_figures(args.scheme, args.model, args.text, args.tokens, args.repeats)
    print(json.dumps({"scheme": args.scheme, **figures}))


if __name__ == "__main__":
    main()
