"""The ``[[packages]]`` entries of a lock file, built from a resolution (``bale lock``, ``pip compile``).

A universal resolution gives markers and every platform's files; a resolution for one environment
(:func:`for_one_environment`) gives the same shape without markers, and ``keep`` drops the files that
environment cannot use. The text itself is written by ``bale.lock.pylock.write_pylock``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bale.errors import INTERNAL_ERROR, BaleError
from bale.model.names import NormalizedName, normalize

if TYPE_CHECKING:
    from packaging.version import Version

    from bale.lock.pylock import LockedPackage
    from bale.lock.trust import Locations
    from bale.model.dists import IndexFile
    from bale.model.requirement import RequirementSpec
    from bale.ops.project_sources import LockedDirect
    from bale.ops.resolve import Resolved, UniversallyResolved
    from bale.ops.settings import IndexSettings

__all__ = ["for_one_environment", "locked_packages"]


def for_one_environment(resolved: Resolved, requires_python: str) -> UniversallyResolved:
    """``resolved`` (one environment's answer) in the shape of a universal one: every package is
    needed everywhere (no marker), parents as ``name`` / ``name[extra]`` labels, None for the root."""
    from bale.ops.resolve import UniversallyResolved
    from bale.resolver.universal import UniversalPackage, UniversalResolution

    resolution = resolved.resolution
    packages = []
    for name, version in resolution.versions.items():
        parents: list[tuple[str | None, str | None]] = []
        for via in resolution.parents.get(name, ()):
            parent = via.parent
            if parent.is_root:
                label = None
            else:
                label = f"{parent.name}[{parent.extra}]" if parent.extra else str(parent.name)
            if (label, None) not in parents:
                parents.append((label, None))
        extras = resolution.extras.get(name, frozenset())
        packages.append(UniversalPackage(name, version, None, parents, frozenset(extras)))
    return UniversallyResolved(
        UniversalResolution(packages, [], requires_python),
        resolved.provider,
        resolved.direct,
        resolved.origins,
        resolved.seconds,
        resolved.direct_artifacts,
    )


def _reach(
    resolved: UniversallyResolved, roots: Mapping[str | None, Sequence[RequirementSpec]]
) -> dict[NormalizedName, set[str | None]]:
    """Which roots need each package: a walk down the resolution's parent edges from each root's names.

    Edges are followed by package name (an extra's edges count for every root that needs the package),
    so a package may be marked as needed by more roots than strictly need it, never fewer.
    """
    children: dict[str, set[NormalizedName]] = {}
    for package in resolved.resolution.packages:
        for parent, _edge in package.parents:
            if parent is not None:
                children.setdefault(normalize(parent.split("[", 1)[0]), set()).add(package.name)
    reached: dict[NormalizedName, set[str | None]] = {}
    for root, specs in roots.items():
        pending = [s.name for s in specs if s.name is not None]
        seen: set[NormalizedName] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            reached.setdefault(name, set()).add(root)
            pending.extend(children.get(name, ()))
    return reached


def _selection_marker(marker: str | None, roots: set[str | None]) -> str | None:
    """The resolution marker ANDed with the extras/groups that need the package (none for a dependency)."""
    from packaging.markers import Marker

    terms: list[str] = []
    if None not in roots:
        for root in sorted(r for r in roots if r is not None):
            kind, name = root.split(":", 1)
            key = "extras" if kind == "extra" else "dependency_groups"
            terms.append(f"'{name}' in {key}")
    if not terms:
        return marker
    selection = " or ".join(terms)
    if marker is None:
        return str(Marker(selection))
    return str(Marker(f"({marker}) and ({selection})"))


def locked_packages(
    resolved: UniversallyResolved,
    roots: Mapping[str | None, Sequence[RequirementSpec]],
    index: IndexSettings,
    locations: Locations,
    direct: Mapping[NormalizedName, LockedDirect] | None = None,
    keep: Callable[[IndexFile], bool] | None = None,
) -> list[LockedPackage]:
    """One entry per resolved version. ``roots`` maps ``None`` (the main requirements), ``extra:NAME``
    and ``group:NAME`` to their requirements; a package only an extra or group needs gets that in
    its marker. ``keep`` (None: all) chooses which of a version's index files the entry lists; a
    version left with none is an error naming it."""
    from bale.lock.graph import locked_dependencies, locked_extras
    from bale.lock.pylock import LockedPackage, files_from_index
    from bale.ops.lock_trust import check_locked_files
    from bale.ops.project_sources import index_of_files

    reached = _reach(resolved, roots)
    dependencies = locked_dependencies(resolved.resolution.packages)
    extras = locked_extras(resolved.resolution.packages, _requested_extras(resolved))
    packages: list[LockedPackage] = []
    for package in resolved.resolution.packages:
        marker = _selection_marker(package.marker, reached.get(package.name, {None}))
        if package.name in resolved.direct:
            locked = (direct or {}).get(package.name)
            if locked is None:
                what = f"Cannot lock {package.name}: its path or URL was not recorded"
                raise BaleError(what, code=INTERNAL_ERROR)
            packages.append(
                LockedPackage(
                    name=str(package.name),
                    version=locked.version,
                    marker=marker,
                    direct=locked.source,
                    dependencies=dependencies.get((package.name, package.version), ()),
                    tool=_tool_table(extras, package.name, package.version),
                )
            )
            continue
        listed = [f for f in resolved.provider.files(package.name) if f.version == package.version]
        files = listed if keep is None else [f for f in listed if keep(f)]
        if listed and not files:
            raise BaleError(
                f"Cannot lock {package.name} {package.version}: none of its files "
                f"({', '.join(sorted(f.filename for f in listed))}) can be installed in the target "
                "environment"
            )
        wheels, sdist = files_from_index(_hashed(files))
        # What `sync` checks, checked now: a lock it would refuse is not written.
        located = [(wheel.filename, wheel.url or "") for wheel in wheels]
        if sdist is not None:
            located.append((sdist.filename, sdist.url or ""))
        listed_by = index_of_files(files, index)
        check_locked_files(package.name, package.version, located, locations, listed_by)
        packages.append(
            LockedPackage(
                name=str(package.name),
                version=package.version,
                marker=marker,
                index=listed_by,
                wheels=wheels,
                sdist=sdist,
                dependencies=dependencies.get((package.name, package.version), ()),
                requires_python=_package_requires_python(resolved, package.name, package.version, files),
                tool=_tool_table(extras, package.name, package.version),
            )
        )
    return packages


def _hashed(files: Sequence[IndexFile]) -> list[IndexFile]:
    """``files``, each local one (a ``file:`` URL: a find-links folder) the index gave no strong hash
    for hashed now, as uv does: a lock records a hash for every file. Remote ones are left as they are
    (the writer refuses them by name)."""
    from dataclasses import replace
    from pathlib import Path
    from urllib.parse import unquote, urlsplit

    from bale.dist.prepare import file_digests
    from bale.model.hashes import STRONG_ALGORITHMS

    result: list[IndexFile] = []
    for file in files:
        if file.url[:5].lower() == "file:" and not any(a in file.hashes for a in STRONG_ALGORITHMS):
            path = Path(unquote(urlsplit(file.url).path))
            try:
                digests = file_digests(path)
                size = path.stat().st_size
            except OSError as err:
                raise BaleError(f"Cannot lock {file.filename}: cannot read {path}: {err.strerror}") from err
            file = replace(file, hashes={**file.hashes, **digests}, size=file.size or size)
        result.append(file)
    return result


def _tool_table(
    extras: Mapping[tuple[NormalizedName, Version], dict[str, Any]], name: NormalizedName, version: Version
) -> dict[str, Any] | None:
    table = extras.get((name, version))
    return {"bale": table} if table else None


def _requested_extras(
    resolved: UniversallyResolved,
) -> dict[tuple[NormalizedName, Version], dict[NormalizedName, set[NormalizedName]]]:
    """The extras each resolved version (or one of its chosen extras) asks of its dependencies, from
    the metadata read while resolving."""
    from bale.resolver.provider import Dependencies, PackageId

    found: dict[tuple[NormalizedName, Version], dict[NormalizedName, set[NormalizedName]]] = {}
    for package in resolved.resolution.packages:
        asked = found.setdefault((package.name, package.version), {})
        for own in (None, *sorted(package.extras)):
            answer = resolved.provider.dependencies(PackageId.dist(package.name, own), package.version)
            if not isinstance(answer, Dependencies):
                continue
            for dependency in answer.dependencies:
                target = dependency.package
                if target.extra is not None and target.name != package.name:
                    asked.setdefault(target.name, set()).add(target.extra)
    return found


def _package_requires_python(
    resolved: UniversallyResolved, name: NormalizedName, version: Version, files: Sequence[Any]
) -> str | None:
    """The version's Requires-Python: from its metadata (read while resolving), else from the index."""
    from bale.resolver.provider import Dependencies, PackageId

    answer = resolved.provider.dependencies(PackageId.dist(name), version)
    if isinstance(answer, Dependencies) and answer.requires_python is not None:
        return str(answer.requires_python) or None
    return next((str(f.requires_python) for f in files if f.requires_python), None)
