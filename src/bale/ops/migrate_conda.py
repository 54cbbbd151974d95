"""``bale import --from conda``: environment.yml read, its conda packages looked up on the index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bale.errors import BaleError
from bale.migrate.imported import Imported

# Where `conda list --export > FILE` output is looked for (spec-file.txt is conda's documented name).
EXPORT_FILES = ("spec-file.txt", "conda-export.txt", "conda-list.txt")


def read_conda(root: Path, exists: Callable[[str], bool]) -> Imported:
    """The environment file and, when there is one, the exported package list's versions."""
    from bale.migrate.conda import CONDA_NAMES, from_environment, parse_environment
    from bale.migrate.locks import conda_export_preferences

    path = next((root / n for n in ("environment.yml", "environment.yaml") if (root / n).is_file()), None)
    if path is None:
        raise BaleError(f"{root} has no environment.yml: there is no conda environment to import")
    text = path.read_text(encoding="utf-8")
    environment = parse_environment(text, path.name)
    imported = from_environment(environment, exists, path.name)
    export = next((root / n for n in EXPORT_FILES if (root / n).is_file()), None)
    if export is not None:
        # Only the names that became dependencies are Python packages the index has.
        wanted = {canonicalize_name(Requirement(r).name) for r in imported.dependencies}
        names = {
            conda: CONDA_NAMES.get(conda, conda)
            for conda in _export_names(export.read_text(encoding="utf-8"))
            if canonicalize_name(CONDA_NAMES.get(conda, conda)) in wanted
        }
        conda_export_preferences(imported, export.read_text(encoding="utf-8"), export.name, names)
    return imported


def _export_names(text: str) -> list[str]:
    return [line.split("=")[0].strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
