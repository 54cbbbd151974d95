"""``bale export --wheelhouse DIR``: the lock's files for some platforms, served as an index and a lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from bale.context import Context
from bale.errors import BaleError
from bale.lock.wheelhouse import FILES_FOLDER, WheelhouseFile, WheelhouseTarget
from bale.model.record import record

if TYPE_CHECKING:
    from bale.ops.wheelhouse_build import BuildHost

# Files are fetched in parallel like an install's: mostly waiting on sockets, which release the GIL.
_WORKERS = 8
_LOCK_NAME = "pylock.toml"


@record(frozen=True)
class WheelhouseRequest:
    dest: Path
    platforms: tuple[str, ...] = ()  # none: every file the lock lists
    pythons: tuple[str, ...] = ()  # none: every minor the lock's requires-python admits
    build: BuildHost | None = None  # --build: sdist-only packages built into wheels there


@record
class WheelhouseOutcome:
    dest: Path
    files: list[WheelhouseFile] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # labels; empty when every file was taken
    skipped: list[str] = field(default_factory=list)  # packages that are no file (VCS, directory)
    built: list[WheelhouseFile] = field(default_factory=list)  # wheels --build made (also in files)


def targets_for(
    platforms: Sequence[str], pythons: Sequence[str], lock_python: object
) -> list[WheelhouseTarget]:
    """One target per (platform, Python) pair: ``--python`` alone means this machine's platform."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    from bale.lock.wheelhouse import PLATFORM_ALIASES, pythons_for
    from bale.model.platforms import synthetic_target

    requires = lock_python if isinstance(lock_python, SpecifierSet) else None
    versions = pythons_for(requires, pythons)
    base = None
    if not platforms:
        from bale.python.host import host_target

        base = host_target()
    targets: list[WheelhouseTarget] = []
    for python in versions:
        try:
            version = Version(python)
        except InvalidVersion as err:
            raise BaleError(f"--python {python!r} is not a Python version (such as 3.12)") from err
        for platform in platforms or (None,):
            name = PLATFORM_ALIASES.get(platform.lower(), platform) if platform else None
            target = synthetic_target(version, name, base)
            label = f"{platform or 'this platform'}, Python {python}"
            targets.append(WheelhouseTarget(label, target, platform or "", required=bool(pythons)))
    return targets


def build_wheelhouse(
    ctx: Context, lock_path: Path, lock_text: str, request: WheelhouseRequest
) -> WheelhouseOutcome:
    """Fetch the files each target needs from the lock (hash-checked), then write them, the index
    pages and the rewritten lock into a temp dir beside ``request.dest`` that is renamed into place:
    a failure leaves ``dest`` as it was. An existing wheelhouse at ``dest`` is replaced; any other
    non-empty folder is refused."""
    from bale.index.simple_pages import IndexEntry, simple_pages
    from bale.lock.pylock import read_pylock
    from bale.lock.toml_writer import dumps
    from bale.lock.wheelhouse import every_file, rewrite_lock, wanted_files

    dest = request.dest.resolve()
    _check_dest(dest)
    lock = read_pylock(lock_text, source=str(lock_path))
    outcome = WheelhouseOutcome(dest)
    if request.platforms or request.pythons:
        targets = targets_for(request.platforms, request.pythons, lock.requires_python)
        outcome.targets = [t.label for t in targets]
        outcome.files, outcome.skipped, warnings = wanted_files(lock, targets, source=str(lock_path))
        for warning in warnings:
            ctx.reporter.debug(warning)
    else:
        outcome.files, outcome.skipped = every_file(lock)
    for name in outcome.skipped:
        ctx.reporter.warn(
            f"{name} is installed from a VCS or directory source: the wheelhouse holds no file of it"
        )
    from bale.fs.temp import make_temp_dir, remove_tree

    temp = make_temp_dir(dest.parent, prefix=f".{dest.name}.tmp-")
    try:
        files_dir = temp / FILES_FOLDER
        files_dir.mkdir()
        _fetch_all(ctx, lock_path.parent.absolute(), outcome.files, files_dir)
        if request.build is not None:
            from bale.ops.wheelhouse_build import build_for_host, to_build, with_built_wheels

            sdists = to_build(outcome.files, request.build.interpreter)
            outcome.built = build_for_host(
                ctx, sdists, files_dir, host=request.build, lock=lock, lock_source=str(lock_path)
            )
            outcome.files = sorted([*outcome.files, *outcome.built], key=lambda f: (f.name, f.filename))
            lock = with_built_wheels(lock, outcome.built)
        entries = [
            IndexEntry(
                f.name,
                f.filename,
                f"../../{FILES_FOLDER}/{f.filename}",
                f.hashes["sha256"].lower(),
                f.requires_python,
            )
            for f in outcome.files
        ]
        for relative, data in simple_pages(entries).items():
            page = temp / "simple" / relative
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_bytes(data)
        kept = {f.filename for f in outcome.files}
        (temp / _LOCK_NAME).write_text(dumps(rewrite_lock(lock, kept), sort_keys=False), encoding="utf-8")
        from bale.fs.temp import replace_dir

        replace_dir(temp, dest)
    except BaseException:
        remove_tree(temp)
        raise
    return outcome


def _check_dest(dest: Path) -> None:
    from bale.fs.temp import check_replaceable

    check_replaceable(
        dest, "write the wheelhouse", "wheelhouse", ours=_is_wheelhouse(dest), mine="a wheelhouse"
    )


def _is_wheelhouse(folder: Path) -> bool:
    return (folder / _LOCK_NAME).is_file() and (folder / "simple" / "index.html").is_file()


def _fetch_all(ctx: Context, lock_dir: Path, files: list[WheelhouseFile], dest: Path) -> None:
    if len(files) <= 1:
        for file in files:
            _fetch(ctx, lock_dir, file, dest)
        return
    from bale.cancel import worker_pool

    with worker_pool(min(_WORKERS, len(files)), "bale-wheelhouse") as pool:
        list(pool.map(lambda file: _fetch(ctx, lock_dir, file, dest), files))


def _fetch(ctx: Context, lock_dir: Path, file: WheelhouseFile, dest: Path) -> None:
    """Download (or copy, for a ``path`` or ``file:`` entry) one file, checking it against every
    strong hash the lock records: a mismatch leaves nothing behind and names the file."""
    from bale.model.hashes import STRONG_ALGORITHMS

    if file.url is not None:
        url = file.url
    elif file.path is not None:
        url = (lock_dir / file.path).resolve().as_uri()
    else:
        raise BaleError(f"The lock names no URL or path for {file.filename} ({file.label})")
    expected = {a.lower(): d.lower() for a, d in file.hashes.items() if a.lower() in STRONG_ALGORITHMS}
    if "sha256" not in expected:
        raise BaleError(f"The lock records no sha256 hash for {file.filename} ({file.label})")
    ctx.http.download(url, dest / file.filename, expected=expected, label=file.label, reporter=ctx.reporter)
