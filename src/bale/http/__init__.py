"""HTTP client: pooled connections, retries, TLS, credentials, page cache and streamed downloads."""
