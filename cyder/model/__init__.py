"""The model layer: plain typed objects parsed from YAML. Imports neither Docker nor Textual."""

from .load import load_range
from .range import Host, Range, Segment

__all__ = ["Host", "Range", "Segment", "load_range"]
