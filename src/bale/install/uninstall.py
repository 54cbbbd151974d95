"""Remove an installed distribution's files, as its RECORD (or legacy installed-files.txt) lists them."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from bale.errors import BaleError
from bale.install.installed import InstalledDist
from bale.install.protected import protected_reason
from bale.install.record import parse_record
from bale.model.record import record
from bale.model.scheme import InstallScheme


def _listed_files(dist: InstalledDist) -> tuple[str, list[str]]:
    """(base folder, paths relative to it) of every file ``dist`` says it installed."""
    info = os.fspath(dist.dist_info)
    if not dist.is_egg_info:
        try:
            with open(os.path.join(info, "RECORD"), encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            pass
        else:
            return os.path.dirname(info), [row[0] for row in parse_record(text)]
    elif os.path.isdir(info):
        try:
            with open(os.path.join(info, "installed-files.txt"), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            pass
        else:
            return info, [line.strip() for line in lines if line.strip()]
    installer = dist.installer
    listing = "installed-files.txt" if dist.is_egg_info else "RECORD"
    raise BaleError(
        f"cannot uninstall {dist.name} {dist.version}: {dist.dist_info} has no {listing} file",
        context=[
            f"it was installed by {installer}"
            if installer
            else "nothing says which tool installed it (a legacy or hand-made install)",
            "without that list bale cannot tell which files belong to it",
        ],
        hint=f"uninstall it with the tool that installed it, or delete {dist.dist_info} and its files",
    )


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _stop_dirs(dist: InstalledDist, root: str, scheme: InstallScheme | None) -> set[str]:
    """Folders that pruning empty parents must keep, even when they end up empty."""
    stops = {root, os.path.realpath(os.path.dirname(dist.dist_info))}
    if scheme is not None:
        for path in (scheme.purelib, scheme.platlib, scheme.scripts, scheme.data, scheme.headers):
            stops.add(os.path.realpath(path))
    return stops


def _pyc_files(pycache: str, stems: set[str]) -> list[str]:
    """Compiled files in ``pycache`` of the removed modules ``stems``, for any interpreter/optimization."""
    try:
        names = os.listdir(pycache)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for file_name in names:
        if not file_name.endswith(".pyc"):
            continue
        # "<stem>.<tag>.pyc" or "<stem>.<tag>.opt-N.pyc"
        parts = file_name[:-4].split(".")
        if len(parts) == 3 and parts[2].startswith("opt-"):
            parts.pop()
        if len(parts) == 2 and parts[0] in stems:
            found.append(os.path.join(pycache, file_name))
    return found


@record(frozen=True, slots=True)
class Removal:
    """What uninstalling one distribution deletes, decided before anything is deleted.

    ``files`` are absolute paths (their folders resolved, the file itself not: a listed symlink goes,
    never what it points to), each inside ``root`` and none of the environment's protected files;
    ``skipped`` names the listed entries that were not (outside the environment, through a symlink
    leaving it, or protected), which are never deleted. A plain value: the install journal stores it.
    """

    name: str
    version: str
    root: str
    dist_info: str
    files: tuple[str, ...]
    stops: tuple[str, ...]
    skipped: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "root": self.root,
            "dist_info": self.dist_info,
            "files": list(self.files),
            "stops": list(self.stops),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Removal:
        """Raises KeyError/TypeError/ValueError when ``data`` is malformed."""
        files = tuple(str(path) for path in data["files"])
        stops = tuple(str(path) for path in data["stops"])
        return cls(
            str(data["name"]), str(data["version"]), str(data["root"]), str(data["dist_info"]), files, stops
        )


def _scripts_relative(scheme: InstallScheme | None, root_real: str) -> str:
    if scheme is None:
        return "bin"
    scripts = os.path.realpath(scheme.scripts)
    return os.path.relpath(scripts, root_real).replace(os.sep, "/") if _inside(scripts, root_real) else "bin"


def plan_removal(dist: InstalledDist, root: InstallScheme | Path) -> Removal:
    """Decide what uninstalling ``dist`` from the environment rooted at ``root`` deletes (nothing yet).

    ``root`` is the environment's prefix, or its scheme (whose ``data`` is the prefix). Raises
    BaleError when ``dist`` has no file list, or when its dist-info folder itself lies outside.
    """
    scheme = root if isinstance(root, InstallScheme) else None
    root_real = os.path.realpath(root.data if isinstance(root, InstallScheme) else root)
    base, listed = _listed_files(dist)
    info_real = os.path.realpath(dist.dist_info)
    record_source = dist.dist_info / ("installed-files.txt" if dist.is_egg_info else "RECORD")
    if not _inside(info_real, root_real):
        raise BaleError(
            f"refusing to uninstall {dist.name} {dist.version}: it lies outside the environment",
            context=[f"{dist.dist_info} is {info_real}", f"the environment is {root_real}"],
            hint="uninstall it with the tool and environment it belongs to",
        )
    scripts_rel = _scripts_relative(scheme, root_real)

    # Resolve the parent folder, not the file: a listed symlink is removed, never what it points to.
    # Parents repeat a lot (4,000 files sit in ~300 folders), hence the cache.
    real_parents: dict[str, str] = {}
    files: list[str] = []
    skipped: list[str] = []
    base_prefix = base + "/"
    root_prefix = root_real.rstrip(os.sep) + os.sep
    sep = os.sep
    for entry in listed:
        joined = entry if os.path.isabs(entry) else base_prefix + entry
        parent, _, file_name = joined.rpartition("/")
        real_parent = real_parents.get(parent)
        if real_parent is None:
            real_parent = real_parents[parent] = os.path.realpath(parent or "/")
        if file_name in ("", ".", ".."):
            continue  # a folder entry (installed-files.txt lists "./"); emptied folders go later
        path = real_parent + sep + file_name
        if not path.startswith(root_prefix):
            skipped.append(f"{entry} (in {record_source}) is {path}, outside the environment {root_real}")
            continue
        reason = protected_reason(path[len(root_prefix) :].replace(sep, "/"), scripts_rel)
        if reason is not None:
            skipped.append(f"{entry} (in {record_source}) is {path}: {reason}")
            continue
        files.append(path)
    return Removal(
        name=str(dist.name),
        version=str(dist.version),
        root=root_real,
        dist_info=info_real,
        files=tuple(files),
        stops=tuple(sorted(_stop_dirs(dist, root_real, scheme))),
        skipped=tuple(skipped),
    )


def remove(removal: Removal) -> list[Path]:
    """Delete what ``removal`` lists: its files, the ``__pycache__`` files of its ``.py`` modules, the
    dist-info folder, then folders left empty (up to the root, keeping the ``stops``).

    Idempotent, so an interrupted removal can be run again: files already gone are skipped. Every path
    is checked to lie inside the root once more (the plan may come from the journal on disk). Returns
    the files removed.
    """
    root_prefix = removal.root.rstrip(os.sep) + os.sep
    removed: list[Path] = []
    parents: set[str] = set()
    modules: dict[str, set[str]] = {}
    unlink = os.unlink
    sep = os.sep
    for path in removal.files:
        if not path.startswith(root_prefix):
            continue
        directory, _, file_name = path.rpartition(sep)
        try:
            unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            pass
        except IsADirectoryError:
            continue
        else:
            removed.append(Path(path))
        parents.add(directory)
        if file_name.endswith(".py"):
            modules.setdefault(directory + sep + "__pycache__", set()).add(file_name[:-3])
    for pycache, stems in modules.items():
        for pyc in _pyc_files(pycache, stems):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(pyc)
                removed.append(Path(pyc))
        parents.add(pycache)

    info = removal.dist_info
    if _inside(info, removal.root) and info != removal.root:
        if os.path.isdir(info) and not os.path.islink(info):
            shutil.rmtree(info, ignore_errors=True)
        elif os.path.lexists(info):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(info)
        parents.add(os.path.dirname(info))

    # Every folder that may have become empty, tried once each, deepest first so that a folder is
    # tried after all of its emptied sub-folders are gone.
    stops = set(removal.stops) | {removal.root}
    candidates: set[str] = set()
    for directory in parents:
        while directory not in candidates and directory not in stops and _inside(directory, removal.root):
            candidates.add(directory)
            directory = os.path.dirname(directory)
    for directory in sorted(candidates, key=lambda path: path.count(os.sep), reverse=True):
        with contextlib.suppress(OSError):  # not empty: it holds files of other dists
            os.rmdir(directory)
    return removed


def uninstall(
    dist: InstalledDist, root: InstallScheme | Path, *, skipped: list[str] | None = None
) -> list[Path]:
    """Remove ``dist`` from the environment rooted at ``root`` (its prefix, or its scheme), at once.

    ``plan_removal`` then ``remove``, without a journal: for throw-away environments (builds);
    uninstalls from a user's environment go through ``install.journal.Transaction``. Listed entries
    outside the environment or protected are never deleted: they are appended to ``skipped``.
    """
    removal = plan_removal(dist, root)
    if skipped is not None:
        skipped.extend(removal.skipped)
    return remove(removal)
