"""Locked build dependencies: the pins each sdist was built with, recorded while locking, applied at sync.

A lock file keeps them under ``[tool.bale.build-dependencies]``, one table per package, one key per
version, each the exact versions of its build environment::

    [tool.bale.build-dependencies.srconly]
    "1.0" = ["setuptools==84.2.1", "wheel==0.48.0"]

A table keyed by version (not one ``version`` field) because a universal lock may hold two versions
of one package, each built with its own dependencies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from bale.model.record import record
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.dists import FileKind, parse_filename
from bale.model.names import NormalizedName, normalize

if TYPE_CHECKING:
    from bale.dist.build import BuildLink
    from bale.model.requirement import RequirementSpec

TABLE = "build-dependencies"
"""The key under ``[tool.bale]`` of the locked build dependencies."""

Pins = tuple[tuple[NormalizedName, Version], ...]


@record(frozen=True, slots=True)
class LockedBuild:
    """The exact build environment of one distribution: ``pins`` sorted by name."""

    name: NormalizedName
    version: str
    pins: Pins

    @property
    def label(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def requires(self) -> list[str]:
        """The pins as PEP 508 strings (``setuptools==84.2.1``), sorted by name."""
        return [f"{name}=={version}" for name, version in self.pins]

    @classmethod
    def of(cls, name: str, version: str, versions: Mapping[NormalizedName, Version]) -> LockedBuild:
        return cls(normalize(name), version, tuple(sorted(versions.items())))


def sdist_identity(label: str) -> tuple[NormalizedName, str] | None:
    """(name, version) of the sdist a build's label (its file name) names; None for a source tree."""
    parsed = parse_filename(label)
    if parsed is None or parsed.kind is not FileKind.SDIST:
        return None
    return parsed.name, str(parsed.version)


class BuildRecorder:
    """Collects, while locking, what each build environment resolved to, by source; thread-safe.

    A build may resolve twice (``build-system.requires``, then with the backend's extra requirements
    added): the answers are merged, the later version winning for a name in both.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[str, dict[NormalizedName, Version]]] = {}

    def record(self, link: BuildLink, versions: Mapping[NormalizedName, Version]) -> None:
        with self._lock:
            _, known = self._seen.setdefault(link.identity, (link.label, {}))
            known.update(versions)

    def sdist_builds(self) -> dict[tuple[NormalizedName, str], LockedBuild]:
        """The sdists built (or whose metadata was prepared) so far, by (name, version)."""
        with self._lock:
            seen = [(identity, label, dict(pins)) for identity, (label, pins) in self._seen.items()]
        builds: dict[tuple[NormalizedName, str], LockedBuild] = {}
        for _, label, pins in sorted(seen, key=lambda item: item[:2]):
            key = sdist_identity(label)
            if key is not None:
                builds[key] = LockedBuild.of(key[0], key[1], pins)
        return builds


class BuildPins:
    """The locked build dependencies of each sdist, applied when its build environment is resolved.

    ``strict`` (sync): the pins are the only acceptable versions of those names, and a pin the
    indexes no longer have is an error naming it. Otherwise (relocking) they are only preferred, so
    a lock keeps its build dependencies until upgraded. Lookups are dictionary reads.
    """

    def __init__(self, builds: Iterable[LockedBuild], *, strict: bool, source: str = "pylock.toml") -> None:
        self.strict = strict
        self.source = source
        self._builds = {(build.name, build.version): build for build in builds}

    def __bool__(self) -> bool:
        return bool(self._builds)

    def for_link(self, link: BuildLink) -> LockedBuild | None:
        key = sdist_identity(link.label)
        return self._builds.get(key) if key is not None else None

    def get(self, name: str, version: str) -> LockedBuild | None:
        return self._builds.get((normalize(name), version))

    def constraints(self, build: LockedBuild) -> tuple[RequirementSpec, ...]:
        """The pins as constraints of a build environment's resolution (strict mode)."""
        origin = f"{self.source} (build dependencies of {build.label})"
        return tuple(requirement_spec(text, origin=origin) for text in build.requires)

    @staticmethod
    def preferences(build: LockedBuild) -> dict[NormalizedName, Version]:
        return dict(build.pins)

    def failure(
        self, build: LockedBuild, err: BaleError, versions_of: Callable[[NormalizedName], Collection[Version]]
    ) -> BaleError:
        """The error for a build environment that cannot be resolved within ``build``'s pins:
        the pins an index no longer offers are named (``versions_of`` lists what the indexes have)."""
        missing: list[str] = []
        for name, version in build.pins:
            try:
                available = versions_of(name)
            except BaleError:
                available = ()
            if version not in available:
                missing.append(f"{name}=={version}")
        from bale.dist.build import BuildRequirementsError

        locked = f"locked in {self.source}: {', '.join(build.requires)}"
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            return BuildRequirementsError(
                f"Cannot build {build.label} with its locked build dependencies: "
                f"{', '.join(missing)} {verb} not available from the configured indexes",
                context=[locked],
                hint=f"make that version available again, or lock newer build dependencies with "
                f"`bale lock --upgrade-package {missing[0].split('==')[0]}`",
            )
        return BuildRequirementsError(
            f"Cannot build {build.label} with the build dependencies locked in {self.source}",
            context=[locked, err.message, *err.context],
            hint="run `bale lock --upgrade` to lock build dependencies that fit",
        )


def requirement_spec(text: str, *, origin: str) -> RequirementSpec:
    """A PEP 508 string as a RequirementSpec (build requirements are always names, never paths)."""
    from packaging.requirements import InvalidRequirement, Requirement

    from bale.model.requirement import Origin, RequirementSpec

    try:
        requirement = Requirement(text)
    except InvalidRequirement as err:
        from bale.model.requirement_errors import caret_lines, explain

        why = explain(err, text)
        raise BaleError(
            f"Invalid build requirement {text!r} in {origin}: {why.message}",
            context=caret_lines(text, why.start, why.end),
        ) from err
    return RequirementSpec(
        name=normalize(requirement.name), requirement=requirement, origin=Origin(origin), url=requirement.url
    )


# -- lock file -------------------------------------------------------------------------------------


def build_dependencies_table(builds: Iterable[LockedBuild]) -> dict[str, dict[str, list[str]]]:
    """``[tool.bale.build-dependencies]`` for ``builds``: package -> version -> pins (sorted)."""
    table: dict[str, dict[str, list[str]]] = {}
    for build in sorted(builds, key=lambda b: (b.name, b.version)):
        table.setdefault(build.name, {})[build.version] = build.requires
    return table


def read_build_dependencies(tool: Mapping[str, Any] | None, *, source: str) -> list[LockedBuild]:
    """The builds recorded in a lock's ``[tool]`` table (none when it has no such table).

    Raises BaleError naming the lock file and the package for an entry that is not a list of
    ``NAME==VERSION`` strings.
    """
    bale = (tool or {}).get("bale")
    table = bale.get(TABLE) if isinstance(bale, Mapping) else None
    if table is None:
        return []
    where = f"[tool.bale.{TABLE}] in {source}"
    if not isinstance(table, Mapping):
        raise BaleError(f"Invalid {where}: it is not a table")
    builds: list[LockedBuild] = []
    for name, versions in table.items():
        if not isinstance(versions, Mapping):
            raise BaleError(f"Invalid {where}: {name} is not a table of versions")
        for version, requires in versions.items():
            pins: dict[NormalizedName, Version] = {}
            if not isinstance(requires, list):
                raise BaleError(f"Invalid {where}: {name} {version} is not a list of pins")
            for text in requires:
                pin = _pin(text)
                if pin is None:
                    raise BaleError(
                        f"Invalid {where}: {name} {version} holds {text!r}, not NAME==VERSION",
                        hint="run `bale lock` to write the lock file again",
                    )
                pins[pin[0]] = pin[1]
            builds.append(LockedBuild.of(str(name), str(version), pins))
    return builds


def _pin(text: object) -> tuple[NormalizedName, Version] | None:
    if not isinstance(text, str):
        return None
    name, sep, version = text.partition("==")
    if not sep or not name.strip():
        return None
    try:
        return normalize(name.strip()), Version(version.strip())
    except InvalidVersion:
        return None


# -- sdists ----------------------------------------------------------------------------------------


def sdist_build_requires(archive: Path) -> tuple[str, ...]:
    """``[build-system] requires`` of the sdist at ``archive``, read without unpacking it (PEP 517's
    default, setuptools, when it has none). Raises BaleError for an unreadable archive or table."""
    import sys

    from bale.dist.build import DEFAULT_REQUIRES

    data = _top_level_member(archive, "pyproject.toml")
    if data is None:
        return DEFAULT_REQUIRES
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise BaleError(
            f"The pyproject.toml of {archive.name} is not valid TOML", context=[str(err)]
        ) from err
    system = document.get("build-system")
    if system is None:
        return DEFAULT_REQUIRES
    requires = system.get("requires") if isinstance(system, dict) else None
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise BaleError(
            f"[build-system] in the pyproject.toml of {archive.name} has no `requires` list of strings"
        )
    return tuple(requires)


def _top_level_member(archive: Path, member: str) -> bytes | None:
    """``<top>/<member>`` of an sdist (tar or zip), or None when it has none."""
    import tarfile
    import zipfile
    import zlib

    from bale.dist.archive import Rejected, read_top_member
    from bale.errors import UnsafeArchiveError

    try:
        return read_top_member(archive, member)
    except Rejected as rejection:
        raise UnsafeArchiveError(
            f"Refusing to read {archive.name}: {rejection.describe()}", context=[f"file: {archive}"]
        ) from None
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        raise BaleError(
            f"Cannot read {archive.name}: it is not a valid source distribution", context=[str(err)]
        ) from err


__all__ = [
    "TABLE",
    "BuildPins",
    "BuildRecorder",
    "LockedBuild",
    "build_dependencies_table",
    "read_build_dependencies",
    "requirement_spec",
    "sdist_build_requires",
    "sdist_identity",
]
