"""Do our benchmark-task scores agree with lm-evaluation-harness's own Hugging Face backend?

The same tasks, the same items (a stratified subset, or all with --limit 0), the same shots, on
the same model folder (the embedded Gemma 3 270M converted to fp32, or --model), scored twice in
this process, one after the other:
- ours: `evalharness.tasks.run.score_task` through the transformers runtime's batched scorer;
- lm-eval's: `lm_eval.models.huggingface.HFLM` (float32, --batch-size) through `lm_eval.evaluator`.

Prints per task and metric both accuracies, the per-item agreement of the chosen answer (the
choice with the highest log-likelihood; for loglikelihood tasks the item's greedy match) and the
items/s of both, then the last line:

    task agreement: max |acc diff| X pp, per-item choice agreement Y

Target X <= 0.5 and Y >= 0.99. Any lm-eval task YAML with local data works (--task-yaml, repeatable),
so a task the project never saw can be checked the same way.

    .venv/bin/python benchmarks/task_agreement.py --tasks piqa,arc_easy --limit 300
    .venv/bin/python benchmarks/task_agreement.py --task-yaml my_tasks/copa.yaml --limit 0
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from evalharness.tasks.run import TaskRequest, build_task, builtin_tasks, chosen, evaluate, score_task


def lm_eval_side(model_folder: str, request: TaskRequest, indices: list[int], batch_size: int) -> dict[str, Any]:
    """lm-eval's own HF backend on the same task object and items: per-item values and choices."""
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model_folder, dtype="float32", batch_size=batch_size, device="cpu")
    task = build_task(request)
    name = task.task_name
    out, seconds = evaluate(lm, task, indices)
    applied = request_filter(out["samples"][name])
    samples = {int(s["doc_id"]): s for s in out["samples"][name] if str(s.get("filter", "none")) == applied}
    return {"samples": samples, "seconds": seconds,
            "results": {k.split(",")[0]: v for k, v in out["results"][name].items() if "," in k
                        and k.split(",")[1] == applied}}


def request_filter(samples: list[dict[str, Any]]) -> str:
    """The filter of the first logged sample: the one our side scores."""
    return str(samples[0].get("filter", "none")) if samples else "none"


def compare_task(ours: Any, theirs: dict[str, Any], multiple_choice: bool) -> tuple[float, float, list[str]]:
    """(max |acc diff| in points, per-item choice agreement, printed lines)."""
    lines, worst = [], 0.0
    for m in ours.metrics:
        if m.interval is None or not m.interval.startswith("wilson"):
            continue
        other = theirs["results"].get(m.name)
        diff = abs(100 * (m.value - other)) if other is not None and m.value is not None else float("nan")
        worst = max(worst, diff)
        lines.append(f"  {m.name}: ours {100 * m.value:.2f}%, lm-eval {100 * other:.2f}%, |diff| {diff:.2f} pp")
    names = [m.name for m in ours.metrics if m.interval and m.interval.startswith("wilson")]
    same = 0
    for item in ours.items:
        s = theirs["samples"][item.doc_id]
        if multiple_choice:
            same += int(item.choice == chosen(s))
        else:  # every 0/1 metric of the item the same (greedy match, exact match)
            same += int(all(item.values.get(n) == float(s.get(n, -1)) for n in names))
    agreement = same / len(ours.items) if ours.items else float("nan")
    lines.append(f"  per-item {'choice' if multiple_choice else 'outcome'} agreement {agreement:.4f} "
                 f"({same}/{len(ours.items)})")
    return worst, agreement, lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default="piqa,arc_easy", help="built-in task names, comma-separated ('' for none)")
    p.add_argument("--task-yaml", action="append", default=[], type=Path, help="an lm-eval task YAML (repeatable)")
    p.add_argument("--limit", type=int, default=300, help="items per task, stratified (0: all)")
    p.add_argument("--shots", type=int, default=None, help="few-shot examples (default: the task's own)")
    p.add_argument("--model", default=None, help="a transformers folder (default: the embedded Gemma as fp32)")
    p.add_argument("--batch-size", type=int, default=16, help="lm-eval HFLM batch size")
    args = p.parse_args()

    from evalharness.models import embedded
    from evalharness.runtimes.transformers import load_backend

    folder = args.model or str(embedded.ensure_converted())
    backend = load_backend("embedded", embedded.EMBEDDED_ID, None, "fp32", "cpu") if args.model is None \
        else load_backend("hf", folder, None, "fp32", "cpu")
    scorer = backend.task_scorer()
    paths = [builtin_tasks()[n] for n in args.tasks.split(",") if n] + list(args.task_yaml)
    worst, lowest, ours_s, theirs_s, n_items = 0.0, 1.0, 0.0, 0.0, 0
    for path in paths:
        request = TaskRequest(path, args.shots, args.limit or None)
        ours = score_task(scorer, request)
        if ours.error is not None:
            print(f"{path}: not scored: {ours.error}")
            return 2
        theirs = lm_eval_side(folder, request, [it.doc_id for it in ours.items], args.batch_size)
        mc = any(it.choice is not None for it in ours.items)
        diff, agreement, lines = compare_task(ours, theirs, mc)
        worst, lowest = max(worst, diff), min(lowest, agreement)
        ours_s, theirs_s, n_items = ours_s + ours.seconds, theirs_s + theirs["seconds"], n_items + len(ours.items)
        n = len(ours.items)
        print(f"{ours.task} ({ours.subset}, {ours.num_fewshot}-shot): ours {n / ours.seconds:.2f} items/s, "
              f"lm-eval {n / theirs['seconds']:.2f} items/s")
        print("\n".join(lines), flush=True)
    print(f"speed: ours {n_items / ours_s:.2f} items/s, lm-eval HFLM (batch {args.batch_size}) "
          f"{n_items / theirs_s:.2f} items/s, ratio {theirs_s / ours_s:.2f}x")
    print(f"task agreement: max |acc diff| {worst:.2f} pp, per-item choice agreement {lowest:.4f}")
    return 0 if worst <= 0.5 and lowest >= 0.99 else 1


if __name__ == "__main__":
    raise SystemExit(main())
