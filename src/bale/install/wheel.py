"""Link an unpacked wheel tree from the cache into an environment's install scheme."""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.install.installed import InstalledDist, seeded
from bale.install.protected import JOURNAL_NAME, protected_reason
from bale.install.record import RecordRow, format_record, parse_record, record_hash, row_for
from bale.install.scripts import SCRIPT_GROUPS, launcher, parse_entry_points, rewrite_python_shebang
from bale.model.record import record
from bale.model.scheme import InstallScheme

# Files of the dist-info folder that bale writes itself; copies shipped inside a wheel are ignored.
_GENERATED = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_DATA_KEYS = frozenset({"purelib", "platlib", "headers", "scripts", "data"})


class Linker(Protocol):
    """Puts one file of the cache at a path in an environment, never modifying the source.

    ``bale.fs.link.Linker`` is the implementation (hardlink, copy fallback). Called once per
    installed file (thousands per install, from several threads), so it must be cheap. May replace
    an existing destination or raise FileExistsError; raises OSError when it cannot place the file.
    """

    def link(self, source: str, destination: str, /) -> None: ...


def _write_new(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to a new inode at ``path``: an existing file may be a hardlink into the cache,
    so it is unlinked, never truncated."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, flags, mode)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        os.unlink(path)  # the caller records only complete files
        raise


def _read_text(path: str, what: str, dist: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as err:
        raise BaleError(
            f"cannot read the {what} of {dist}: {path}",
            context=[str(err)],
            hint="the cached wheel looks damaged; `bale cache clean` and retry",
        ) from err


def _find_dist_info(tree: str, name: str, version: str) -> str:
    """The one ``*.dist-info`` folder at the top of ``tree`` (only the top level is listed)."""
    try:
        found = [
            entry.name for entry in os.scandir(tree) if entry.name.endswith(".dist-info") and entry.is_dir()
        ]
    except OSError as err:
        raise BaleError(
            f"cannot read the unpacked wheel of {name} {version}: {tree}",
            context=[err.strerror or str(err)],
            hint="the cache entry is missing or damaged; `bale cache clean` and retry",
        ) from err
    if len(found) == 1:
        return found[0]
    want = canonicalize_name(name)
    matching = [n for n in found if canonicalize_name(n.partition("-")[0]) == want]
    if len(matching) == 1:
        return matching[0]
    raise BaleError(
        f"the unpacked wheel of {name} {version} has {len(found) or 'no'} .dist-info folders: {tree}",
        context=sorted(found),
        hint="the cached wheel looks damaged; `bale cache clean` and retry",
    )


def _root_is_purelib(wheel_text: str) -> bool:
    for line in wheel_text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "root-is-purelib":
            return value.strip().lower() == "true"
    return True


class _Writes:
    """What one install_tree call created, so a failure can take exactly that back."""

    def __init__(self, fresh: bool = False) -> None:
        self.files: list[str] = []
        self.dirs: list[str] = []  # parents before children
        self.known: set[str] = set()
        # Writing into a new staging folder: a folder not known to exist does not, so its parent is
        # made first instead of after a failed mkdir (246 of them for jupyter).
        self.fresh = fresh

    def ensure_dir(self, path: str) -> None:
        if path in self.known:
            return
        if self.fresh and os.path.dirname(path) not in self.known:
            self.ensure_dir(os.path.dirname(path))
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except FileNotFoundError:
            self.ensure_dir(os.path.dirname(path))
            try:
                os.mkdir(path)
            except FileExistsError:
                pass  # a concurrent install (same namespace package) made it: not ours to remove
            else:
                self.dirs.append(path)
        else:
            self.dirs.append(path)
        self.known.add(path)

    def rollback(self) -> None:
        for path in reversed(self.files):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        for path in reversed(self.dirs):
            # Not empty means something else wrote there meanwhile: leave it.
            with contextlib.suppress(OSError):
                os.rmdir(path)


@record(frozen=True, slots=True)
class WheelInstall:
    """A checked install of one unpacked wheel: every file and where it goes, nothing written yet.

    ``plan_tree`` makes it (every check that can refuse the wheel runs there, so a refusal comes
    before the environment is touched); ``write_install`` writes it under the environment's prefix or
    under a staging folder that mirrors it. Destinations are "/"-separated, relative to ``prefix``.
    """

    name: NormalizedName
    version: Version
    label: str
    tree: str
    prefix: str
    root: str  # the folder holding the dist-info, relative to ``prefix``
    dist_info: str  # its name
    # (path in the tree, destination, RECORD path, the wheel's RECORD row, is a .data/scripts file)
    files: tuple[tuple[str, str, str, RecordRow, bool], ...]
    launchers: tuple[tuple[str, str, bytes], ...]  # (destination, RECORD path, content)
    generated: tuple[tuple[str, bytes], ...]  # (file name in the dist-info, content)
    python: str
    installer: str
    requested: bool

    @property
    def dist_info_path(self) -> Path:
        """Where the dist-info folder is once installed."""
        return Path(self.prefix, self.root, self.dist_info)


def _relative_to(path: str, prefix: str, what: str) -> str:
    relative = os.path.relpath(path, prefix).replace(os.sep, "/")
    if relative == ".":
        return ""
    if relative == ".." or relative.startswith("../") or os.path.isabs(relative):
        raise BaleError(
            f"cannot install into this environment: its {what} folder {path} is outside its prefix {prefix}"
        )
    return relative


@functools.lru_cache(maxsize=64)
def _prefixes(
    root: str, prefix: str, targets: tuple[tuple[str, str], ...]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """``root`` relative to ``prefix``, and per scheme key its folder relative to ``root`` (what RECORD
    rows start with) and to ``prefix`` (where its files go), each with a trailing "/" unless empty.

    RECORD paths are relative to the folder holding the dist-info, destinations to the prefix: these
    prefixes keep the per-file loop to string concatenation. One install's wheels share a scheme, so
    the 11 relpath calls are made once instead of once per wheel (97 for jupyter). The dicts are
    shared between calls: copy before changing them.
    """
    root_rel = _relative_to(root, prefix, "site-packages")
    record_prefix: dict[str, str] = {}
    target_prefix: dict[str, str] = {}
    for key, target in targets:
        rel = os.path.relpath(target, root).replace(os.sep, "/")
        record_prefix[key] = "" if rel == "." else rel + "/"
        rel = _relative_to(target, prefix, key)
        target_prefix[key] = rel + "/" if rel else ""
    return root_rel, record_prefix, target_prefix


# A "/"-separated path that is absolute (or has a drive), has an empty, "." or ".." component, a
# backslash or a NUL. The search costs ~2.6 µs a row, so ``_may_climb`` (~0.5 µs: a few substring
# tests in C) picks the rows that need it: every path the pattern matches, and about one in 2,400
# of jupyter's 12,105 rows besides (``pkg/.gitignore``).
_CLIMBS = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|^[A-Za-z]:|[\\\0]")


def _may_climb(path: str) -> bool:
    # A component that is empty, "." or ".." starts the path with "." or "/", ends it with "/", or
    # follows a "/" as "/." or "/"; a drive puts ":" second; the empty path is caught by the first test.
    return (
        path[:1] in "./"
        or "/." in path
        or "//" in path
        or path.endswith("/")
        or path[1:2] == ":"
        or "\\" in path
        or "\0" in path
    )


def plan_tree(
    tree: Path,
    scheme: InstallScheme,
    *,
    name: str,
    version: str,
    requested: bool,
    direct_url: str | None,
    installer: str = "bale",
    wheel: str | None = None,
) -> WheelInstall:
    """Check the unpacked wheel at ``tree`` against ``scheme`` and say where each file goes.

    Reads the wheel's WHEEL, RECORD and entry_points.txt; writes nothing. Refuses (BaleError naming
    the wheel and the member) unknown ``.data`` folders, paths that climb out of their folder, and any
    file that would replace the environment's interpreter, ``pyvenv.cfg`` or activation scripts,
    whether it comes as a module, ``.data/scripts``, ``.data/data`` or an entry-point script name.
    ``wheel`` names the wheel in errors (its file name); the tree's path otherwise.
    """
    label = f"{name} {version}"
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise BaleError(f"cannot install a distribution named {name!r}", context=[f"from {tree}"])
    try:
        parsed_version = Version(version)
    except InvalidVersion as err:
        raise BaleError(f"{name} has an invalid version: {version!r}") from err
    tree_s = os.fspath(tree)
    source = wheel or tree_s
    dist_info = _find_dist_info(tree_s, name, version)
    info_dir = os.path.join(tree_s, dist_info)
    wheel_text = _read_text(os.path.join(info_dir, "WHEEL"), "WHEEL file", label)
    rows = parse_record(_read_text(os.path.join(info_dir, "RECORD"), "RECORD", label))
    entry_points_file = os.path.join(info_dir, "entry_points.txt")
    entry_points = (
        parse_entry_points(_read_text(entry_points_file, "entry_points.txt", label))
        if os.path.isfile(entry_points_file)
        else {}
    )

    prefix = os.path.abspath(os.fspath(scheme.data))
    purelib, platlib = os.fspath(scheme.purelib), os.fspath(scheme.platlib)
    root = purelib if _root_is_purelib(wheel_text) else platlib
    targets = (
        ("purelib", purelib),
        ("platlib", platlib),
        ("headers", os.fspath(scheme.headers)),
        ("scripts", os.fspath(scheme.scripts)),
        ("data", prefix),
    )
    root_rel, shared_record, shared_target = _prefixes(root, prefix, targets)
    # A wheel's headers go to a folder of its own name (one path component: checked above).
    record_prefix = {**shared_record, "headers": shared_record["headers"] + name + "/"}
    target_prefix = {**shared_target, "headers": shared_target["headers"] + name + "/"}
    scripts_rel = target_prefix["scripts"].rstrip("/")
    root_prefix = root_rel + "/" if root_rel else ""

    def refuse(member: str, why: str, destination: str | None = None) -> BaleError:
        context = [why]
        if destination is not None:
            context.insert(0, f"it would be written to {os.path.join(prefix, destination)}")
        return BaleError(
            f"refusing to install {label} from {source}: the wheel's file {member} is unsafe",
            context=context,
            hint="nothing was changed; the wheel is broken or hostile, report it to its maintainers",
        )

    data_prefix = dist_info[: -len(".dist-info")] + ".data/"
    skip = {f"{dist_info}/{generated}" for generated in _GENERATED}
    files: list[tuple[str, str, str, RecordRow, bool]] = []
    # Files of the wheel's root land in site-packages, where nothing is protected but bale's journal,
    # unless the scheme puts the scripts folder or the prefix itself there (no venv does): then
    # every root file is checked too. 4,104 rows: ~3 ms for this loop, ~20 ms of link() for them.
    check_root = not root_rel or scripts_rel.startswith(root_prefix)
    journal = JOURNAL_NAME + "/"
    climbs = _CLIMBS.search
    may_climb = _may_climb
    for row in rows:
        path = row[0]
        if path in skip:
            continue
        if may_climb(path) and climbs(path) is not None:
            raise refuse(path, "its path leaves the wheel (absolute, or a '..' component)")
        if path.startswith(data_prefix):
            key, _, rest = path[len(data_prefix) :].partition("/")
            if key not in _DATA_KEYS or not rest:
                raise BaleError(
                    f"refusing to install {label} from {source}: "
                    f"it installs into an unknown location: {path}",
                    context=["a wheel's .data folder may only hold " + ", ".join(sorted(_DATA_KEYS))],
                    hint="nothing was changed; the wheel is broken, report it to its maintainers",
                )
            destination = target_prefix[key] + rest
            files.append((path, destination, record_prefix[key] + rest, row, key == "scripts"))
        else:
            destination = root_prefix + path
            files.append((path, destination, path, row, False))
            if not check_root and not path.startswith(journal):
                continue
        reason = protected_reason(destination, scripts_rel)
        if reason is not None:
            raise refuse(path, reason, destination)

    launchers: list[tuple[str, str, bytes]] = []
    for group in SCRIPT_GROUPS:
        for script, value in entry_points.get(group, {}).items():
            content = launcher(os.fspath(scheme.python), value, name=script, dist=label)
            destination = target_prefix["scripts"] + script
            reason = protected_reason(destination, scripts_rel)
            if reason is not None:
                raise refuse(f"{dist_info}/entry_points.txt", f"its script {script!r}: {reason}", destination)
            launchers.append((destination, record_prefix["scripts"] + script, content))

    generated: list[tuple[str, bytes]] = [("INSTALLER", f"{installer}\n".encode())]
    if requested:
        generated.append(("REQUESTED", b""))
    if direct_url is not None:
        generated.append(("direct_url.json", direct_url.encode("utf-8")))
    return WheelInstall(
        name=canonicalize_name(name),
        version=parsed_version,
        label=label,
        tree=tree_s,
        prefix=prefix,
        root=root_rel,
        dist_info=dist_info,
        files=tuple(files),
        launchers=tuple(launchers),
        generated=tuple(generated),
        python=os.fspath(scheme.python),
        installer=installer,
        requested=requested,
    )


def write_install(
    plan: WheelInstall,
    linker: Linker,
    base: str | None = None,
    *,
    others: frozenset[str] = frozenset(),
    made: Iterable[str] = (),
) -> InstalledDist:
    """Write ``plan`` under ``base`` (the prefix by default; a staging folder mirroring it otherwise).

    Files are linked from the cache; scripts and the dist-info files bale owns (INSTALLER, REQUESTED,
    direct_url.json, RECORD) are written as new files. On any failure everything this call wrote is
    removed before re-raising. Returns the distribution as it is (or will be) at the prefix.

    ``others``: destinations (relative to the prefix) another package installed with this one writes
    instead; they stay in this RECORD, as when the other one overwrites them. ``made``: the folders
    that exist under ``base``, a new staging folder (any other folder there is made by this call or
    a concurrent one).
    """
    base = plan.prefix if base is None else base
    writes = _Writes(fresh=bool(made))
    writes.known.update(made)
    record: dict[str, RecordRow] = {}
    try:
        _link_files(plan, base, writes, record, linker, others)
        for destination, relative, content in plan.launchers:
            record[relative] = row_for(relative, content)
            if destination in others:
                continue
            path = base + "/" + destination
            writes.ensure_dir(os.path.dirname(path))
            _write_new(path, content, 0o755)
            writes.files.append(path)

        info_target = os.path.join(base, plan.root, plan.dist_info)
        writes.ensure_dir(info_target)
        for file_name, content in plan.generated:
            path = os.path.join(info_target, file_name)
            _write_new(path, content)
            writes.files.append(path)
            relative = f"{plan.dist_info}/{file_name}"
            record[relative] = row_for(relative, content)

        record_name = f"{plan.dist_info}/RECORD"
        record[record_name] = (record_name, "", "")
        path = os.path.join(info_target, "RECORD")
        _write_new(path, format_record(record.values()).encode("utf-8"))
        writes.files.append(path)
    except BaseException:
        writes.rollback()
        raise
    return seeded(
        plan.name,
        plan.version,
        plan.dist_info_path,
        installer=plan.installer,
        requested=plan.requested,
    )


def install_tree(
    tree: Path,
    scheme: InstallScheme,
    *,
    name: str,
    version: str,
    requested: bool,
    direct_url: str | None,
    linker: Linker,
    installer: str = "bale",
) -> InstalledDist:
    """Install the unpacked wheel at ``tree`` (read-only: it is the shared cache) straight into ``scheme``.

    ``plan_tree`` then ``write_install`` at the prefix, without a journal: for throw-away environments
    (builds). Installs into a user's environment go through ``install.journal.Transaction``.
    ``direct_url`` is PEP 610 JSON text.
    """
    plan = plan_tree(
        tree,
        scheme,
        name=name,
        version=version,
        requested=requested,
        direct_url=direct_url,
        installer=installer,
    )
    return write_install(plan, linker)


def _link_files(
    plan: WheelInstall,
    base: str,
    writes: _Writes,
    record: dict[str, RecordRow],
    linker: Linker,
    others: frozenset[str],
) -> None:
    """The hot loop: one link per file, parent folders made once each."""
    # 4,104 small files on tmpfs: 26 ms for the whole install, 19 ms of it in link() syscalls, so the
    # per-file Python work (string concatenation, one set lookup) is kept minimal.
    link = linker.link
    unlink = os.unlink
    known = writes.known
    ensure_dir = writes.ensure_dir
    written = writes.files
    tree_prefix = plan.tree + "/"
    base_prefix = base + "/"
    python = plan.python
    for path, relative_destination, relative, row, is_script in plan.files:
        if others and relative_destination in others:
            record[relative] = row if relative == path else (relative, row[1], row[2])
            continue
        destination = base_prefix + relative_destination
        parent = destination.rpartition("/")[0]
        if parent not in known:
            ensure_dir(parent)
        source = tree_prefix + path
        if is_script:
            record[relative] = _install_script(source, destination, relative, row, python)
            written.append(destination)
            continue
        try:
            link(source, destination)
        except FileExistsError:
            # Another distribution shipped the same file (namespace __init__.py, shared data):
            # the last installed wins, as with pip.
            unlink(destination)
            link(source, destination)
        written.append(destination)
        record[relative] = row if relative == path else (relative, row[1], row[2])


def _install_script(source: str, destination: str, relative: str, row: RecordRow, python: str) -> RecordRow:
    """A new executable copy of a ``.data/scripts`` file, its ``#!python`` pointed at ``python``.

    Copied rather than linked: it needs the exec bit, and chmod on a hardlink would change the cache.
    """
    with open(source, "rb") as handle:
        data = handle.read()
    rewritten = rewrite_python_shebang(data, python)
    _write_new(destination, data if rewritten is None else rewritten, 0o755)
    if rewritten is None:
        return (relative, row[1] or record_hash(data), row[2] or str(len(data)))
    return (relative, record_hash(rewritten), str(len(rewritten)))
