"""PEP 751 ``pylock.toml``: write a resolution deterministically, read one back, select what one
environment installs, and check that a lock is safe to install from.

Writing takes plain values (:class:`LockInput`) and returns text; reading returns
``packaging.pylock.Pylock``. Nothing here touches files or the network: the caller reads and writes.
The file and source types are ``packaging.pylock``'s (``PackageWheel``, ``PackageSdist``,
``PackageVcs``, ``PackageDirectory``, ``PackageArchive``), so bale has one vocabulary for lock entries.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.markers import InvalidMarker, Marker
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageDirectory,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
    PylockSelectError,
    PylockValidationError,
)
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from bale.errors import INTERNAL_ERROR, BaleError
from bale.lock import toml_writer as toml
from bale.model.dates import as_utc
from bale.model.hashes import STRONG_ALGORITHMS
from bale.model.record import record

if TYPE_CHECKING:
    from packaging.tags import Tag

    from bale.model.dists import IndexFile

__all__ = [
    "LOCK_VERSION",
    "DependencyRef",
    "DirectSource",
    "LockInput",
    "LockedPackage",
    "Selected",
    "SelectedFile",
    "check_integrity",
    "check_selection",
    "files_from_index",
    "read_pylock",
    "select_for_environment",
    "strip_credentials",
    "write_pylock",
]

LOCK_VERSION = "1.0"
CREATED_BY = "bale"

DirectSource = PackageVcs | PackageDirectory | PackageArchive

# Digest lengths (hex characters) of the algorithms a lock may name; a digest of another length
# cannot be the hash of any file, so it was mistyped or edited.
_DIGEST_LENGTHS = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "sha3_224": 56,
    "sha3_256": 64,
    "sha3_384": 96,
    "sha3_512": 128,
    "blake2s": 64,
    "blake2b": 128,
}
_HEX = re.compile(r"^[0-9a-f]+$")
# Schemes whose user name is an account, not a secret (``git+ssh://git@github.com/...``).
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "hg+ssh", "bzr+ssh", "svn+ssh"})


# -- input values ------------------------------------------------------------------------------------


@record(frozen=True)
class DependencyRef:
    """A ``[[packages.dependencies]]`` entry: the dependency's name, and its version when the lock
    holds several versions of it (the version is written only then)."""

    name: str
    version: str | None = None


@record(frozen=True)
class LockedPackage:
    """One ``[[packages]]`` entry to write.

    ``marker`` already holds any ``'x' in extras`` / ``'g' in dependency_groups`` terms. Either
    ``wheels``/``sdist`` (from ``index``) or ``direct`` is set. ``version`` is None only for a
    directory or VCS source whose version may change with the tree. ``tool`` goes to
    ``[packages.tool]`` (disposable data: it must not affect installation).
    ``attestation_identities`` are the verified PEP 740 publishers of its files (PEP 751 tables with a
    ``kind`` key; see ``bale.lock.provenance``).
    """

    name: str
    version: Version | str | None
    marker: str | None = None
    requires_python: str | None = None
    index: str | None = None
    wheels: tuple[PackageWheel, ...] = ()
    sdist: PackageSdist | None = None
    direct: DirectSource | None = None
    dependencies: tuple[DependencyRef, ...] = ()
    tool: Mapping[str, Any] | None = None
    attestation_identities: tuple[Mapping[str, Any], ...] = ()


@record(frozen=True)
class LockInput:
    """Everything a ``pylock.toml`` records.

    ``extras`` and ``dependency_groups`` are the project's extras and groups the lock can install
    (written even when empty, which marks the lock as multi-use); ``default_groups`` are the groups
    installed when the user names none. ``environments`` are markers the lock supports (None: any).
    """

    packages: tuple[LockedPackage, ...]
    requires_python: str | None = None
    environments: tuple[str, ...] | None = None
    extras: tuple[str, ...] = ()
    dependency_groups: tuple[str, ...] = ()
    default_groups: tuple[str, ...] = ()
    project_name: str | None = None
    project_version: str | None = None


def files_from_index(
    files: Iterable[IndexFile],
) -> tuple[tuple[PackageWheel, ...], PackageSdist | None]:
    """The wheels and the sdist of one version as a lock records them (URLs without credentials).

    With several sdists (``.tar.gz`` and ``.zip``), the first in ``SDIST_SUFFIXES`` order is kept.
    """
    from bale.model.dists import SDIST_SUFFIXES

    wheels: list[PackageWheel] = []
    sdists: list[IndexFile] = []
    for file in files:
        if file.is_wheel:
            wheels.append(
                PackageWheel(
                    name=file.filename,
                    upload_time=file.upload_time,
                    url=strip_credentials(file.url),
                    size=file.size,
                    hashes=dict(file.hashes),
                )
            )
        else:
            sdists.append(file)
    sdist = None
    if sdists:

        def preference(file: IndexFile) -> tuple[int, str]:
            for rank, suffix in enumerate(SDIST_SUFFIXES):
                if file.filename.endswith(suffix):
                    return (rank, file.filename)
            return (len(SDIST_SUFFIXES), file.filename)

        chosen = min(sdists, key=preference)
        sdist = PackageSdist(
            name=chosen.filename,
            upload_time=chosen.upload_time,
            url=strip_credentials(chosen.url),
            size=chosen.size,
            hashes=dict(chosen.hashes),
        )
    return tuple(sorted(wheels, key=lambda wheel: wheel.filename)), sdist


def strip_credentials(url: str) -> str:
    """``url`` without a user name and password (an SSH user name such as ``git@`` is kept)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    if parts.scheme.lower() in _SSH_SCHEMES:
        user = userinfo.split(":", 1)[0]
        host = f"{user}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=host))


# -- writing -----------------------------------------------------------------------------------------


def write_pylock(lock: LockInput, *, tool_bale: Mapping[str, Any] | None = None) -> str:
    """The text of ``pylock.toml``: the same bytes for the same values, whatever their order.

    Packages are sorted by (name, version, marker), wheels by file name, hashes by algorithm; URLs lose
    their credentials. ``tool_bale`` (bale's own data: inputs, fingerprint, forks) is written, keys
    sorted, under ``[tool.bale]``. Raises ``BaleError`` for a package without a source, a file
    without a strong hash, a file name that names another package or version, or a duplicate entry.
    """
    lines = [f"lock-version = {toml.string(LOCK_VERSION)}"]
    if lock.environments is not None:
        for text in lock.environments:
            try:
                Marker(text)
            except InvalidMarker as err:
                raise BaleError(f"Cannot write the lock file: invalid environment marker {text!r}") from err
        lines.extend(toml.array_lines("environments", sorted(set(lock.environments))))
    if lock.requires_python:
        lines.append(f"requires-python = {toml.string(_specifier(lock.requires_python, 'for the lock'))}")
    lines.append(f"extras = {toml.inline(sorted({canonicalize_name(e) for e in lock.extras}))}")
    groups = sorted({canonicalize_name(g) for g in lock.dependency_groups})
    lines.append(f"dependency-groups = {toml.inline(groups)}")
    defaults = sorted({canonicalize_name(g) for g in lock.default_groups})
    lines.append(f"default-groups = {toml.inline(defaults)}")
    lines.append(f"created-by = {toml.string(CREATED_BY)}")

    entries = [_Entry.of(package) for package in lock.packages]
    if not entries:
        lines.append("packages = []")  # required by PEP 751, even when nothing is locked
    entries.sort(key=lambda entry: entry.sort_key)
    for previous, current in itertools.pairwise(entries):
        if previous.sort_key == current.sort_key:
            raise BaleError(
                f"Cannot write the lock file: {current.label} is listed twice"
                + (f" with the marker {current.marker!r}" if current.marker else ""),
                code=INTERNAL_ERROR,
            )
    versions: dict[str, set[str]] = {}
    for entry in entries:
        versions.setdefault(entry.name, set()).add(entry.version or "")
    for entry in entries:
        lines.append("")
        lines.extend(entry.lines(versions))

    bale_table: dict[str, Any] = {}
    if lock.project_name is not None:
        project = {"name": lock.project_name}
        if lock.project_version is not None:
            project["version"] = lock.project_version
        bale_table["project"] = project
    for name, value in (tool_bale or {}).items():
        if name in bale_table:
            raise ValueError(f"tool_bale may not set {name!r}: write_pylock fills it from the LockInput")
        bale_table[name] = value
    if bale_table:
        lines.append("")
        lines.extend(toml.table(["tool", "bale"], bale_table, sort_keys=True))
    return "\n".join(lines) + "\n"


def _specifier(text: str, where: str) -> str:
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier as err:
        raise BaleError(f"Cannot write the lock file: invalid requires-python {text!r} {where}") from err


@record
class _Entry:
    """A package checked and normalised for writing."""

    name: NormalizedName
    version: str | None
    parsed_version: Version | None
    marker: str | None
    package: LockedPackage
    requires_python: str | None = None
    sort_key: tuple[str, tuple[int, Version | None], str] = field(init=False)

    def __post_init__(self) -> None:
        version_key = (0, None) if self.parsed_version is None else (1, self.parsed_version)
        self.sort_key = (self.name, version_key, self.marker or "")

    @staticmethod
    def of(package: LockedPackage) -> _Entry:
        name = canonicalize_name(package.name)
        parsed: Version | None = None
        if package.version is not None:
            try:
                parsed = package.version if isinstance(package.version, Version) else Version(package.version)
            except InvalidVersion as err:
                raise BaleError(
                    f"Cannot write the lock file: {name} has an invalid version {package.version!r}"
                ) from err
        marker = package.marker.strip() if package.marker else None
        if marker:
            try:
                Marker(marker)
            except InvalidMarker as err:
                raise BaleError(
                    f"Cannot write the lock file: {name} has an invalid marker {marker!r}"
                ) from err
        entry = _Entry(name, str(parsed) if parsed is not None else None, parsed, marker or None, package)
        if package.requires_python:
            entry.requires_python = _specifier(package.requires_python, f"for {name}")
        entry.check()
        return entry

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    def check(self) -> None:
        package = self.package
        has_files = bool(package.wheels) or package.sdist is not None
        if has_files and package.direct is not None:
            raise BaleError(
                f"Cannot write the lock file: {self.label} has both index files and a direct source",
                code=INTERNAL_ERROR,
            )
        if not has_files and package.direct is None:
            raise BaleError(
                f"Cannot write the lock file: {self.label} has no file to install",
                context=["no wheel, no sdist and no direct source was recorded for it"],
                hint="the index may list no file for this version; try `--refresh`",
            )
        for wheel in package.wheels:
            self._check_file(wheel.filename, wheel.hashes)
            try:
                name, version, _, _ = parse_wheel_filename(wheel.filename)
            except InvalidWheelFilename as err:
                raise BaleError(
                    f"Cannot write the lock file: {wheel.filename!r} is not a wheel file name"
                ) from err
            self._check_names(wheel.filename, name, version)
        if package.sdist is not None:
            self._check_file(package.sdist.filename, package.sdist.hashes)
            try:
                name, version = parse_sdist_filename(_sdist_name_for_parsing(package.sdist.filename))
            except InvalidSdistFilename as err:
                raise BaleError(
                    f"Cannot write the lock file: {package.sdist.filename!r} is not an sdist file name"
                ) from err
            self._check_names(package.sdist.filename, name, version)
        if isinstance(package.direct, PackageArchive):
            self._check_file(_archive_name(package.direct), package.direct.hashes)

    def _check_file(self, filename: str, hashes: Mapping[str, str]) -> None:
        if not any(algorithm.lower() in STRONG_ALGORITHMS for algorithm in hashes):
            have = ", ".join(sorted(hashes)) or "none"
            raise BaleError(
                f"Cannot lock {self.label}: {filename} has no sha256 (or stronger) hash",
                context=[f"hashes known: {have}"],
                hint="a lock file records a hash for every file; the index gave none for this one",
            )

    def _check_names(self, filename: str, name: str, version: Version) -> None:
        if name != self.name or (self.parsed_version is not None and version != self.parsed_version):
            raise BaleError(
                f"Cannot write the lock file: {filename} is not a file of {self.label}",
                code=INTERNAL_ERROR,
            )

    def lines(self, versions: Mapping[str, set[str]]) -> list[str]:
        package = self.package
        lines = ["[[packages]]", f"name = {toml.string(self.name)}"]
        if self.version is not None:
            lines.append(f"version = {toml.string(self.version)}")
        if self.marker:
            lines.append(f"marker = {toml.string(self.marker)}")
        if self.requires_python:
            lines.append(f"requires-python = {toml.string(self.requires_python)}")
        if package.dependencies:
            lines.extend(toml.array_lines("dependencies", _dependencies(package.dependencies, versions)))
        direct = package.direct
        if isinstance(direct, PackageVcs):
            lines.append(f"vcs = {toml.inline(_vcs(direct))}")
        elif isinstance(direct, PackageDirectory):
            lines.append(f"directory = {toml.inline(_directory(direct))}")
        elif isinstance(direct, PackageArchive):
            lines.append(f"archive = {toml.inline(_archive(direct))}")
        if package.index:
            lines.append(f"index = {toml.string(strip_credentials(package.index))}")
        if package.sdist is not None:
            lines.append(f"sdist = {toml.inline(_file(package.sdist))}")
        if package.wheels:
            wheels = sorted(package.wheels, key=lambda wheel: (wheel.filename, wheel.url or wheel.path or ""))
            lines.extend(toml.array_lines("wheels", [_file(wheel) for wheel in wheels]))
        if package.attestation_identities:
            from bale.lock.provenance import sorted_identities

            identities = sorted_identities(package.attestation_identities)
            lines.extend(toml.array_lines("attestation-identities", identities))
        for tool, table in sorted((package.tool or {}).items()):
            # One [packages.tool.NAME] table of one-line values: a short, readable block per package.
            lines.extend(["", f"[packages.tool.{toml.key(tool)}]"])
            for name, value in sorted(table.items()):
                lines.append(f"{toml.key(name)} = {toml.inline(value, sort_keys=True)}")
        return lines


def _sdist_name_for_parsing(filename: str) -> str:
    # packaging parses .tar.gz and .zip only; older sdist suffixes name the same project and version.
    for suffix in (".tar.bz2", ".tar.xz", ".tgz", ".tar"):
        if filename.endswith(suffix):
            return filename[: -len(suffix)] + ".tar.gz"
    return filename


def _dependencies(refs: Iterable[DependencyRef], versions: Mapping[str, set[str]]) -> list[dict[str, str]]:
    result: dict[tuple[str, str], dict[str, str]] = {}
    for ref in refs:
        name: str = canonicalize_name(ref.name)
        known = versions.get(name)
        if known is None:
            raise BaleError(
                f"Cannot write the lock file: a dependency names {name}, which the lock does not hold",
                code=INTERNAL_ERROR,
            )
        entry = {"name": name}
        if ref.version is not None and len(known) > 1:
            entry["version"] = str(Version(ref.version))
        result[(name, entry.get("version", ""))] = entry
    return [result[key] for key in sorted(result)]


def _hashes(hashes: Mapping[str, str]) -> dict[str, str]:
    return {algorithm.lower(): hashes[algorithm].lower() for algorithm in sorted(hashes, key=str.lower)}


def _location(url: str | None, path: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if url:
        found["url"] = strip_credentials(url)
    if path:
        found["path"] = path
    return found


def _file(file: PackageWheel | PackageSdist) -> dict[str, Any]:
    # Key order follows the specification's: name, upload-time, url, path, size, hashes.
    table: dict[str, Any] = {"name": file.filename}
    if file.upload_time is not None:
        table["upload-time"] = as_utc(file.upload_time)
    table.update(_location(file.url, file.path))
    if file.size is not None:
        table["size"] = file.size
    table["hashes"] = _hashes(file.hashes)
    return table


def _vcs(vcs: PackageVcs) -> dict[str, Any]:
    table: dict[str, Any] = {"type": vcs.type}
    table.update(_location(vcs.url, vcs.path))
    if vcs.requested_revision:
        table["requested-revision"] = vcs.requested_revision
    table["commit-id"] = vcs.commit_id
    if vcs.subdirectory:
        table["subdirectory"] = vcs.subdirectory
    return table


def _directory(directory: PackageDirectory) -> dict[str, Any]:
    table: dict[str, Any] = {"path": directory.path}
    if directory.editable:
        table["editable"] = True
    if directory.subdirectory:
        table["subdirectory"] = directory.subdirectory
    return table


def _archive(archive: PackageArchive) -> dict[str, Any]:
    table: dict[str, Any] = _location(archive.url, archive.path)
    if archive.size is not None:
        table["size"] = archive.size
    if archive.upload_time is not None:
        table["upload-time"] = as_utc(archive.upload_time)
    table["hashes"] = _hashes(archive.hashes)
    if archive.subdirectory:
        table["subdirectory"] = archive.subdirectory
    return table


def _last_component(url: str | None, path: str | None) -> str:
    """The file name a path or URL ends with (a path may use either separator)."""
    if path:
        return path.replace("\\", "/").rsplit("/", 1)[-1]
    return unquote(urlsplit(url or "").path.rsplit("/", 1)[-1])


def _archive_name(archive: PackageArchive) -> str:
    return _last_component(archive.url, archive.path) or (archive.url or archive.path or "")


# -- reading -----------------------------------------------------------------------------------------


def read_pylock(text: str, *, source: str) -> Pylock:
    """Parse and validate a ``pylock.toml``; ``source`` (the file's path) names it in errors.

    A lock whose ``lock-version`` has another major version than 1 is refused (a newer bale is
    needed); a problem in an entry names the package and the field; merge-conflict markers are an
    error naming their lines.
    """
    from bale.lock.conflicts import check_no_conflicts

    # Before parsing: a conflicted lock is named as such, not as a TOML syntax error.
    check_no_conflicts(text, source=source)
    # No ``sys.version_info`` test: the pure layer does not import sys (tests/unit/test_layers.py).
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef, unused-ignore]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BaleError(f"{source} is not valid TOML: {err}", hint="fix or delete the lock file") from err
    _check_lock_version(data, source)
    try:
        return Pylock.from_dict(data)
    except PylockValidationError as err:
        raise _validation_error(err, data, source) from err


def _check_lock_version(data: Mapping[str, Any], source: str) -> None:
    value = data.get("lock-version")
    if not isinstance(value, str):
        return  # validation reports a missing or mistyped value
    try:
        version = Version(value)
    except InvalidVersion:
        raise BaleError(f"{source}: lock-version {value!r} is not a version") from None
    if version.major > 1:
        raise BaleError(
            f"{source} uses lock-version {value}, which this bale cannot read (it reads 1.x)",
            hint="a newer bale is needed; upgrade bale",
        )
    if version.major < 1:
        raise BaleError(f"{source}: lock-version {value} is not supported (bale reads 1.x)")


_PACKAGE_CONTEXT = re.compile(r"^packages\[(\d+)\](?:\.(.*))?$")


def _validation_error(err: PylockValidationError, data: Mapping[str, Any], source: str) -> BaleError:
    where: str = err.context or ""
    context: list[str] = []
    match = _PACKAGE_CONTEXT.match(where)
    if match:
        index = int(match.group(1))
        field_path = match.group(2) or "(the entry itself)"
        packages = data.get("packages")
        name: object = None
        entry: Mapping[str, Any] = {}
        if isinstance(packages, list) and index < len(packages) and isinstance(packages[index], Mapping):
            entry = packages[index]
            name = entry.get("name")
        label = f"{name}" if isinstance(name, str) else f"packages[{index}]"
        unhashed = _unhashed_file(entry, match.group(2) or "")
        if unhashed is not None:
            return BaleError(
                f"{source}: invalid lock entry for {label}: {unhashed} has no hash",
                context=[f"field: packages[{index}].{field_path}"],
                hint="a lock file gives a sha256 (or stronger) hash for every file, or nothing checks "
                "what is downloaded: run `bale lock` to write it again",
            )
        message = f"{source}: invalid lock entry for {label}: {err.message}"
        context.append(
            f"field: packages[{index}].{field_path}" if match.group(2) else f"entry: packages[{index}]"
        )
    elif where:
        message = f"{source}: invalid lock file: {err.message}"
        context.append(f"field: {where}")
    else:
        message = f"{source}: invalid lock file: {err.message}"
    return BaleError(message, context=context, hint="regenerate it with `bale lock`")


_HASHES_FIELD = re.compile(r"^(wheels\[(\d+)\]|sdist|archive)\.hashes$")


def _unhashed_file(entry: Mapping[str, Any], field_path: str) -> str | None:
    """The file name of the wheel, sdist or archive whose ``hashes`` the validation error is about."""
    match = _HASHES_FIELD.match(field_path)
    if match is None:
        return None
    table: object
    if match.group(2) is not None:
        wheels = entry.get("wheels")
        position = int(match.group(2))
        table = wheels[position] if isinstance(wheels, list) and position < len(wheels) else None
    else:
        table = entry.get(match.group(1))
    if not isinstance(table, Mapping):
        return match.group(1)
    named = table.get("name")
    if isinstance(named, str):
        return named
    location = table.get("url") or table.get("path")
    return _last_component(None, location) if isinstance(location, str) else match.group(1)


# -- selection ---------------------------------------------------------------------------------------


@record(frozen=True)
class SelectedFile:
    """The file to fetch: a wheel, an sdist or a direct archive. ``path`` is as written in the lock
    (relative to its folder when relative)."""

    kind: str  # "wheel", "sdist" or "archive"
    filename: str
    url: str | None
    path: str | None
    hashes: Mapping[str, str]
    size: int | None = None
    upload_time: datetime | None = None
    subdirectory: str | None = None


@record(frozen=True)
class Selected:
    """One package to install for an environment: a file to fetch, or a VCS or directory source."""

    name: NormalizedName
    version: Version | None
    file: SelectedFile | None
    vcs: PackageVcs | None = None
    directory: PackageDirectory | None = None
    index: str | None = None
    editable: bool = False

    @property
    def is_direct(self) -> bool:
        """Installed from a direct reference (VCS, directory or archive), not an index."""
        return self.file is None or self.file.kind == "archive"


def select_for_environment(
    lock: Pylock,
    *,
    environment: Mapping[str, str],
    tags: Sequence[Tag],
    extras: Collection[str] = (),
    groups: Collection[str] | None = None,
    source: str = "the lock file",
) -> list[Selected]:
    """What to install for one interpreter, sorted by name.

    ``environment`` is a complete PEP 508 marker environment (it must hold ``python_full_version``);
    ``tags`` are the interpreter's wheel tags, most preferred first. ``groups`` None means the lock's
    default groups. Raises ``BaleError`` naming the package when the lock has nothing for it.
    """
    if "python_full_version" not in environment:
        raise BaleError(
            "Cannot select from the lock file: the environment has no python_full_version",
            code=INTERNAL_ERROR,
        )
    chosen_extras, chosen_groups = check_selection(lock, extras=extras, groups=groups, source=source)
    try:
        chosen = list(
            lock.select(
                environment=dict(environment),  # type: ignore[arg-type]
                tags=tags,
                extras=chosen_extras,
                dependency_groups=chosen_groups,
            )
        )
    except PylockSelectError as err:
        selection = {"extras": chosen_extras, "dependency_groups": chosen_groups}
        raise _select_error(err, lock, environment, tags, selection, source) from err
    selected = [_selected(package, artifact) for package, artifact in chosen]
    return sorted(selected, key=lambda item: item.name)


def check_selection(
    lock: Pylock, *, extras: Collection[str], groups: Collection[str] | None, source: str = "the lock file"
) -> tuple[frozenset[str], frozenset[str]]:
    """The extras and dependency groups to install, normalised (``groups`` None: the lock's default
    groups). Raises ``BaleError`` for a name the lock does not know."""
    chosen_extras = frozenset(map(canonicalize_name, extras))
    unknown_extras = sorted(chosen_extras - set(lock.extras or ()))
    if unknown_extras:
        raise BaleError(
            f"{source} has no extra named {', '.join(unknown_extras)}",
            context=[f"extras in the lock: {', '.join(lock.extras or ()) or 'none'}"],
        )
    if groups is None:
        return chosen_extras, frozenset(map(canonicalize_name, lock.default_groups or ()))
    chosen_groups = frozenset(map(canonicalize_name, groups))
    known_groups = {
        canonicalize_name(g) for g in (*(lock.dependency_groups or ()), *(lock.default_groups or ()))
    }
    unknown_groups = sorted(chosen_groups - known_groups)
    if unknown_groups:
        raise BaleError(
            f"{source} has no dependency group named {', '.join(unknown_groups)}",
            context=[f"groups in the lock: {', '.join(sorted(known_groups)) or 'none'}"],
        )
    return chosen_extras, chosen_groups


def _selected(package: Package, artifact: object) -> Selected:
    if isinstance(artifact, PackageVcs):
        return Selected(package.name, package.version, None, vcs=artifact)
    if isinstance(artifact, PackageDirectory):
        return Selected(
            package.name, package.version, None, directory=artifact, editable=bool(artifact.editable)
        )
    if isinstance(artifact, PackageArchive):
        file = SelectedFile(
            "archive",
            _archive_name(artifact),
            artifact.url,
            artifact.path,
            artifact.hashes,
            artifact.size,
            artifact.upload_time,
            artifact.subdirectory,
        )
        return Selected(package.name, package.version, file)
    assert isinstance(artifact, (PackageWheel, PackageSdist))
    kind = "wheel" if isinstance(artifact, PackageWheel) else "sdist"
    file = SelectedFile(
        kind,
        artifact.filename,
        artifact.url,
        artifact.path,
        artifact.hashes,
        artifact.size,
        artifact.upload_time,
    )
    return Selected(package.name, package.version, file, index=package.index)


def _environment_label(environment: Mapping[str, str]) -> str:
    keys = ("python_full_version", "sys_platform", "platform_machine")
    return ", ".join(f"{key} {environment[key]!r}" for key in keys if key in environment)


def _select_error(
    err: Exception,
    lock: Pylock,
    environment: Mapping[str, str],
    tags: Sequence[Tag],
    selection: Mapping[str, frozenset[str]],
    source: str,
) -> BaleError:
    message = str(err)
    if "No wheel found" in message:
        evaluation: dict[str, str | frozenset[str]] = {**environment, **selection}
        supported = set(tags)
        for package in lock.packages:
            if not package.wheels or package.sdist is not None or f"{package.name!r}" not in message:
                continue
            if package.marker is not None and not package.marker.evaluate(evaluation, context="lock_file"):
                continue
            wheel_tags = [parse_wheel_filename(wheel.filename)[3] for wheel in package.wheels]
            if any(found & supported for found in wheel_tags):
                continue
            available = sorted({str(tag) for found in wheel_tags for tag in found})
            wanted = [str(tag) for tag in tags[:5]]
            more = ", ..." if len(tags) > 5 else ""
            return BaleError(
                f"{source} has no wheel of {_label(package)} for this interpreter, and no sdist",
                context=[
                    f"environment: {_environment_label(environment)}",
                    f"the lock's wheels have the tags: {', '.join(available)}",
                    f"this interpreter accepts: {', '.join(wanted)}{more}",
                ],
                hint="lock again with this platform in `environments`",
            )
    if "does not satisfy the Python version" in message:
        python = environment.get("python_full_version", "")
        if lock.requires_python is not None and not lock.requires_python.contains(python, prereleases=True):
            return BaleError(
                f"{source} does not support Python {python}",
                context=[f"the lock's requires-python: {lock.requires_python}"],
                hint="use an interpreter that the lock's requires-python admits",
            )
        return BaleError(f"{source} has a package that does not support Python {python}", context=[message])
    if "environments specified in the lock file" in message:
        listed = [str(marker) for marker in lock.environments or ()]
        return BaleError(
            f"{source} was not locked for this environment ({_environment_label(environment)})",
            context=[f"environments: {'; '.join(listed)}"],
            hint="add this environment to `environments` and lock again",
        )
    return BaleError(f"Cannot install from {source}: {message}")


def _label(package: Package) -> str:
    return f"{package.name} {package.version}" if package.version else str(package.name)


# -- integrity ---------------------------------------------------------------------------------------


def check_integrity(lock: Pylock, *, allowed_hosts: Collection[str] | None = None) -> list[str]:
    """Problems that make a lock unsafe to install from; empty when there are none.

    Reported: a package two of whose entries can be selected together, a file without a strong hash
    or with a digest that cannot be a hash, a file whose name differs from the one its URL or path
    ends with, credentials in a URL, and (when ``allowed_hosts`` is given) a URL on another host.
    ``allowed_hosts`` holds host names, ``host:port`` pairs or index URLs; a ``file:`` URL among
    them allows ``file:`` URLs. Relative paths (next to the lock) are always allowed.
    """
    problems: list[str] = []
    problems.extend(_overlaps(lock))
    hosts = _allowed(allowed_hosts) if allowed_hosts is not None else None
    # One URL is one file: two entries giving it different hashes means one of them was edited.
    digests: dict[tuple[str, str], tuple[str, str]] = {}
    for package in lock.packages:
        label = _label(package)
        urls: list[tuple[str, str]] = []
        if package.index:
            urls.append(("its index", package.index))
        files: list[tuple[str, PackageWheel | PackageSdist | PackageArchive]] = [
            (wheel.filename, wheel) for wheel in package.wheels or ()
        ]
        if package.sdist is not None:
            files.append((package.sdist.filename, package.sdist))
        if package.archive is not None:
            files.append((_archive_name(package.archive), package.archive))
        for filename, file in files:
            problems.extend(f"{label}: {problem}" for problem in _hash_problems(filename, file.hashes))
            named = getattr(file, "name", None)
            if named and (file.url or file.path):
                last = _last_component(file.url, file.path)
                if last != named:
                    fetched = file.url or file.path
                    problems.append(
                        f"{label}: the file {named} is fetched from {fetched}, a file named {last}"
                    )
            if file.url:
                urls.append((filename, file.url))
                for algorithm, digest in file.hashes.items():
                    key = (file.url, algorithm.lower())
                    seen = digests.setdefault(key, (str(digest).lower(), label))
                    if seen[0] != str(digest).lower():
                        problems.append(
                            f"{label}: {filename} has another {algorithm} hash than the same URL in {seen[1]}"
                        )
        if package.vcs is not None and package.vcs.url:
            urls.append(("its repository", package.vcs.url))
        for what, url in urls:
            parts = urlsplit(url)
            if "@" in parts.netloc and parts.scheme.lower() not in _SSH_SCHEMES:
                problems.append(f"{label}: the URL of {what} holds credentials")
            elif parts.password:
                problems.append(f"{label}: the URL of {what} holds a password")
            if hosts is not None and not _host_allowed(parts, hosts):
                where = parts.hostname or parts.scheme + ":"
                problems.append(
                    f"{label}: {what} comes from {where}, which is not one of the configured indexes ({url})"
                )
    return problems


def _hash_problems(filename: str, hashes: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    if not any(algorithm.lower() in STRONG_ALGORITHMS for algorithm in hashes):
        problems.append(f"{filename} has no sha256 (or stronger) hash")
    for algorithm, digest in sorted(hashes.items()):
        expected = _DIGEST_LENGTHS.get(algorithm.lower())
        if (
            not isinstance(digest, str)
            or not _HEX.match(digest.lower())
            or (expected is not None and len(digest) != expected)
        ):
            problems.append(f"{filename}: the {algorithm} hash {digest!r} is not a valid digest")
    return problems


@record(frozen=True)
class _Hosts:
    names: frozenset[str]
    pairs: frozenset[str]
    files: bool


def _allowed(entries: Collection[str]) -> _Hosts:
    names: set[str] = set()
    pairs: set[str] = set()
    files = False
    for entry in entries:
        text = entry.strip()
        if "://" in text:
            parts = urlsplit(text)
            if parts.scheme.lower() == "file":
                files = True
                continue
            host = (parts.hostname or "").lower()
            if parts.port is not None:
                pairs.add(f"{host}:{parts.port}")
            else:
                names.add(host)
        elif text.lower() == "file:":
            files = True
        elif ":" in text and not text.startswith("["):
            pairs.add(text.lower())
        else:
            names.add(text.lower())
    return _Hosts(frozenset(names), frozenset(pairs), files)


def _host_allowed(parts: Any, hosts: _Hosts) -> bool:
    scheme = parts.scheme.lower()
    if scheme == "file":
        return hosts.files
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return False
    if host in hosts.names:
        return True
    return port is not None and f"{host}:{port}" in hosts.pairs


def _overlaps(lock: Pylock) -> list[str]:
    from bale.markers import TRUE, MarkerExpr, and_, or_, parse, python_marker

    by_name: dict[str, list[Package]] = {}
    for package in lock.packages:
        by_name.setdefault(package.name, []).append(package)
    duplicated = {name: entries for name, entries in by_name.items() if len(entries) > 1}
    if not duplicated:
        return []
    scope = TRUE
    try:
        if lock.requires_python:
            scope = python_marker(lock.requires_python)
        if lock.environments:
            scope = and_(scope, or_(*(parse(str(marker)) for marker in lock.environments)))
    except ValueError:
        scope = TRUE
    problems: list[str] = []
    for name, entries in sorted(duplicated.items()):
        expressions: list[MarkerExpr | None] = []
        for entry in entries:
            try:
                expressions.append(and_(scope, parse(str(entry.marker)) if entry.marker else TRUE))
            except ValueError:
                expressions.append(None)
        for first in range(len(entries)):
            for second in range(first + 1, len(entries)):
                a, b = expressions[first], expressions[second]
                if a is not None and b is not None and a.is_disjoint(b):
                    continue
                left, right = entries[first], entries[second]
                versions = f"{left.version or 'no version'} and {right.version or 'no version'}"
                problems.append(
                    f"{name} is listed twice ({versions}) with markers that can hold together: "
                    f"{_marker_text(left)} / {_marker_text(right)}"
                )
    return problems


def _marker_text(package: Package) -> str:
    return repr(str(package.marker)) if package.marker else "(always)"
