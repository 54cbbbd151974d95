"""Remove an installed distribution's files, as its RECORD (or legacy installed-files.txt) lists them."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from bale.errors import BaleError
from bale.install.installed import InstalledDist
from bale.install.record import parse_record
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


def uninstall(dist: InstalledDist, root: InstallScheme | Path) -> list[Path]:
    """Remove ``dist`` from the environment rooted at ``root`` (its prefix, or its scheme's ``data``).

    Every listed path is resolved first and must lie inside the root, else nothing is deleted and a
    BaleError names the offending entry. Then the listed files go, with the ``__pycache__`` files of
    the listed ``.py`` modules, then the dist-info folder, then folders left empty (up to the root,
    keeping site-packages and, when a scheme is given, its folders). Returns the files removed;
    files already missing are skipped.
    """
    scheme = root if isinstance(root, InstallScheme) else None
    root_real = os.path.realpath(root.data if isinstance(root, InstallScheme) else root)
    base, listed = _listed_files(dist)
    info_real = os.path.realpath(dist.dist_info)
    record_source = dist.dist_info / ("installed-files.txt" if dist.is_egg_info else "RECORD")

    def refuse(entry: str, resolved: str) -> BaleError:
        return BaleError(
            f"refusing to uninstall {dist.name} {dist.version}: it lists a file outside the environment",
            context=[f"{entry} (in {record_source}) is {resolved}", f"the environment is {root_real}"],
            hint="the file list looks tampered with or damaged; remove the files by hand",
        )

    if not _inside(info_real, root_real):
        raise refuse(os.fspath(dist.dist_info), info_real)

    # Resolve the parent folder, not the file: a listed symlink is removed, never what it points to.
    # Parents repeat a lot (4,000 files sit in ~300 folders), hence the cache.
    real_parents: dict[str, str] = {}
    targets: list[tuple[str, str]] = []
    base_prefix = base + "/"
    for entry in listed:
        joined = entry if os.path.isabs(entry) else base_prefix + entry
        parent, _, file_name = joined.rpartition("/")
        real_parent = real_parents.get(parent)
        if real_parent is None:
            real_parent = real_parents[parent] = os.path.realpath(parent)
        if file_name in ("", ".", ".."):
            continue  # a folder entry (installed-files.txt lists "./"); emptied folders go later
        if not _inside(real_parent, root_real):
            raise refuse(entry, os.path.join(real_parent, file_name))
        targets.append((real_parent, file_name))

    removed: list[Path] = []
    parents: set[str] = set()
    modules: dict[str, set[str]] = {}
    unlink = os.unlink
    sep = os.sep
    for directory, file_name in targets:
        path = directory + sep + file_name
        try:
            unlink(path)
        except FileNotFoundError:
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
            os.unlink(pyc)
            removed.append(Path(pyc))
        parents.add(pycache)

    if os.path.isdir(info_real):
        shutil.rmtree(info_real)
    elif os.path.lexists(info_real):
        os.unlink(info_real)
    parents.add(os.path.dirname(info_real))

    # Every folder that may have become empty, tried once each, deepest first so that a folder is
    # tried after all of its emptied sub-folders are gone.
    stops = _stop_dirs(dist, root_real, scheme)
    candidates: set[str] = set()
    for directory in parents:
        while directory not in candidates and directory not in stops and _inside(directory, root_real):
            candidates.add(directory)
            directory = os.path.dirname(directory)
    for directory in sorted(candidates, key=lambda path: path.count(os.sep), reverse=True):
        with contextlib.suppress(OSError):  # not empty: it holds files of other dists
            os.rmdir(directory)
    return removed
