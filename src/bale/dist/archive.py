"""Validate every member of a source archive (tar or zip) and extract only validated members, by hand.

``tarfile``'s ``data`` filter is not relied on: it has had bypasses on supported Pythons (links to
links resolved one hop at a time, CVE-2024-12718, CVE-2025-4138/4330/4517), and it does not cover zip
files at all. Here the whole archive is read and checked before the first write: names relative and
inside the target, no devices or FIFOs, links that stay inside the target after resolving the whole
chain through the archive's other links, no member under a link, sizes and counts within the limits.
Files are then written with ``O_EXCL`` into a new empty folder, links last, without setuid bits.
``Rejected`` and ``Budget`` (the size, count and ratio limits) are shared with the wheel checks.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from bale.model.record import record
from pathlib import Path
from typing import IO, Any

from bale.dist.limits import (
    MEMBERS_VAR,
    RATIO_FLOOR,
    RATIO_VAR,
    UNPACKED_SIZE_VAR,
    ArchiveLimits,
    archive_limits,
    format_size,
)
from bale.errors import BaleError, UnsafeArchiveError

_DRIVE = re.compile(r"^[A-Za-z]:")
_FILE, _DIR, _SYMLINK, _HARDLINK = "file", "directory", "symlink", "hardlink"
# Linux gives up after 40 symbolic links in one path lookup (ELOOP); so does the resolver below.
_MAX_HOPS = 40
# A zip symlink's target is its content; real targets are short paths.
_MAX_LINK_TARGET = 4096
# pax and GNU long-name headers are read into memory whole by tarfile: a 4 GiB one compresses to
# ~4 MiB. Real ones hold a path or a few timestamps.
_MAX_TAR_HEADER = 1024 * 1024
_CHUNK = 1 << 20
_O_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
_TAMPERED = "the source distribution is broken or was tampered with; report it to the project's maintainers"
_ERRORS = (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError)


class Rejected(Exception):
    """Why an archive is refused: the problem, the member at fault (if one is), and what to do."""

    def __init__(self, problem: str, member: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.member = member
        self.hint = hint

    def describe(self) -> str:
        if self.member is None:
            return self.problem
        return f"member '{self.member}' {self.problem}"


class Budget:
    """Counts members and unpacked bytes against ``ArchiveLimits``; raises ``Rejected`` when over."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.members = 0
        self.size = 0

    def add(self, member: str, size: int, compressed: int | None = None) -> None:
        """One more member of ``size`` unpacked bytes (``compressed`` in the archive, when known)."""
        limits = self.limits
        self.members += 1
        if self.members > limits.max_members:
            raise Rejected(
                f"has more than {limits.max_members:,} members, the limit set by {MEMBERS_VAR}",
                hint=f"if the archive is genuine, raise the limit: {MEMBERS_VAR}={limits.max_members * 4}",
            )
        self.size += size
        if self.size > limits.max_unpacked_size:
            raise Rejected(
                f"unpacks to more than {format_size(limits.max_unpacked_size)}, the limit set by "
                f"{UNPACKED_SIZE_VAR}",
                hint="if the archive is genuine, raise the limit: "
                f"{UNPACKED_SIZE_VAR}={format_size(limits.max_unpacked_size * 4).replace(' ', '')}",
            )
        if compressed is not None:
            self.check_ratio(size, compressed, member)

    def check_ratio(self, size: int, compressed: int, member: str | None) -> None:
        """Refuse ``size`` bytes unpacked from ``compressed`` beyond the ratio limit (a bomb)."""
        ratio = self.limits.max_compression_ratio
        if size >= RATIO_FLOOR and size > ratio * max(compressed, 1):
            raise Rejected(
                f"unpacks to {format_size(size)} from {format_size(compressed)}, a compression ratio of "
                f"{size / max(compressed, 1):,.0f}:1 above the limit of {ratio:g}:1 set by {RATIO_VAR} "
                "(a zip bomb)",
                member,
                hint=f"if the archive is genuine, raise the limit: {RATIO_VAR}={ratio * 10:g}",
            )


def member_path(raw: str) -> str:
    """``raw`` (a member name) as a relative path without ``.`` or empty parts; raises ``Rejected``.

    Empty for the archive's root itself (``./``).
    """
    if "\x00" in raw:
        raise Rejected("has a NUL byte in its name", raw)
    if "\\" in raw:
        raise Rejected("uses a backslash in its name (a path separator on Windows)", raw)
    if raw.startswith("/"):
        raise Rejected("is an absolute path", raw)
    if _DRIVE.match(raw):
        raise Rejected("starts with a drive letter", raw)
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise Rejected("escapes the target folder (a '..' component)", raw)
    if sys.platform == "win32" and any(":" in part for part in parts):  # pragma: no cover
        raise Rejected("contains ':' (an NTFS alternate data stream)", raw)
    return "/".join(parts)


def fold(path: str) -> str:
    """The key under which case-insensitive filesystems (macOS, Windows) see ``path`` as one file."""
    if not path.isascii():
        import unicodedata

        path = unicodedata.normalize("NFC", path)
    return path.casefold()


@record(frozen=True, slots=True)
class _Member:
    """One archive member as validated: its name as written, its clean path, kind and content facts."""

    name: str
    path: str
    kind: str
    size: int
    executable: bool
    mtime: float | None
    target: str  # a link's target: relative to the link (symlink) or to the root (hardlink)
    source: Any  # the TarInfo or ZipInfo to read content from


def unpack_source_archive(archive: Path, dest: Path, *, limits: ArchiveLimits | None = None) -> None:
    """Extract the sdist ``archive`` (tar, optionally compressed, or zip) into the new folder ``dest``.

    ``dest`` must not exist or be empty; on any failure it is deleted. Raises ``UnsafeArchiveError``
    naming the archive and the member at fault, or ``BaleError`` for a file that is not an archive.
    Cost: reads (and decompresses) the archive twice, once to check it and once to write it.
    """
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"unpack destination {dest} is not empty")
    budget = Budget(limits if limits is not None else archive_limits())
    try:
        if archive.name.lower().endswith(".zip"):
            _unpack_zip(archive, dest, budget)
        else:
            _unpack_tar(archive, dest, budget)
    except Rejected as rejection:
        shutil.rmtree(dest, ignore_errors=True)
        raise UnsafeArchiveError(
            f"Refusing to unpack {archive.name}: {rejection.describe()}",
            context=[f"file: {archive}"],
            hint=rejection.hint or _TAMPERED,
        ) from None
    except _ERRORS as err:
        shutil.rmtree(dest, ignore_errors=True)
        raise BaleError(
            f"Cannot unpack {archive.name}: it is not a valid source distribution",
            context=[f"file: {archive}", f"error: {err}"],
            hint="if it was downloaded, `bale cache clean` and try again",
        ) from err
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def read_top_member(archive: Path, member: str, *, limit: int = 16 * 1024 * 1024) -> bytes | None:
    """``<top>/<member>`` of an sdist (``PKG-INFO``, ``pyproject.toml``), or None when it has none.

    Reads at most ``limit`` bytes: a larger one is refused (``Rejected``), as no real one is. Raises
    the archive modules' own errors for a damaged file.
    """

    def wanted(name: str) -> bool:
        parts = name.removeprefix("./").split("/")
        return len(parts) == 2 and parts[1] == member and bool(parts[0])

    if archive.name.lower().endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            info = next((item for item in zipped.infolist() if wanted(item.filename)), None)
            if info is None:
                return None
            if info.file_size > limit:
                raise Rejected(
                    f"is {format_size(info.file_size)}, more than {format_size(limit)}", info.filename
                )
            with zipped.open(info) as handle:
                return handle.read(limit)
    with tarfile.open(archive, "r:*", tarinfo=_CheckedTarInfo) as tarred:
        for item in tarred:
            if item.isfile() and wanted(item.name):
                if item.size > limit:
                    raise Rejected(f"is {format_size(item.size)}, more than {format_size(limit)}", item.name)
                extracted = tarred.extractfile(item)
                return extracted.read(limit) if extracted is not None else None
    return None


# -- reading -----------------------------------------------------------------------------------------


class _CheckedTarInfo(tarfile.TarInfo):
    """A TarInfo that refuses, before tarfile reads them into memory, headers too big to be real."""

    def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _IN_MEMORY_HEADERS and self.size > _MAX_TAR_HEADER:
            raise Rejected(
                f"has a {format_size(self.size)} extended header (real ones hold a path or a few fields)",
                self.name,
            )
        return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]


_IN_MEMORY_HEADERS = frozenset(
    {
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    }
)


def _tar_members(tarred: tarfile.TarFile, budget: Budget, compressed: int) -> Iterator[_Member]:
    for info in tarred:
        name = info.name
        if info.isdir():
            kind = _DIR
        elif info.issparse():
            raise Rejected("is a sparse file", name)
        elif info.isreg():
            kind = _FILE
        elif info.issym():
            kind = _SYMLINK
        elif info.islnk():
            kind = _HARDLINK
        else:
            what = {
                tarfile.CHRTYPE: "a character device",
                tarfile.BLKTYPE: "a block device",
                tarfile.FIFOTYPE: "a FIFO (named pipe)",
            }.get(info.type, f"of an unknown type {info.type!r}")
            raise Rejected(f"is {what}, which a source distribution has no use for", name)
        path = member_path(name)
        budget.add(name, info.size if kind == _FILE else 0)
        # One ratio for the whole stream (gzip compresses the tar as one), checked at each header so
        # a bomb is refused before its data is decompressed just to be skipped.
        budget.check_ratio(budget.size, compressed, None)
        yield _Member(
            name=name,
            path=path,
            kind=kind,
            size=info.size if kind == _FILE else 0,
            executable=bool(info.mode & 0o111),
            mtime=float(info.mtime),
            target=info.linkname,
            source=info,
        )


def _zip_members(zipped: zipfile.ZipFile, budget: Budget) -> Iterator[_Member]:
    for info in zipped.infolist():
        name = info.orig_filename
        if info.flag_bits & 0x1:
            raise Rejected("is encrypted", name)
        mode = info.external_attr >> 16
        if info.is_dir():
            kind = _DIR
        elif stat.S_ISLNK(mode):
            kind = _SYMLINK
        elif stat.S_IFMT(mode) in (0, stat.S_IFREG):
            kind = _FILE
        else:
            raise Rejected("is a device, FIFO or socket, which a source distribution has no use for", name)
        path = member_path(name)
        budget.add(name, info.file_size, info.compress_size)
        target = ""
        if kind == _SYMLINK:
            if info.file_size > _MAX_LINK_TARGET:
                raise Rejected(f"is a symbolic link with a {info.file_size}-byte target", name)
            target = zipped.read(info).decode("utf-8", "replace")
        yield _Member(
            name=name,
            path=path,
            kind=kind,
            size=info.file_size if kind == _FILE else 0,
            executable=bool(mode & 0o111),
            mtime=None,
            target=target,
            source=info,
        )


# -- checking ----------------------------------------------------------------------------------------


def _plan(members: Iterable[_Member], budget: Budget) -> list[_Member]:
    """The members to extract, checked as a whole: no duplicates, nothing under a file or a link,
    every link resolving inside the target through the archive's other links. A hard link comes
    back with its ``target`` resolved to the path of the file it copies."""
    entries: dict[str, _Member] = {}
    links: dict[str, str] = {}  # folded symlink path -> its target
    kept: list[_Member] = []
    for member in members:
        if not member.path:
            if member.kind != _DIR:
                raise Rejected(f"is a {member.kind} in place of the archive's root folder", member.name)
            continue
        known = entries.get(member.path)
        if known is not None:
            if known.kind == _DIR and member.kind == _DIR:
                continue
            raise Rejected("appears twice in the archive", member.name)
        entries[member.path] = member
        if member.kind == _SYMLINK:
            links[fold(member.path)] = member.target
        kept.append(member)
    files_folded = {fold(path) for path, member in entries.items() if member.kind != _DIR}
    for member in kept:
        parent = member.path.rpartition("/")[0]
        while parent:
            key = fold(parent)
            if key in links:
                raise Rejected(f"is inside the symbolic link '{entries_name(entries, parent)}'", member.name)
            if key in files_folded:
                raise Rejected(
                    f"is inside '{entries_name(entries, parent)}', which is not a folder", member.name
                )
            parent = parent.rpartition("/")[0]
    plan: list[_Member] = []
    for member in kept:
        if member.kind == _SYMLINK:
            _check_symlink(member, links)
        elif member.kind == _HARDLINK:
            origin = _check_hardlink(member, links, entries)
            budget.add(member.name, origin.size)
            member = replace(member, target=origin.path, size=origin.size)
        plan.append(member)
    return plan


def entries_name(entries: dict[str, _Member], path: str) -> str:
    """The name ``path`` has in the archive (as written), for messages."""
    member = entries.get(path)
    return member.name if member is not None else path


def _check_link_text(member: _Member) -> None:
    target = member.target
    if not target:
        raise Rejected("is a link with an empty target", member.name)
    if "\x00" in target or "\\" in target:
        raise Rejected(f"is a link to {target!r}, with a NUL byte or backslash in its target", member.name)
    if target.startswith("/") or _DRIVE.match(target):
        raise Rejected(f"is a link to the absolute path {target!r}, outside the target folder", member.name)


def _check_symlink(member: _Member, links: dict[str, str]) -> None:
    _check_link_text(member)
    parent = member.path.rpartition("/")[0]
    parts = (parent.split("/") if parent else []) + member.target.split("/")
    if _resolve(parts, links, member) is None:
        raise Rejected(
            f"is a symbolic link to {member.target!r}, which resolves outside the target folder", member.name
        )


def _check_hardlink(member: _Member, links: dict[str, str], entries: dict[str, _Member]) -> _Member:
    _check_link_text(member)
    try:
        target = member_path(member.target)
    except Rejected:
        raise Rejected(
            f"is a hard link to {member.target!r}, outside the target folder", member.name
        ) from None
    resolved = _resolve(target.split("/"), links, member)
    found = entries.get("/".join(resolved)) if resolved is not None else None
    if found is None or found.kind != _FILE:
        raise Rejected(
            f"is a hard link to {member.target!r}, which is not a regular file of the archive", member.name
        )
    return found


def _resolve(parts: list[str], links: dict[str, str], member: _Member) -> list[str] | None:
    """``parts`` resolved against the archive's symlinks as the OS would, or None if it escapes."""
    resolved: list[str] = []
    todo = list(reversed(parts))
    hops = 0
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        resolved.append(part)
        target = links.get(fold("/".join(resolved)))
        if target is None:
            continue
        hops += 1
        if hops > _MAX_HOPS:
            raise Rejected("is a link in a loop of symbolic links", member.name)
        resolved.pop()
        if target.startswith("/") or _DRIVE.match(target) or "\\" in target:
            return None
        todo.extend(reversed(target.split("/")))
    return resolved


# -- writing -----------------------------------------------------------------------------------------


def _unpack_tar(archive: Path, dest: Path, budget: Budget) -> None:
    compressed = archive.stat().st_size
    with tarfile.open(archive, "r:*", tarinfo=_CheckedTarInfo) as tarred:
        plan = _plan(_tar_members(tarred, budget, compressed), budget)

        def opener(member: _Member) -> IO[bytes]:
            handle = tarred.extractfile(member.source)
            if handle is None:  # pragma: no cover - only for non-files, which never get here
                raise Rejected("has no content", member.name)
            return handle

        _write(plan, dest, opener)


def _unpack_zip(archive: Path, dest: Path, budget: Budget) -> None:
    from bale.dist.zip_layout import check_zip_layout

    with zipfile.ZipFile(archive) as zipped:
        assert zipped.fp is not None
        check_zip_layout(zipped.fp, archive.stat().st_size, zipped.infolist())
        plan = _plan(_zip_members(zipped, budget), budget)
        _write(plan, dest, lambda member: zipped.open(member.source))


def _write(plan: list[_Member], dest: Path, opener: Any) -> None:
    """Directories, then files, then hard links (as copies), then symbolic links: once the first
    link exists nothing more is written, so no write can go through one."""
    dest.mkdir(parents=True, exist_ok=True)
    root = os.fspath(dest)
    made: set[str] = {""}

    def make_parent(path: str) -> None:
        parent = path.rpartition("/")[0]
        if parent not in made:
            os.makedirs(os.path.join(root, parent), exist_ok=True)
            made.add(parent)

    for member in plan:
        if member.kind == _DIR and member.path not in made:
            os.makedirs(os.path.join(root, member.path), exist_ok=True)
            made.add(member.path)
    for member in plan:
        if member.kind != _FILE:
            continue
        make_parent(member.path)
        written = 0
        with _create(root, member) as out, opener(member) as source:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > member.size:
                    raise Rejected(
                        f"holds more than the {member.size} bytes its header declares", member.name
                    )
                out.write(chunk)
        _set_mtime(root, member)
    for member in plan:
        if member.kind != _HARDLINK:
            continue
        make_parent(member.path)
        origin = os.path.join(root, member.target)
        with open(origin, "rb") as source, _create(root, member) as out:
            shutil.copyfileobj(source, out, _CHUNK)
        _set_mtime(root, member)
    for member in plan:
        if member.kind == _SYMLINK:
            make_parent(member.path)
            os.symlink(member.target, os.path.join(root, member.path))


def _create(root: str, member: _Member) -> IO[bytes]:
    # Only the permission bits a user needs: never setuid/setgid/sticky; umask makes 0o777 0o755.
    mode = 0o777 if member.executable else 0o666
    return open(os.open(os.path.join(root, member.path), _O_CREATE, mode), "wb")


def _set_mtime(root: str, member: _Member) -> None:
    # Builds driven by make or autotools compare times: generated files must stay newer.
    if member.mtime is not None and member.mtime > 0:
        os.utime(os.path.join(root, member.path), (member.mtime, member.mtime))


__all__ = ["Budget", "Rejected", "fold", "member_path", "read_top_member", "unpack_source_archive"]
