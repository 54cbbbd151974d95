"""Distributions on disk: wheel validation and unpacking, downloaded wheels kept in the cache."""
