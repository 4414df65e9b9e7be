"""evalharness: measured, scored evaluation of Gemma models."""

__version__ = "0.1.0"

from evalharness.lifecycle import third_party_warnings_to_log

third_party_warnings_to_log()
