"""Package names: canonicalised once at the boundary, typed as NormalizedName afterwards."""

from __future__ import annotations

from packaging.utils import NormalizedName, canonicalize_name

__all__ = ["NormalizedName", "normalize"]


def normalize(name: str) -> NormalizedName:
    """PEP 503 normalisation (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    return canonicalize_name(name)
