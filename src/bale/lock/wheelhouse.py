"""Which files of a lock a wheelhouse holds for its target environments, and the lock rewritten to them."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.errors import BaleError
from bale.model.names import NormalizedName, normalize
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock

    from bale.model.target import TargetEnv

__all__ = [
    "FILES_FOLDER",
    "PLATFORM_ALIASES",
    "PYTHON_MINORS",
    "WheelhouseFile",
    "WheelhouseTarget",
    "every_file",
    "pythons_for",
    "rewrite_lock",
    "wanted_files",
]

FILES_FOLDER = "files"
"""The wheelhouse's folder of files, next to ``simple/`` and ``pylock.toml``."""

# The short names of the issue and of `pip download --platform`: each names a platform broadly, as an
# air-gapped machine of that kind would accept (any manylinux up to glibc 2.40, macOS 13 and later).
PLATFORM_ALIASES: Mapping[str, str] = {
    "linux_x86_64": "x86_64-manylinux_2_40",
    "linux_aarch64": "aarch64-manylinux_2_40",
    "macos_arm64": "aarch64-apple-darwin",
    "macos_x86_64": "x86_64-apple-darwin",
}

# The CPython minors a wheelhouse without --python is made for (those the lock's requires-python admits).
PYTHON_MINORS: tuple[str, ...] = tuple(f"3.{minor}" for minor in range(8, 15))


@record(frozen=True, slots=True)
class WheelhouseFile:
    """One file of the lock to copy into the wheelhouse, with the digests it must have."""

    name: NormalizedName
    version: Version | None
    kind: str  # "wheel" or "sdist"
    filename: str
    url: str | None
    path: str | None  # as the lock writes it (relative to the lock's folder when relative)
    hashes: Mapping[str, str]
    size: int | None = None
    requires_python: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}=={self.version}" if self.version is not None else str(self.name)


@record(frozen=True)
class WheelhouseTarget:
    """One environment the wheelhouse must install in, and how messages name it."""

    label: str  # "win_amd64, Python 3.11"
    target: TargetEnv
    platform: str = ""
    # False for a Python version bale chose (no --python): a lock without files for it is no error,
    # as long as the platform gets some other Python version's files.
    required: bool = True


def pythons_for(requires_python: SpecifierSet | None, asked: Sequence[str]) -> list[str]:
    """The Python versions to build for: ``asked``, else every minor in PYTHON_MINORS that
    ``requires_python`` admits (a bound like ``>=3.11.2`` admits 3.11)."""
    if asked:
        return list(dict.fromkeys(asked))
    if requires_python is None:
        return list(PYTHON_MINORS)
    chosen = [
        minor
        for minor in PYTHON_MINORS
        if any(requires_python.contains(f"{minor}.{micro}", prereleases=True) for micro in (0, 99))
    ]
    if not chosen:
        raise BaleError(
            f"The lock's requires-python ({requires_python}) admits none of Python "
            f"{PYTHON_MINORS[0]} to {PYTHON_MINORS[-1]}",
            hint="name the versions with --python",
        )
    return chosen


def _all_groups(lock: Pylock) -> list[str]:
    return sorted({normalize(g) for g in (*(lock.dependency_groups or ()), *(lock.default_groups or ()))})


def _file(package: Package, artifact: PackageWheel | PackageSdist, kind: str) -> WheelhouseFile:
    requires = str(package.requires_python) if package.requires_python else None
    return WheelhouseFile(
        normalize(package.name),
        package.version,
        kind,
        artifact.filename,
        artifact.url,
        artifact.path,
        dict(artifact.hashes),
        artifact.size,
        requires,
    )


def every_file(lock: Pylock) -> tuple[list[WheelhouseFile], list[str]]:
    """Every wheel and sdist the lock lists (for a wheelhouse with no named platform), and the
    packages left out because no file installs them (VCS, directory and archive sources)."""
    files: list[WheelhouseFile] = []
    skipped: list[str] = []
    for package in lock.packages:
        found = [_file(package, wheel, "wheel") for wheel in package.wheels or ()]
        if package.sdist is not None:
            found.append(_file(package, package.sdist, "sdist"))
        if not found:
            skipped.append(str(normalize(package.name)))
        files.extend(found)
    return _unique(files), sorted(set(skipped))


def wanted_files(
    lock: Pylock, targets: Sequence[WheelhouseTarget], *, source: str
) -> tuple[list[WheelhouseFile], list[str], list[str]]:
    """The file each target environment installs of each package (all extras and dependency groups:
    the wheelhouse serves every use of the lock), the packages left out because they are no file,
    and warnings for the targets left out (not ``required``, and the lock has no files for them).

    Selection is the lock's own (markers, then the best wheel by tags, else the sdist), so the
    wheelhouse holds exactly what an install on that platform will ask for. Raises BaleError naming
    the package and the platform when the lock has nothing for one of them.
    """
    from packaging.pylock import PackageSdist, PackageWheel

    from bale.lock.pylock import select_for_environment

    by_name = {normalize(p.name): p for p in lock.packages}
    files: list[WheelhouseFile] = []
    skipped: set[str] = set()
    warnings: list[str] = []
    served: set[str] = set()
    failures: dict[str, BaleError] = {}
    for item in targets:
        try:
            selected = select_for_environment(
                lock,
                environment=dict(item.target.markers),
                tags=item.target.tags,
                extras=list(lock.extras or ()),
                groups=_all_groups(lock),
                source=source,
            )
        except BaleError as err:
            failure = BaleError(
                f"Cannot make the wheelhouse for {item.label}: {err.message}",
                context=list(err.context),
                hint="leave this platform or Python version out, or lock for it (`environments`)",
            )
            if item.required:
                raise failure from err
            failures.setdefault(item.platform, failure)
            warnings.append(f"{item.label} left out of the wheelhouse: {err.message}")
            continue
        served.add(item.platform)
        for chosen in selected:
            package = by_name.get(chosen.name)
            if chosen.file is None or chosen.file.kind == "archive" or package is None:
                skipped.add(str(chosen.name))
                continue
            artifact: PackageWheel | PackageSdist | None = None
            if chosen.file.kind == "wheel":
                artifact = next(w for w in package.wheels or () if w.filename == chosen.file.filename)
            else:
                artifact = package.sdist
            assert isinstance(artifact, (PackageWheel, PackageSdist))
            files.append(_file(package, artifact, chosen.file.kind))
    for platform, failure in failures.items():
        if platform not in served:
            raise failure
    return _unique(files), sorted(skipped), warnings


def _unique(files: Iterable[WheelhouseFile]) -> list[WheelhouseFile]:
    """One entry per file name, sorted by package then file name; the same name with two different
    hashes means two packages claim one file, which no wheelhouse can hold."""
    seen: dict[str, WheelhouseFile] = {}
    for file in files:
        other = seen.setdefault(file.filename, file)
        if dict(other.hashes) != dict(file.hashes):
            raise BaleError(
                f"The lock lists {file.filename} twice with different hashes ({other.label}, {file.label})",
                hint="lock again: one file name is one file",
            )
    return sorted(seen.values(), key=lambda f: (f.name, f.filename))


def rewrite_lock(lock: Pylock, kept: Collection[str], *, created_by: str = "bale") -> Mapping[str, Any]:
    """The lock as a wheelhouse holds it: each kept file fetched by its relative ``path`` under
    ``files/`` (PEP 751 allows paths relative to the lock), the files left out dropped, and a
    package none of whose files was kept dropped too (nothing could install it from here).

    Returned as the PEP 751 table (``Pylock.to_dict``), ready to be written as TOML.
    """
    names = set(kept)
    packages: list[Package] = []
    for package in lock.packages:
        if package.vcs is not None or package.directory is not None or package.archive is not None:
            packages.append(package)  # a direct source: it stays as the lock names it
            continue
        wheels = [
            dataclasses.replace(wheel, url=None, path=f"{FILES_FOLDER}/{wheel.filename}")
            for wheel in package.wheels or ()
            if wheel.filename in names
        ]
        sdist = package.sdist
        if sdist is not None:
            sdist = (
                dataclasses.replace(sdist, url=None, path=f"{FILES_FOLDER}/{sdist.filename}")
                if sdist.filename in names
                else None
            )
        if not wheels and sdist is None:
            continue
        packages.append(dataclasses.replace(package, wheels=wheels or None, sdist=sdist, index=None))
    rewritten = dataclasses.replace(lock, packages=packages, created_by=created_by)
    return rewritten.to_dict()
