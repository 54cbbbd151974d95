"""Export a ``pylock.toml`` as a pip-compatible requirements file for a chosen set of extras and groups."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from packaging.pylock import (
    Package,
    PackageArchive,
    PackageDirectory,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
)
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.lock.pylock import check_selection
from bale.lock.requirements_txt import Format, Pinned, render
from bale.markers import FALSE, TRUE, MarkerExpr, and_, or_, parse, restrict_python

__all__ = ["selection_marker", "to_requirements_txt"]

# pip's ``--hash`` accepts these only (pip/_internal/utils/hashes.py, STRONG_HASHES).
_PIP_ALGORITHMS = ("sha256", "sha384", "sha512")
_SET_VARIABLES = frozenset({"extras", "dependency_groups"})


def selection_marker(
    marker: Any,
    *,
    extras: Collection[str],
    groups: Collection[str],
    requires_python: str | None = None,
) -> MarkerExpr:
    """``marker`` with its ``'x' in extras`` and ``'g' in dependency_groups`` terms decided for the
    chosen extras and groups, and what ``requires_python`` implies dropped; the rest stays a marker.

    FALSE when the package is not needed for this choice; TRUE when it is needed everywhere.
    """
    if marker is None or not str(marker).strip():
        return TRUE
    from packaging.markers import Marker

    chosen: dict[str, frozenset[str]] = {
        "extras": frozenset(map(canonicalize_name, extras)),
        "dependency_groups": frozenset(map(canonicalize_name, groups)),
    }
    parsed = marker if isinstance(marker, Marker) else Marker(str(marker))
    # ``_markers`` is packaging's parsed form; bale.markers.parse reads it the same way.
    expression = _expression(parsed._markers, chosen)
    return restrict_python(expression, requires_python)


def _expression(items: list[Any], chosen: dict[str, frozenset[str]]) -> MarkerExpr:
    result = FALSE
    conjunction = TRUE
    for item in items:
        if item == "or":
            result = or_(result, conjunction)
            conjunction = TRUE
        elif item == "and":
            continue
        elif isinstance(item, list):
            conjunction = and_(conjunction, _expression(item, chosen))
        else:
            conjunction = and_(conjunction, _comparison(*item, chosen=chosen))
    return or_(result, conjunction)


def _comparison(lhs: Any, op: Any, rhs: Any, *, chosen: dict[str, frozenset[str]]) -> MarkerExpr:
    for variable, value in ((rhs, lhs), (lhs, rhs)):
        if type(variable).__name__ == "Variable" and variable.value in _SET_VARIABLES:
            member = canonicalize_name(str(value.value)) in chosen[variable.value]
            operator = op.serialize()
            if operator not in ("in", "not in"):
                raise BaleError(
                    f"The lock marker comparison '{variable.value} {operator} ...' is not defined"
                )
            return TRUE if member == (operator == "in") else FALSE
    return parse(f"{lhs.serialize()} {op.serialize()} {rhs.serialize()}")


def to_requirements_txt(
    lock: Pylock,
    *,
    hashes: bool,
    extras: Collection[str] = (),
    groups: Collection[str] | None = None,
    header: bool = True,
    command: str = "bale export",
    annotate: bool = False,
    editable: bool = True,
    source: str = "the lock file",
    requested_by: Mapping[str, Collection[str]] | None = None,
) -> str:
    """A requirements file installing what the lock installs for ``extras`` and ``groups`` (None:
    the lock's default groups), on any environment the lock covers.

    Each package becomes ``name==version ; marker`` with the marker's extras and groups terms decided
    (a package the choice does not need is left out), followed by a ``--hash`` for each of its files
    when ``hashes``. Direct references become ``name @ url`` lines; directories ``-e path`` (or
    ``path`` when not ``editable``), paths as written in the lock: relative to the lock's folder.
    VCS and directory lines carry no hash, which pip's hash-checking mode refuses.
    ``requested_by`` adds ``# via`` entries (the project, for its own requirements) by package name.
    """
    chosen_extras, chosen_groups = check_selection(lock, extras=extras, groups=groups, source=source)
    requires_python = str(lock.requires_python) if lock.requires_python else None
    included: list[tuple[Package, str | None]] = []
    for package in lock.packages:
        try:
            expression = selection_marker(
                package.marker, extras=chosen_extras, groups=chosen_groups, requires_python=requires_python
            )
        except ValueError as err:
            # A comparison the marker algebra does not model: usable as written if it names no extras
            # or groups, which only the algebra can decide.
            text = str(package.marker)
            if "extras" in text or "dependency_groups" in text:
                raise BaleError(
                    f"Cannot export {package.name} from {source}: its marker {text!r} cannot be simplified",
                    context=[str(err)],
                ) from err
            included.append((package, text))
            continue
        if expression.is_false:
            continue
        included.append((package, expression.to_string() or None))
    names = {package.name for package, _ in included}
    via: dict[str, set[str]] = {}
    for requested, sources in (requested_by or {}).items():
        if canonicalize_name(requested) in names:
            via.setdefault(canonicalize_name(requested), set()).update(sources)
    for package, _ in included:
        for dependency in package.dependencies or ():
            target = dependency.get("name")
            if isinstance(target, str) and canonicalize_name(target) in names:
                via.setdefault(canonicalize_name(target), set()).add(package.name)

    blocks: list[tuple[tuple[str, str], str]] = []
    fmt = Format(header=False, annotate=annotate)
    for package, marker in included:
        parents = tuple(sorted(via.get(package.name, ())))
        text = _entry(package, marker, hashes=hashes, via=parents, fmt=fmt, editable=editable, source=source)
        blocks.append(((package.name, marker or ""), text))
    blocks.sort(key=lambda block: block[0])
    head = render((), Format(header=True, annotate=False, command=command)) if header else ""
    return head + "".join(text for _, text in blocks)


def _pip_hashes(*tables: Any) -> tuple[str, ...]:
    found: set[str] = set()
    for table in tables:
        for algorithm, digest in table.items():
            if algorithm.lower() in _PIP_ALGORITHMS:
                found.add(f"{algorithm.lower()}:{digest.lower()}")
    return tuple(sorted(found))


def _entry(
    package: Package,
    marker: str | None,
    *,
    hashes: bool,
    via: tuple[str, ...],
    fmt: Format,
    editable: bool,
    source: str,
) -> str:
    if package.directory is not None:
        return _directory_entry(
            package, package.directory, marker, via=via, fmt=fmt, editable=editable, source=source
        )
    if package.vcs is not None:
        return render([_vcs_pin(package, package.vcs, marker, via, source)], fmt)
    if package.archive is not None:
        return _archive_entry(package, package.archive, marker, hashes=hashes, via=via, fmt=fmt)
    files: list[PackageWheel | PackageSdist] = [*(package.wheels or ())]
    if package.sdist is not None:
        files.append(package.sdist)
    if package.version is None:
        raise BaleError(f"{source}: {package.name} comes from an index but has no version")
    pin = Pinned(
        name=package.name,
        display_name=package.name,
        version=package.version,
        marker=marker,
        via=via,
        hashes=_pip_hashes(*(file.hashes for file in files)) if hashes else (),
    )
    return render([pin], fmt)


def _vcs_pin(
    package: Package, vcs: PackageVcs, marker: str | None, via: tuple[str, ...], source: str
) -> Pinned:
    if not vcs.url:
        raise BaleError(
            f"Cannot export {package.name} to a requirements file: it comes from the local repository "
            f"{vcs.path}, which pip cannot check out at a given commit"
        )
    prefix = f"{vcs.type}+"
    url = vcs.url if vcs.url.startswith(prefix) else prefix + vcs.url
    url += f"@{vcs.commit_id}"
    if vcs.subdirectory:
        url += f"#subdirectory={vcs.subdirectory}"
    return Pinned(
        name=package.name,
        display_name=package.name,
        version=package.version or Version("0"),  # unused: a URL pin is written as ``name @ url``
        url=url,
        marker=marker,
        via=via,
    )


def _local(path: str) -> str:
    # pip reads a bare word as a project name; a path must look like one.
    if path in (".", "..") or path.startswith(("/", "./", "../", "~")) or (len(path) > 1 and path[1] == ":"):
        return path
    return "./" + path


def _lines(head: str, hashes: tuple[str, ...], via: tuple[str, ...], fmt: Format) -> str:
    if not hashes:
        lines = [head]
    else:
        lines = [head + " \\"]
        lines.extend(
            f"    --hash={digest}" + (" \\" if i < len(hashes) - 1 else "") for i, digest in enumerate(hashes)
        )
    if fmt.annotate and via:
        lines.extend(
            [f"    # via {via[0]}"] if len(via) == 1 else ["    # via", *(f"    #   {v}" for v in via)]
        )
    return "\n".join(lines) + "\n"


def _directory_entry(
    package: Package,
    directory: PackageDirectory,
    marker: str | None,
    *,
    via: tuple[str, ...],
    fmt: Format,
    editable: bool,
    source: str,
) -> str:
    path = _local(directory.path.replace("\\", "/"))
    if directory.subdirectory:
        path = f"{path.rstrip('/')}/{directory.subdirectory}"
    if editable and directory.editable:
        if marker:
            raise BaleError(
                f"Cannot export {package.name} from {source} as an editable requirement: it has the "
                f"marker {marker!r}, and pip does not read markers on editable requirements",
                hint="export without editable installs",
            )
        return _lines(f"-e {path}", (), via, fmt)
    return _lines(f"{path} ; {marker}" if marker else path, (), via, fmt)


def _archive_entry(
    package: Package,
    archive: PackageArchive,
    marker: str | None,
    *,
    hashes: bool,
    via: tuple[str, ...],
    fmt: Format,
) -> str:
    digests = _pip_hashes(archive.hashes) if hashes else ()
    fragment = f"#subdirectory={archive.subdirectory}" if archive.subdirectory else ""
    if archive.url:
        head = f"{package.name} @ {archive.url}{fragment}"
    else:
        head = _local((archive.path or "").replace("\\", "/")) + fragment
    if marker:
        head += f" ; {marker}"
    return _lines(head, digests, via, fmt)
