"""Score one benchmark task on a loaded variant: build it with lm-evaluation-harness from its task
YAML (ours in `tasks/builtin/`, or a user's, unchanged), choose its items, let lm-eval build the
requests and score the answers through `ScorerLM`, and return a `TaskResult` with every item's
values and the aggregates with their intervals. Scoring is timed on its own clock."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalharness.reports.tasks import TaskItem, TaskMetric, TaskResult
from evalharness.tasks.errors import TaskScoringUnsupported
from evalharness.tasks.stats import proportion_interval

BUILTIN = Path(__file__).parent / "builtin"
FEWSHOT_SEED = 1234  # lm-eval's default few-shot seed
MAX_STRATA = 32  # a target with more values than this is not a class label: subsets are drawn plainly


@dataclass(frozen=True)
class TaskRequest:
    """What to score: a task YAML, how many shots, which items."""

    yaml_path: Path
    num_fewshot: int | None = None  # None: the task's own (its YAML's num_fewshot, else 0)
    limit: int | None = None  # None: every item; else this many, stratified by the target
    seed: int = FEWSHOT_SEED


def builtin_tasks() -> dict[str, Path]:
    """The tasks that ship with evalharness, by name: `builtin/NAME/NAME.yaml`."""
    return {p.parent.name: p for p in sorted(BUILTIN.glob("*/*.yaml")) if p.stem == p.parent.name}


def task_source(spec: Any) -> str:
    """The task YAML a suite's task spec names (a built-in task's own, or the user's)."""
    return str(builtin_tasks()[spec.task] if spec.task is not None else Path(str(spec.path)))


def task_config(yaml_path: Path) -> dict[str, Any]:
    """The task's config as lm-eval reads it (`include:` and `!function` resolved), with local data
    files found where lm-eval finds them (the working folder) or, failing that, beside the YAML."""
    from lm_eval.tasks._yaml_loader import load_yaml

    cfg = load_yaml(yaml_path, resolve_func=True)
    kwargs = dict(cfg.get("dataset_kwargs") or {})
    files = kwargs.get("data_files")
    if files is not None:
        kwargs["data_files"] = _located(files, yaml_path.parent)
        cfg["dataset_kwargs"] = kwargs
    return cfg


def _located(files: Any, folder: Path) -> Any:
    if isinstance(files, dict):
        return {k: _located(v, folder) for k, v in files.items()}
    if isinstance(files, list):
        return [_located(v, folder) for v in files]
    if isinstance(files, str) and "://" not in files and not Path(files).is_absolute():
        return files if Path(files).exists() else str(folder / files)
    return files


@contextlib.contextmanager
def _quiet_offline() -> Iterator[None]:
    """lm-eval and datasets offline (data is local) and without their progress bars and notices."""
    quiet = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    saved = {k: os.environ.get(k) for k in quiet}
    os.environ.update(quiet)
    loggers = [logging.getLogger(n) for n in ("lm-eval", "lm_eval", "datasets")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        import datasets

        datasets.disable_progress_bars()
        with contextlib.redirect_stderr(io.StringIO()):  # lm-eval's own progress bars
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_task(request: TaskRequest) -> Any:
    """The lm-eval Task object, its few-shot count and seed set."""
    from lm_eval.tasks import TaskManager

    cfg = task_config(request.yaml_path)
    if request.num_fewshot is not None:
        cfg["num_fewshot"] = request.num_fewshot
    with _quiet_offline():
        tasks = TaskManager(include_defaults=False).load([cfg])["tasks"]
    task = next(iter(tasks.values()))
    task.set_fewshot_seed(seed=request.seed)
    return task


def choose_items(task: Any, limit: int | None, seed: int) -> tuple[list[int], str]:
    """Document indices to score and how they were chosen: all of them, or `limit` drawn with
    `seed` in proportion to each target's share (so a subset keeps the label balance)."""
    docs = list(task.eval_docs)
    if limit is None or limit >= len(docs):
        return list(range(len(docs))), "all"
    strata: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        strata.setdefault(str(task.doc_to_target(doc)), []).append(i)
    rng = random.Random(seed)
    if len(strata) > MAX_STRATA:  # the target is free text (LAMBADA's word): a plain random draw
        return sorted(rng.sample(range(len(docs)), limit)), f"{limit} of {len(docs)}, random, seed {seed}"
    chosen: list[int] = []
    keys = sorted(strata)
    quotas = _quotas([len(strata[k]) for k in keys], limit)
    for key, quota in zip(keys, quotas, strict=True):
        chosen.extend(rng.sample(strata[key], quota))
    return sorted(chosen), f"{limit} of {len(docs)}, stratified by target, seed {seed}"


def _quotas(sizes: list[int], limit: int) -> list[int]:
    """Largest-remainder shares of `limit` in proportion to `sizes`."""
    total = sum(sizes)
    exact = [limit * s / total for s in sizes]
    quotas = [int(e) for e in exact]
    for i in sorted(range(len(sizes)), key=lambda i: exact[i] - quotas[i], reverse=True)[: limit - sum(quotas)]:
        quotas[i] += 1
    return quotas


def evaluate(lm: Any, task: Any, indices: list[int]) -> tuple[dict[str, Any], float]:
    """lm-eval's evaluation of one task on these documents, logging every sample: (its output,
    the seconds it took)."""
    from lm_eval import evaluator

    name = task.task_name
    with _quiet_offline():
        started = time.perf_counter()
        out = evaluator.evaluate(lm=lm, task_dict={"tasks": {name: task}, "groups": {}, "group_map": {}},
                                 samples={name: indices}, bootstrap_iters=0, log_samples=True, verbosity="ERROR")
        return out, time.perf_counter() - started


def score_task(scorer: Any, request: TaskRequest, report: Any = None) -> TaskResult:
    """Score the task on the scorer's model, telling `report(done, total)` as requests are
    answered; a task that cannot be built or scored comes back with `error` set, never as an
    exception."""
    from evalharness.tasks.lm import ScorerLM

    name = request.yaml_path.stem
    try:
        task = build_task(request)
        name = task.task_name
        indices, subset = choose_items(task, request.limit, request.seed)
        out, seconds = evaluate(ScorerLM(scorer, report), task, indices)
    except TaskScoringUnsupported as exc:  # found out while scoring (a server without prompt log-probs)
        return failed(request, f"not supported: {exc}", name)
    except Exception as exc:  # a task that cannot run is reported, the variant goes on
        first = str(exc).splitlines()[0] if str(exc) else ""
        return failed(request, f"{type(exc).__name__}: {first}", name)
    return _result(name, request, task, out, indices, subset, seconds)


def failed(request: TaskRequest, error: str, name: str | None = None) -> TaskResult:
    """The result of a task that was not scored (the runtime cannot, or the task would not run)."""
    return TaskResult(task=name or request.yaml_path.stem, source=str(request.yaml_path),
                      num_fewshot=request.num_fewshot or 0, fewshot_seed=request.seed, docs_total=0, subset="",
                      error=error)


def _result(name: str, request: TaskRequest, task: Any, out: dict[str, Any], indices: list[int], subset: str,
            seconds: float) -> TaskResult:
    every = out["samples"][name]
    applied = str(every[0].get("filter", "none")) if every else "none"  # the task's first filter
    samples = [s for s in every if str(s.get("filter", "none")) == applied]
    items = [TaskItem(doc_id=int(s["doc_id"]), doc_hash=str(s.get("doc_hash", ""))[:16],
                      values=_item_values(s), choice=chosen(s) if task.OUTPUT_TYPE == "multiple_choice" else None)
             for s in samples]
    items.sort(key=lambda it: it.doc_id)
    aggregates = out["results"][name]
    names = list(dict.fromkeys(k.split(",")[0] for k in aggregates if k.endswith(f",{applied}")
                               and not k.split(",")[0].endswith("_stderr")))
    metrics = [_metric(m, aggregates.get(f"{m},{applied}"), items) for m in names]
    requests = sum(len(s.get("resps") or ()) for s in samples)
    return TaskResult(task=name, source=str(request.yaml_path), num_fewshot=int(task.config.num_fewshot or 0),
                      fewshot_seed=request.seed, docs_total=len(list(task.eval_docs)), subset=subset,
                      filter=applied, metrics=metrics, items=items, requests=requests, seconds=seconds,
                      items_per_s=len(items) / seconds if seconds > 0 else None)


def chosen(sample: dict[str, Any]) -> int | None:
    """The index of the choice with the highest log-likelihood in one of lm-eval's logged samples."""
    lls = [r[0] if isinstance(r, tuple | list) else r for r in sample.get("filtered_resps") or ()]
    if not lls or not all(isinstance(x, int | float) for x in lls):
        return None
    return max(range(len(lls)), key=lambda i: lls[i])


def _item_values(sample: dict[str, Any]) -> dict[str, float]:
    values = {}
    for name in sample.get("metrics", ()):
        value = sample.get(name)
        if isinstance(value, bool | int | float):
            values[name] = float(value)
        elif isinstance(value, tuple | list) and value and isinstance(value[0], int | float):
            values[name] = float(value[0])  # perplexity-style pairs: the item's log-likelihood
    return values


def _metric(name: str, value: Any, items: list[TaskItem]) -> TaskMetric:
    values = [it.values[name] for it in items if name in it.values]
    number = float(value) if isinstance(value, int | float) else None
    if values and all(v in (0.0, 1.0) for v in values):
        low, high = proportion_interval(int(sum(values)), len(values))
        return TaskMetric(name=name, value=number, ci_low=low, ci_high=high, interval="wilson 95%", n=len(values))
    return TaskMetric(name=name, value=number, interval="not a proportion: no interval", n=len(values))
