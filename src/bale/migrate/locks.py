"""Locked versions of pdm.lock, uv.lock and ``conda list --export`` output, as preferences."""

from __future__ import annotations

from typing import Any

from bale.migrate.imported import Imported

__all__ = ["conda_export_preferences", "toml_lock_preferences"]

# uv.lock and pdm.lock: a package whose source is one of these is not an index version.
_LOCAL = ("virtual", "editable", "directory", "path", "git", "url")


def toml_lock_preferences(imported: Imported, data: dict[str, Any], file: str) -> None:
    """``[[package]]`` name and version pairs of a uv.lock or pdm.lock (both spell them so)."""
    imported.lock_file = file
    imported.files.append(file)
    for package in data.get("package", []):
        if not isinstance(package, dict) or "name" not in package or "version" not in package:
            continue
        source = package.get("source")
        if isinstance(source, dict) and any(key in source for key in _LOCAL):
            continue
        if any(key in package for key in ("path", "git", "url", "editable")):
            continue  # pdm spells local packages on the package itself
        imported.prefer(str(package["name"]), str(package["version"]), file)


def conda_export_preferences(imported: Imported, text: str, file: str, names: dict[str, str]) -> None:
    """``name=version=build`` lines of ``conda list --export``; ``names`` maps conda names to the
    index's (only those are Python packages bale can prefer)."""
    imported.lock_file = file
    imported.files.append(file)
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("=")
        if len(parts) >= 2 and parts[0] in names:
            imported.prefer(names[parts[0]], parts[1], file)
