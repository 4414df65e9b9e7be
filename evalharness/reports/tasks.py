"""Report records of benchmark tasks: per variant and task, the aggregate metrics with their
intervals and every item's own values (so two variants or two runs can be paired item by item)."""

from __future__ import annotations

from pydantic import Field

from evalharness.reports.record import Record


class TaskItem(Record):
    doc_id: int
    doc_hash: str = Field(description="the first 16 hex digits of lm-eval's hash of the document")
    values: dict[str, float] = Field(default_factory=dict, description="this item's value of each metric")
    choice: int | None = Field(None, description="multiple choice: the index of the most likely choice")


class TaskMetric(Record):
    name: str
    value: float | None = Field(description="the metric as lm-eval aggregates it (mean of 0/1 for acc)")
    ci_low: float | None = None
    ci_high: float | None = None
    interval: str | None = Field(None, description="how the 95% interval was taken, or why there is none")
    n: int


class TaskResult(Record):
    task: str
    source: str = Field(description="the task YAML it was built from")
    num_fewshot: int
    fewshot_seed: int
    docs_total: int = Field(description="documents in the task's evaluation split")
    subset: str = Field(description="'all', or how the items were chosen")
    filter: str = Field("none", description="the lm-eval filter whose answers were scored (the task's first)")
    metrics: list[TaskMetric] = Field(default_factory=list)
    items: list[TaskItem] = Field(default_factory=list)
    requests: int = 0
    seconds: float | None = Field(None, description="scoring time, kept apart from generation timing")
    items_per_s: float | None = None
    error: str | None = None

    def metric(self, name: str) -> TaskMetric | None:
        return next((m for m in self.metrics if m.name == name), None)
