"""Choosing versions and files: candidate selection now, the PubGrub solver on top of it."""
