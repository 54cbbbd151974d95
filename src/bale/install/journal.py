"""Change an environment so that a crash at any point leaves each package old or new: stage, journal, swap.

A transaction first links every new package into a staging folder that mirrors the environment's
prefix (``<site-packages>/.bale-journal/<id>/stage-0/``); nothing the environment uses changes. Then it
writes ``journal.json`` there (atomically: it exists whole or not at all), naming every file of the old
versions to delete and the staged trees to move in. From that point on the change is rolled forward:
delete the old files (idempotent), drop a ``removed`` marker, move each staged tree into the prefix
(renames; a folder absent from the environment moves in one rename), delete the transaction folder.

The next bale command that takes the environment's lock calls ``recover`` first: a transaction without
a journal is deleted (rolled back: the environment was not touched), one with a journal is completed.
The journal folder sits in site-packages so that creating it changes site-packages' mtime, which the
no-op sync stamp (``ops.sync_stamp``) watches: an interrupted change is never skipped over.

Renames and unlinks survive SIGKILL as they are: nothing is fsynced (a power cut may lose the last
changes, which the journal then redoes or, for unwritten staged files, reports).

Fault injection for the crash tests: ``BALE_TEST_CRASH_AT=<point>`` (read once, at import) makes bale
SIGKILL itself at that point: ``staged`` (every package staged, no journal yet), ``journaled`` (journal
written, nothing removed), ``removing`` (half of the first old package's files deleted), ``removed``
(old files gone, nothing moved in), ``moving`` (one entry of the first staged tree moved in).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from bale.errors import BaleError
from bale.install.installed import InstalledDist
from bale.install.protected import JOURNAL_NAME
from bale.install.uninstall import Removal, remove
from bale.install.wheel import Linker, WheelInstall, write_install
from bale.model.scheme import InstallScheme

_FORMAT = 1
_JOURNAL = "journal.json"
_REMOVED = "removed"
# Read once: the check at each point is one string comparison.
_CRASH_AT = os.environ.get("BALE_TEST_CRASH_AT") or None
_STAGE = re.compile(r"stage-[0-9]+")


def _crash(point: str) -> None:
    if point == _CRASH_AT:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def journal_home(scheme: InstallScheme) -> str:
    """The folder holding an environment's transactions (absent when none is pending)."""
    return os.path.join(os.fspath(scheme.purelib), JOURNAL_NAME)


def pending(scheme: InstallScheme) -> bool:
    """Whether a transaction was left behind: one ``lstat`` (~2 µs), cheap enough for every command."""
    return os.path.lexists(journal_home(scheme))


class Transaction:
    """One change to an environment: ``stage`` the new packages, then ``commit`` with the removals.

    Call with the environment's lock held. ``abort`` (or an exception in ``stage``) deletes what was
    staged; after ``commit`` has written the journal, the change completes even if bale is killed.
    """

    def __init__(self, scheme: InstallScheme) -> None:
        self.scheme = scheme
        self.prefix = os.path.abspath(os.fspath(scheme.data))
        self.home = journal_home(scheme)
        self.directory: str | None = None
        self.stages: list[str] = []
        self.installs: list[str] = []

    def _open(self) -> str:
        if self.directory is None:
            os.makedirs(self.home, exist_ok=True)
            directory = os.path.join(self.home, f"{os.getpid()}-{os.urandom(4).hex()}")
            os.mkdir(directory)
            self.directory = directory
        return self.directory

    def stage(self, plans: Sequence[WheelInstall], linker: Linker) -> list[InstalledDist]:
        """Write every package of ``plans`` into one staging folder, in parallel.

        One folder for all: each folder a package needs is made once, as in the environment, and not
        once per package (with ``lib/pythonX.Y/site-packages`` above it) to be removed again at the
        commit: 750 fewer mkdir and rmdir calls for jupyter's 97 wheels, ~0.2 ms each on a disk. Where
        two packages ship the same file the later one in ``plans`` writes it (as pip: the last
        installed wins), decided here, so that the threads never race for it.
        """
        others = _overwritten(plans)  # may refuse the set: before a folder is made
        directory = self._open()
        name = "stage-0"
        base = os.path.join(directory, name)
        os.mkdir(base)
        roots = {plan.root for plan in plans}
        roots.update(os.path.dirname(entry[0]) for plan in plans for entry in plan.launchers)
        made = _make_roots(base, roots)

        def write(index: int) -> InstalledDist:
            return write_install(plans[index], linker, base, others=others.get(index, _NONE), made=made)

        # Linking is kernel work (link, mkdir) that releases the GIL, so one thread per core: jupyter's
        # 97 wheels (13,800 paths) on 2 cores link in 152 ms on 2 threads, 193 ms on 1 and 219 ms on 8,
        # where the extra threads only contend for the filesystem journal.
        workers = min(len(plans), os.cpu_count() or 2)
        try:
            if workers > 1:
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bale-link") as pool:
                    added = list(pool.map(write, range(len(plans))))
            else:
                added = [write(index) for index in range(len(plans))]
        except BaseException:
            self.abort()
            raise
        self.stages = [name]
        self.installs = [plan.label for plan in plans]
        _crash("staged")
        return added

    def commit(self, removals: Sequence[Removal]) -> None:
        """Journal the change, then delete ``removals`` and move the staged packages in."""
        if not removals and not self.stages:
            self.abort()
            return
        from bale.fs.atomic import write_atomic

        directory = self._open()
        data = {
            "format": _FORMAT,
            "install": self.installs,
            "remove": [removal.to_json() for removal in removals],
            "stages": self.stages,
        }
        try:
            write_atomic(os.path.join(directory, _JOURNAL), json.dumps(data))
        except BaseException:
            self.abort()
            raise
        _crash("journaled")
        _roll_forward(directory, list(removals), self.stages, self.prefix)
        _drop_home(self.home)

    def abort(self) -> None:
        """Delete what was staged (the environment itself was not touched)."""
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        _drop_home(self.home)


_NONE: frozenset[str] = frozenset()


def _overwritten(plans: Sequence[WheelInstall]) -> dict[int, frozenset[str]]:
    """Per package (by index), the destinations a later package of ``plans`` writes instead.

    Refuses, before anything is written, two packages of which one ships a file where the other has a
    folder: no install order makes both work.
    """
    owner: dict[str, int] = {}
    lost: dict[int, set[str]] = {}
    for index, plan in enumerate(plans):
        for destination in [entry[1] for entry in plan.files] + [entry[0] for entry in plan.launchers]:
            previous = owner.get(destination)
            owner[destination] = index
            if previous is not None and previous != index:
                lost.setdefault(previous, set()).add(destination)
    if len(plans) > 1:
        _refuse_file_folder_clash(plans, owner)
    return {index: frozenset(destinations) for index, destinations in lost.items()}


def _refuse_file_folder_clash(plans: Sequence[WheelInstall], owner: dict[str, int]) -> None:
    # Set operations, one level of folders at a time: ~2 ms for jupyter's 11,700 paths.
    level = {destination.rpartition("/")[0] for destination in owner}
    folders = set(level)
    while level:
        level = {folder.rpartition("/")[0] for folder in level} - folders
        folders |= level
    clashes = folders.intersection(owner)
    if not clashes:
        return
    folder = min(clashes)
    filer = plans[owner[folder]]
    inside = min(destination for destination in owner if destination.startswith(folder + "/"))
    other = plans[owner[inside]]
    raise BaleError(
        f"cannot install {filer.label} and {other.label} together: {filer.label} ships the file "
        f"{folder} and {other.label} a folder of that name ({inside})",
        hint="install one of the two, or versions of them that do not collide",
    )


def _make_roots(base: str, roots: set[str]) -> frozenset[str]:
    """Make the site-packages and scripts folders (``roots``, relative to the prefix) under ``base``;
    the folders made, with the ones above them, for ``write_install`` to skip."""
    made = {base}
    for root in roots:
        if not root:
            continue
        path = os.path.join(base, root)
        os.makedirs(path, exist_ok=True)
        while path != base and path not in made:
            made.add(path)
            path = os.path.dirname(path)
    return frozenset(made)


def _drop_home(home: str) -> None:
    with contextlib.suppress(OSError):  # another transaction's folder is still there
        os.rmdir(home)


def _roll_forward(directory: str, removals: list[Removal], stages: list[str], prefix: str) -> None:
    marker = os.path.join(directory, _REMOVED)
    if not os.path.exists(marker):
        if _CRASH_AT == "removing" and removals:
            first = removals[0]
            remove(replace(first, files=first.files[: len(first.files) // 2]))
            _crash("removing")
        for removal in removals:
            remove(removal)
        with open(marker, "wb"):
            pass
        _crash("removed")
    for name in stages:
        stage = os.path.join(directory, name)
        if os.path.isdir(stage):
            _move_in(stage, prefix)
        shutil.rmtree(stage, ignore_errors=True)  # what _move_in left: nothing, unless it stopped
    shutil.rmtree(directory, ignore_errors=True)


def _move_in(source: str, destination: str) -> None:
    """Move the tree ``source`` into ``destination``, merging with the folders already there.

    A folder the environment does not have yet moves in one rename (a fresh install of 4,000 files
    in a dozen folders: a dozen renames). Idempotent: what moved is no longer in ``source``.
    """
    with os.scandir(source) as entries:
        listed = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
    for name, is_dir in listed:
        moving = source + "/" + name
        target = destination + "/" + name
        if is_dir:
            if not os.path.lexists(target):
                try:
                    os.rename(moving, target)
                except OSError:
                    if not os.path.isdir(target):
                        raise
                else:
                    _crash("moving")
                    continue
            if os.path.isdir(target):  # also through a link inside the environment (lib64 -> lib)
                _move_in(moving, target)
                continue
        try:
            os.replace(moving, target)
        except OSError as err:
            raise BaleError(
                f"cannot finish installing into {destination}: {target} is in the way",
                context=[err.strerror or str(err)],
                hint=f"remove {target} and run the command again; bale completes the install then",
            ) from err
        _crash("moving")
    # Everything moved out: one rmdir here saves a walk of the staging tree after the commit.
    with contextlib.suppress(OSError):
        os.rmdir(source)


def _read_journal(directory: str) -> dict[str, Any] | None:
    path = os.path.join(directory, _JOURNAL)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise BaleError(
            f"cannot read bale's install journal {path}",
            context=[str(err)],
            hint=f"delete {directory} and reinstall the packages it names",
        ) from err
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise BaleError(
            f"bale's install journal {path} has an unknown format",
            hint="finish the change with the bale version that started it, "
            "or delete the folder and reinstall",
        )
    return data


def _confined(removal: Removal, root: str) -> Removal:
    """``removal`` as read from a journal, reduced to the files that really lie inside ``root``: each
    folder resolved again (no "..", no link leading out), as ``plan_removal`` does."""
    inside = root.rstrip(os.sep) + os.sep
    parents: dict[str, str] = {}
    files: list[str] = []
    for path in removal.files:
        parent, _, name = path.rpartition(os.sep)
        real = parents.get(parent)
        if real is None:
            real = parents[parent] = os.path.realpath(parent or os.sep)
        if name not in ("", ".", "..") and real.startswith(inside):
            files.append(real + os.sep + name)
    info = os.path.realpath(removal.dist_info)
    return replace(
        removal,
        root=root,
        files=tuple(files),
        dist_info=info if info.startswith(inside) else root,
        stops=tuple(os.path.realpath(stop) for stop in removal.stops),
    )


def recover(scheme: InstallScheme) -> list[str]:
    """Complete or undo the transactions a killed bale left in the environment of ``scheme``.

    Call with the environment's lock held, before reading site-packages. Returns one sentence per
    transaction handled (for a warning); costs one failed ``listdir`` when there is none.
    """
    home = journal_home(scheme)
    try:
        names = sorted(os.listdir(home))
    except (FileNotFoundError, NotADirectoryError):
        return []
    prefix = os.path.abspath(os.fspath(scheme.data))
    notes: list[str] = []
    for name in names:
        directory = os.path.join(home, name)
        if not os.path.isdir(directory):
            continue
        data = _read_journal(directory)
        if data is None:
            shutil.rmtree(directory, ignore_errors=True)
            notes.append("undid an install that was interrupted before it changed the environment")
            continue
        try:
            removals = [Removal.from_json(item) for item in data["remove"]]
            # Only bale's own stage folders, never a name that leads out of the transaction.
            stages = [str(stage) for stage in data["stages"] if _STAGE.fullmatch(str(stage))]
            installs = [str(label) for label in data["install"]]
        except (KeyError, TypeError, ValueError) as err:
            raise BaleError(
                f"bale's install journal in {directory} is damaged",
                context=[f"{type(err).__name__}: {err}"],
                hint=f"delete {directory} and reinstall the packages it names",
            ) from err
        # Paths read from disk: only what lies inside this environment is ever deleted.
        root = os.path.realpath(prefix)
        removals = [_confined(removal, root) for removal in removals]
        _roll_forward(directory, removals, stages, prefix)
        done = [f"installed {label}" for label in installs]
        done += [f"removed {removal.name} {removal.version}" for removal in removals]
        notes.append(f"completed a change to the environment that was interrupted: {', '.join(done)}")
    _drop_home(home)
    return notes


def recover_environment(root: Path, scheme: InstallScheme, *, timeout: float) -> list[str]:
    """``recover`` for commands that do not hold the environment's lock (``pip list``): takes it
    only when a transaction is pending, so the usual cost is one ``lstat``."""
    if not pending(scheme):
        return []
    from bale.fs.lock import FileLock

    with FileLock(root / ".lock", timeout=timeout, label=f"the environment {root}"):
        return recover(scheme)
