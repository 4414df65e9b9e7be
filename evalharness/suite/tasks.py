"""A suite's `tasks:`: benchmark tasks scored on every variant beside the prompt cases."""

from __future__ import annotations

from pydantic import Field, model_validator

from evalharness.suite.model_spec import Strict


class TaskSpec(Strict):
    """One benchmark task: a built-in one by name, or an lm-evaluation-harness task YAML."""

    task: str | None = Field(default=None, description="a built-in task: piqa, arc_easy, hellaswag, lambada_openai")
    path: str | None = Field(default=None, description="an lm-eval task YAML (local data), relative to the suite")
    num_fewshot: int | None = Field(default=None, ge=0, le=64, description="shots (default: the task's own, else 0)")
    limit: int | None = Field(default=None, ge=1, description="score this many items, stratified by the target "
                              "(`run --full-tasks` scores them all); null: every item")
    seed: int = Field(default=1234, ge=0, description="few-shot sampling and the subset")

    @model_validator(mode="after")
    def _one_source(self) -> TaskSpec:
        if (self.task is None) == (self.path is None):
            raise ValueError("give either `task` (a built-in task) or `path` (an lm-eval task YAML), not both")
        return self

    @property
    def label(self) -> str:
        return self.task or str(self.path)


def capped(specs: list[TaskSpec], limit: int) -> list[TaskSpec]:
    """`run --limit N`: each task scores at most N items (its stratified subset, smaller)."""
    return [s.model_copy(update={"limit": min(s.limit or limit, limit)}) for s in specs]
