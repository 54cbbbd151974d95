"""``bale outdated``: for each locked package, its declared range, the locked, latest compatible and latest
versions."""

from __future__ import annotations

import dataclasses

from packaging.version import Version

from bale.context import Context
from bale.errors import BaleError
from bale.model.names import NormalizedName
from bale.model.record import record
from bale.ops.project import LockSettings
from bale.project.model import Project


@record(frozen=True, slots=True)
class OutdatedRow:
    """``declared``: the project's own specifiers on it (None: only a dependency of a dependency; "" a
    bare name); ``compatible``: what a fresh lock of the same pyproject.toml would take; ``latest``: the
    newest on the index (None when the index does not list it)."""

    name: NormalizedName
    declared: str | None
    locked: str
    compatible: str | None
    latest: str | None

    @property
    def outdated(self) -> bool:
        return self.latest is not None and Version(self.latest) > Version(self.locked)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "declared": self.declared,
            "locked": self.locked,
            "latest_compatible": self.compatible,
            "latest": self.latest,
        }


def project_outdated(ctx: Context, project: Project, settings: LockSettings) -> list[OutdatedRow]:
    """One row per locked (name, version); the latest compatible versions come from a relock that ignores
    the lock's pins and writes nothing, so they respect every range and every other package's needs."""
    from bale.lock.pins import locked_pins
    from bale.ops.latest import latest_versions
    from bale.ops.project import lock_path, lock_project, project_index
    from bale.ops.upgrade import declared

    path = lock_path(project)
    if not path.is_file():
        raise BaleError(f"{project.root} has no {path.name} yet", hint="run `bale lock` first")
    locked = locked_pins(path.read_text(encoding="utf-8"), source=str(path))
    specifiers: dict[NormalizedName, list[str]] = {}
    for spec in declared(project):
        if spec.name is not None:
            shown = str(spec.requirement.specifier) if spec.requirement is not None else spec.url or ""
            specifiers.setdefault(spec.name, [])
            if shown not in specifiers[spec.name]:
                specifiers[spec.name].append(shown)
    fresh = lock_project(ctx, project, dataclasses.replace(settings, upgrade=True, dry_run=True))
    prereleases = {name for name, versions in locked.items() if any(v.is_prerelease for v in versions)}
    latest = latest_versions(ctx, project_index(project, settings), locked, prereleases)
    rows: list[OutdatedRow] = []
    for name in sorted(locked):
        if name == project.name:
            continue  # the project itself: its version is its own to raise
        compatible = fresh.locked.get(name)
        for version in locked[name]:
            rows.append(
                OutdatedRow(
                    name,
                    " | ".join(specifiers[name]) if name in specifiers else None,
                    str(version),
                    str(compatible) if compatible is not None else None,
                    str(latest[name]) if name in latest else None,
                )
            )
    return rows
