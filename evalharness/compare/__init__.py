"""Baseline vs candidate: paired statistics, verdicts, gate policy and CI outputs."""
