"""Marker algebra for universal resolution: PEP 508 markers as values with and/or/not, disjointness,
simplification against a Requires-Python range, and one canonical spelling per meaning."""

from __future__ import annotations

from bale.markers.expr import (
    FALSE,
    TRUE,
    MarkerExpr,
    and_,
    is_always_false,
    is_always_true,
    is_disjoint,
    not_,
    or_,
    parse,
    python_marker,
    python_range_marker,
    restrict_python,
    simplify,
    to_marker,
    to_string,
)
from bale.markers.python import PythonRange

__all__ = [
    "FALSE",
    "TRUE",
    "MarkerExpr",
    "PythonRange",
    "and_",
    "is_always_false",
    "is_always_true",
    "is_disjoint",
    "not_",
    "or_",
    "parse",
    "python_marker",
    "python_range_marker",
    "restrict_python",
    "simplify",
    "to_marker",
    "to_string",
]
