"""`evalharness monitor`: scheduled probes, rolling windows, stateful alerts, JSONL series."""
