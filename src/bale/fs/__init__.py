"""Filesystem primitives: atomic writes, file locks, linking and temp dirs that rename into place."""
