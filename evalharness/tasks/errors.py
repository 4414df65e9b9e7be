"""What a task scorer raises when its runtime cannot score (kept light: runtimes import it)."""


class TaskScoringUnsupported(Exception):
    """A backend that cannot score benchmark tasks; the message says why (and what would)."""
