"""A lock is input to check, not to trust: the entries nothing reaches, the files from outside the indexes.

The checks are pure: the caller says which names the project requires, where its indexes are and which
direct references it names; see ``check_integrity`` in ``lock.pylock`` for hashes, credentials and hosts.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bale.model.record import record

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

__all__ = ["Locations", "file_location", "outside_locations", "outside_sources", "unreached_packages"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


@record(frozen=True)
class Locations:
    """Where index files may come from: ``folders`` are (origin, path) pairs a file must lie in or
    under (``https://host:port`` and ``/simple-root``, or ``file://`` and a folder), ``hosts`` are
    hosts whose every path is allowed (PyPI's file host). ``names`` are the indexes, for messages."""

    folders: frozenset[tuple[str, str]]
    hosts: frozenset[str]
    names: tuple[str, ...] = ()

    @staticmethod
    def of(indexes: Iterable[str], folders: Iterable[str] = (), hosts: Iterable[str] = ()) -> Locations:
        """``indexes`` are index URLs (their files lie beside the index page's folder: ``/simple``
        allows ``/files/...`` of the same server); ``folders`` are find-links pages or folders (their
        files lie in them); all as absolute URLs."""
        found: set[tuple[str, str]] = set()
        names: list[str] = []
        for url in indexes:
            try:
                origin, path = _split(url)
            except ValueError:
                continue  # a port out of range: nothing can come from there
            found.add((origin, posixpath.dirname(path.rstrip("/")) or "/"))
            names.append(url)
        for url in folders:
            try:
                origin, path = _split(url)
            except ValueError:
                continue
            if not url.endswith("/") and origin != "file://":
                path = posixpath.dirname(path) or "/"  # a page: its files sit next to it
            found.add((origin, path))
            names.append(url)
        return Locations(frozenset(found), frozenset(h.lower() for h in hosts), tuple(dict.fromkeys(names)))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" and (parts.hostname or "").lower() in self.hosts:
            return True
        try:
            origin, path = _split(url)
        except ValueError:
            return False
        return any(
            origin == allowed and (path == folder or path.startswith(folder.rstrip("/") + "/"))
            for allowed, folder in self.folders
        )


def _split(url: str) -> tuple[str, str]:
    """``(origin, path)`` of ``url``: scheme and host lowercased, credentials, default port, query and
    fragment dropped, the path unquoted with its ``.`` and ``..`` segments resolved (a server does)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))
    if scheme == "file":
        return "file://", path
    host = (parts.hostname or "").lower()
    port = parts.port  # ValueError for a port out of range: the caller refuses the URL
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}", path


def file_location(url: str | None, path: str | None, lock_dir: str) -> str:
    """Where a lock entry's file is fetched from, as a URL: its ``url``, else its ``path`` (relative
    to ``lock_dir``, a POSIX path) as a ``file:`` URL."""
    if url:
        return url
    target = (path or "").replace("\\", "/")
    absolute = posixpath.normpath(posixpath.join(lock_dir, target))
    return "file://" + quote(absolute)


def outside_locations(lock: Pylock, locations: Locations, *, lock_dir: str) -> list[str]:
    """The lock's index files (wheels and sdists) fetched from outside ``locations``, one sentence each
    naming the package, the file and where it comes from; direct archives are checked elsewhere."""
    problems: list[str] = []
    for package in lock.packages:
        files = [(wheel.filename, wheel.url, wheel.path) for wheel in package.wheels or ()]
        if package.sdist is not None:
            files.append((package.sdist.filename, package.sdist.url, package.sdist.path))
        for filename, url, path in files:
            where = file_location(url, path, lock_dir)
            if not locations.allows(where):
                problems.append(
                    f"{_label(package)}: {filename} comes from {where}, outside the configured indexes"
                )
    return problems


def outside_sources(lock: Pylock, declared: Collection[str], locations: Locations) -> list[str]:
    """The lock's remote direct archives and repositories that none of ``declared`` (the URLs and
    repositories the project's requirements and sources name, without ``git+`` and revision) is,
    one sentence each: a host named for one repository must not let in another of the same host.
    An archive inside ``locations`` (a URL requirement of a dependency, on an index) is let through."""
    named = {_direct_key(url) for url in declared}
    problems: list[str] = []
    for package in lock.packages:
        url = package.archive.url if package.archive is not None else None
        # A local archive is checked against the project's paths (``check_lock_paths``).
        if url and url[:5].lower() != "file:" and _direct_key(url) not in named and not locations.allows(url):
            problems.append(
                f"{_label(package)}: its archive comes from {url}, which no requirement or source of "
                "the project names"
            )
        vcs = package.vcs
        if vcs is not None and vcs.url and _direct_key(vcs.url) not in named:
            problems.append(
                f"{_label(package)}: its repository {vcs.url} is not one a requirement or source of the "
                "project names"
            )
    return problems


def _direct_key(url: str) -> tuple[str, str, str]:
    """A URL compared as a direct reference: origin and path as in :func:`_split` (credentials and
    fragment dropped), and the query, which may pick the file."""
    try:
        origin, path = _split(url)
    except ValueError:
        return (url, "", "")
    return origin, path.rstrip("/") or "/", urlsplit(url).query


def unreached_packages(lock: Pylock, roots: Collection[str]) -> list[str]:
    """The entries (``name version``) that no root reaches through ``[[packages.dependencies]]``.

    ``roots`` are the names the project needs directly: its workspace members and every requirement of
    every member (dependencies, all extras, all groups: reaching ignores markers, so an entry needed
    only on another platform or by an extra counts). A reference with a version reaches that version,
    one with only a name every entry of the name. Empty for a lock that records no dependencies and
    no bale data (another tool's): there is nothing to walk.
    """
    if not any(package.dependencies for package in lock.packages) and not _made_by_bale(lock):
        return []
    by_name: dict[str, list[int]] = {}
    for key, package in enumerate(lock.packages):
        by_name.setdefault(canonicalize_name(package.name), []).append(key)
    pending = [key for name in {canonicalize_name(r) for r in roots} for key in by_name.get(name, ())]
    seen: set[int] = set()
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.add(key)
        for reference in lock.packages[key].dependencies or ():
            pending.extend(_targets(reference, by_name, lock))
    return [_label(package) for key, package in enumerate(lock.packages) if key not in seen]


def _made_by_bale(lock: Pylock) -> bool:
    return lock.created_by == "bale" or isinstance((lock.tool or {}).get("bale"), Mapping)


def _targets(reference: Mapping[str, Any], by_name: Mapping[str, list[int]], lock: Pylock) -> list[int]:
    name = reference.get("name")
    if not isinstance(name, str):
        return []
    found = by_name.get(canonicalize_name(name), [])
    wanted = reference.get("version")
    if not isinstance(wanted, str):
        return found
    try:
        version = Version(wanted)
    except InvalidVersion:
        return found
    return [key for key in found if lock.packages[key].version == version]


def _label(package: Package) -> str:
    return f"{package.name} {package.version}" if package.version else str(package.name)
