"""Clocks, token timing, memory sampling and statistics. Never imports scorers."""
