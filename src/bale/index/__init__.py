"""Package indexes: simple API pages, find-links sources and wheel metadata."""
