"""What a project allows its lock to hold: the indexes its files may come from and the packages it
reaches; the refusals ``sync`` applies before installing (``--frozen`` too) and ``lock`` before writing.

A plain ``sync`` on a lock whose inputs are unchanged applies them as ``--frozen`` does: such a lock is
never rewritten behind the user's back, so a tampered entry is an error that says to run ``bale lock``
(which writes the lock again from pyproject.toml), not a silent repair. A stale lock is relocked, as uv
does: the old lock's versions are then only preferences, and nothing of it is installed unchecked.
Reaching is walked from today's pyproject.toml, so ``--frozen`` after removing a dependency without
relocking is refused too (the lock lists what nothing requires). A lock written by another tool with no
``[[packages.dependencies]]`` at all has no graph to walk and is not checked for reach.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bale.errors import BaleError

if TYPE_CHECKING:
    from packaging.pylock import Pylock

    from bale.lock.trust import Locations
    from bale.ops.settings import IndexSettings
    from bale.project.model import Index
    from bale.project.workspace import Workspace

__all__ = ["check_lock_trust", "check_locked_files", "declared_sources", "index_locations", "root_names"]

_EDITED = "run `bale lock` again if the lock file was edited"


def index_locations(index: IndexSettings, indexes: Iterable[Index]) -> Locations:
    """Where index files may come from: beside each configured index (explicit ones and ``{ index = ...
    }`` pins too), in each find-links folder or page, and PyPI's file host for PyPI."""
    from bale.lock.trust import Locations
    from bale.ops.project_sources import _FILE_HOSTS

    urls = [index.index_url, *index.extra_index_urls, *(url for _, url in index.pins)]
    urls.extend(item.url for item in indexes)
    index_urls = [variant for url in dict.fromkeys(urls) for variant in _variants(url)]
    folders = [variant for link in index.find_links for variant in _variants(link)]
    hosts = {host for url in urls for host in _FILE_HOSTS.get((urlsplit(url).hostname or "").lower(), ())}
    return Locations.of(index_urls, folders, hosts)


def _variants(url: str) -> list[str]:
    """``url`` as an absolute URL (a plain path is a folder), and for a ``file:`` URL also with its
    symbolic links resolved: a lock records the path the index gave, which may be either."""
    if "://" not in url:
        return [Path(os.path.abspath(url)).as_uri() + "/"]
    if url[:5].lower() != "file:":
        return [url]
    from urllib.parse import unquote

    path = unquote(urlsplit(url).path)
    real = Path(os.path.realpath(path)).as_uri()
    suffix = "/" if url.endswith("/") else ""
    return list(dict.fromkeys([url, real + suffix]))


def declared_sources(workspace: Workspace) -> list[str]:
    """The remote URLs and repositories (without ``git+`` and revision) that the workspace's
    requirements and ``[tool.bale.sources]`` name: the direct references its lock may hold."""
    from bale.ops.project_workspace import declared_requirements, lock_members
    from bale.project.model import GitSource, UrlSource

    found: list[str] = []
    for member in lock_members(workspace):
        for source in workspace.sources(member).values():
            if isinstance(source, UrlSource):
                found.append(source.url)
            elif isinstance(source, GitSource):
                found.append(_repository(source.git))
        found.extend(_repository(spec.url) for spec in declared_requirements(member) if spec.url)
    return found


def _repository(url: str) -> str:
    """A requirement URL as a lock records it: a git URL without ``git+``, revision and fragment."""
    from bale.vcs import is_vcs_url, parse_git_url

    if url.startswith("git+"):
        try:
            return parse_git_url(url).url
        except ValueError:
            return url
    if is_vcs_url(url):
        rest = url.split("+", 1)[1]
        parts = urlsplit(rest)
        return parts._replace(path=parts.path.rpartition("@")[0] or parts.path, fragment="").geturl()
    return url


def root_names(workspace: Workspace) -> set[str]:
    """The names a lock of ``workspace`` holds by right: its members and every requirement of each
    (dependencies, every extra, every group)."""
    from bale.ops.project_workspace import lock_members, workspace_roots

    names: set[str] = {str(member.name) for member in lock_members(workspace) if member.name is not None}
    for specs in workspace_roots(workspace).values():
        names.update(str(spec.name) for spec in specs if spec.name is not None)
    return names


def check_lock_trust(
    lock: Pylock, source: Path, workspace: Workspace, index: IndexSettings, indexes: Iterable[Index]
) -> None:
    """Refuse a lock that takes an index file from outside the configured indexes, a direct archive or
    repository the project does not name, or that lists a package nothing in the project reaches (a
    lock edited by hand, or in a pull request)."""
    from bale.lock.trust import outside_locations, outside_sources, unreached_packages

    locations = index_locations(index, indexes)
    outside = outside_locations(lock, locations, lock_dir=source.parent.as_posix())
    outside.extend(outside_sources(lock, declared_sources(workspace), locations))
    if outside:
        raise BaleError(
            f"Refusing to install from {source}: {outside[0]}",
            context=[*outside[1:], f"configured indexes: {', '.join(locations.names) or 'none'}"],
            hint=f"configure that index in [[tool.bale.index]] (or pass --index-url), or {_EDITED}",
        )
    unreached = unreached_packages(lock, root_names(workspace))
    if unreached:
        more = f" (and {', '.join(unreached[1:])})" if len(unreached) > 1 else ""
        raise BaleError(
            f"Refusing to install from {source}: it lists {unreached[0]}{more}, which nothing in the "
            "project requires (the lock file was edited, or pyproject.toml changed since it was locked)",
            hint="run `bale lock` to write the lock file again from pyproject.toml",
        )


def check_locked_files(
    name: str,
    version: object,
    files: Iterable[tuple[str, str]],
    locations: Locations,
    index: str | None = None,
) -> None:
    """Refuse to lock a file (``(filename, url)``) from outside ``locations``: ``sync`` would refuse it.
    ``index`` is the index that listed them (None: find-links)."""
    from bale.lock.pylock import strip_credentials

    lister = f"the index {strip_credentials(index)}" if index else "find-links"
    for filename, url in files:
        if not locations.allows(url):
            raise BaleError(
                f"Cannot lock {name} {version}: {lister} lists {filename} at {strip_credentials(url)}, "
                "outside the configured indexes (`bale sync` installs index files only from there)",
                context=[f"configured indexes: {', '.join(locations.names) or 'none'}"],
                hint="add the index that serves these files to [[tool.bale.index]], or stop the index "
                "from redirecting to another one",
            )
