"""evalharness: measured, scored evaluation of Gemma models."""

__version__ = "0.1.0"
