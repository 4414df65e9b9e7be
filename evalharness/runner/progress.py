"""How a run reports progress: the console's bar, or nothing (warnings still reach stderr)."""

from __future__ import annotations

import sys
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, steps: int = 1, note: str = "") -> None: ...
    def message(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...  # shown even when progress is not (--quiet)
    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, steps: int = 1, note: str = "") -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)

    def stop(self) -> None:
        pass
