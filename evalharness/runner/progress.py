"""How a run reports progress: the console's bar, or nothing."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, steps: int = 1, note: str = "") -> None: ...
    def message(self, text: str) -> None: ...
    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, steps: int = 1, note: str = "") -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass
