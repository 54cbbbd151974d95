"""The on-disk cache shared by every bale process: versioned buckets of content-addressed entries."""
