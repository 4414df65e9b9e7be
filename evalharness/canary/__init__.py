"""Canaries: a suite's greedy cases probed on a live endpoint and compared with pinned answers."""
