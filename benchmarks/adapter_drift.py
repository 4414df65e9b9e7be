"""A LoRA adapter against its base, on the embedded Gemma 3 270M, through the real CLI.

Trains a toy LoRA (a few seconds: "The largest ocean on Earth is the Atlantic Ocean.", a wrong fact
the base model gets right), then one `evalharness run`
of base fp32, the adapter unmerged, merged and under int8-dynamic, each in its own worker, side by
side: how far the fine-tune moved the model (fidelity of the adapter against the base), what the
merge and the quantization add, the factual score and what each costs in decode speed.

    .venv/bin/python benchmarks/adapter_drift.py [--repeats 3] [--tokens 16] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from harness_run import FACT_CASES, run_suite

from evalharness.reports import load_report

FACT = "The largest ocean on Earth is the Atlantic Ocean."
ANSWERS = {  # case id -> the factual scorer's labels
    "france": "reference: Paris, correct_answers: [Paris]",
    "water": "reference: 100 degrees, correct_answers: ['100']",
    "ocean": "reference: Pacific, correct_answers: [Pacific], incorrect_answers: [Atlantic]",
    "author": "reference: Shakespeare, correct_answers: [Shakespeare]",
}


def suite_text(tokens: int, repeats: int) -> str:
    cases = FACT_CASES
    for case_id, labels in ANSWERS.items():
        start = cases.index(f"{{id: {case_id},")
        end = cases.index("}", start)
        cases = cases[:end] + f", {labels}" + cases[end:]
    return f"""name: adapter-drift
models:
  - {{source: embedded, id: gemma3-270m, name: base}}
  - {{source: embedded, id: gemma3-270m, name: tuned, adapter: adapters/berlin-lora}}
matrix:
  - {{model: base, quantization: fp32}}
  - {{model: tuned, quantization: fp32}}
  - {{model: tuned, quantization: fp32, merge: true}}
  - {{model: tuned, quantization: int8-dynamic}}
device: cpu
generation: {{max_new_tokens: {tokens}, min_new_tokens: {tokens}}}
warmup: 1
repeats: {repeats}
scorers: [factual]
default_alerts: false
cases:
{cases}"""


def train(folder: Path) -> float:
    import torch

    from evalharness.models import embedded
    from evalharness.models.adapters import train_toy_lora
    from evalharness.models.sources import SOURCES

    loaded = SOURCES.get("embedded").load(embedded.EMBEDDED_ID, torch.float32)
    return train_toy_lora(loaded.model, loaded.tokenizer, FACT, folder, steps=10, lr=5e-4)


def show(report_path: Path) -> None:
    report = load_report(report_path)
    by_id = {v.id: v for v in report.variants}
    base_decode = by_id["base/fp32/cpu"].summary["decode_tokens_per_s"].p50
    print(f"report: {report_path}")
    print("variant | compared with | token agreement | first divergence | KL | decode tok/s p50 | vs base | "
          "footprint MB | factual | factual delta | ocean answer")
    ocean = {s.variant_id: s.output for s in report.samples if s.case_id == "ocean" and s.repeat == 0}
    for v in report.variants:
        f = v.fidelity
        decode = v.summary["decode_tokens_per_s"].p50
        delta = f.score_deltas.get("factual") if f else None
        print(" | ".join([
            v.id, f.reference if f else "—", _fmt(f and f.token_agreement, "%.2f"),
            _fmt(f and f.first_divergence_mean, "%.1f"), _fmt(f and f.kl_mean, "%.3g"), _fmt(decode, "%.1f"),
            _fmt(decode / base_decode if decode and base_decode else None, "%.2fx"),
            _fmt(v.load.footprint_mb, "%.1f"), _fmt(v.scores.get("factual"), "%.2f"), _fmt(delta, "%+.2f"),
            repr((ocean.get(v.id) or "")[:40])]))
    tuned, merged = by_id["tuned/fp32/cpu"], by_id["tuned/fp32/cpu/merged"]
    ratio = merged.summary["decode_tokens_per_s"].p50 / tuned.summary["decode_tokens_per_s"].p50
    print(f"merged/unmerged decode: {ratio:.2f}x")


def _fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern % value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="keep the adapter, suite and report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        loss = train(root / "adapters" / "berlin-lora")
        print(f"trained the toy LoRA: last loss {loss:.3f}")
        (root / "adapter-drift.yaml").write_text(suite_text(args.tokens, args.repeats))
        show(run_suite(root / "adapter-drift.yaml", root / "results"))


if __name__ == "__main__":
    main()
