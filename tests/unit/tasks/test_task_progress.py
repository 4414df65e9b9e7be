"""Progress inside a long benchmark task: a line at most every so often with the share done and
the time left at the rate so far (on a fake clock)."""

from __future__ import annotations

from evalharness.runner.progress import StepProgress


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.notes: list[str] = []

    def start(self, total: int) -> None: ...
    def stop(self) -> None: ...
    def warn(self, text: str) -> None: ...

    def advance(self, steps: int = 1, note: str = "") -> None:
        self.notes.append(note)

    def message(self, text: str) -> None:
        self.lines.append(text)


def test_lines_are_spaced_and_state_the_time_left():
    now = [100.0]
    rec = Recorder()
    step = StepProgress(rec, "v: hellaswag", every_s=30, clock=lambda: now[0])
    step(0, 4000)
    for done in range(100, 4001, 100):  # 100 requests every 3 s: 40 reports over 120 s
        now[0] += 3
        step(done, 4000)
    assert len(rec.notes) == 41 and rec.notes[-1] == "v: hellaswag 100%"
    # one line each 30 s (at 30, 60, 90 s), none at the end (the task's own result line follows)
    assert rec.lines == ["v: hellaswag: 1000/4000 requests (25%), about 2 min left",
                         "v: hellaswag: 2000/4000 requests (50%), about 60 s left",
                         "v: hellaswag: 3000/4000 requests (75%), about 30 s left"]


def test_a_new_batch_of_requests_starts_the_rate_again():
    now = [0.0]
    rec = Recorder()
    step = StepProgress(rec, "t", every_s=10, clock=lambda: now[0])
    step(0, 100)
    now[0] = 50.0
    step(50, 100)  # 1 request/s
    step(0, 1000)  # lm-eval's second call (another request type): new total, new clock
    now[0] = 60.0
    step(500, 1000)  # 50 requests/s since the new start
    assert rec.lines == ["t: 50/100 requests (50%), about 50 s left", "t: 500/1000 requests (50%), about 10 s left"]
