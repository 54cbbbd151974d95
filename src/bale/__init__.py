"""bale: one fast tool for Python packages, environments and projects."""

__version__ = "0.1.0"
