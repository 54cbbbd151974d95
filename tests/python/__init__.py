"""Tests of interpreter discovery, probing and virtual environment creation."""
