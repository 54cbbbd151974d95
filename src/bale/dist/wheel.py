"""Check a wheel against everything it claims about itself, then unpack it with streaming hashes."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import shutil
import sys
import zipfile
import zlib
from bale.model.record import record
from pathlib import Path

from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from bale.dist.archive import Budget, Rejected, fold
from bale.dist.limits import ArchiveLimits, archive_limits
from bale.dist.zip_layout import check_zip_layout
from bale.errors import BaleError, UnsafeArchiveError

# Big enough that a typical module (< 64 KiB) is one read, small enough to keep memory flat on
# 500 MiB members; hashing and writing 1 MiB chunks runs at disk speed.
_CHUNK = 1 << 20
_WEAK_HASHES = frozenset({"md5", "sha1"})
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_DRIVE = re.compile(r"^[A-Za-z]:")
_ENTRY_POINT_VALUE = re.compile(r"^\s*[\w]+(\.[\w]+)*\s*:\s*[\w]+(\.[\w]+)*\s*(\[[^\[\]]*\])?\s*$")
_SCRIPT_SECTIONS = frozenset({"console_scripts", "gui_scripts"})
# What zipfile raises for damaged data; NotImplementedError is a compression method wheels may not use.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)
_O_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


@record(frozen=True, slots=True)
class _Expected:
    """A RECORD row: the hash algorithm, raw digest and size a member must have."""

    algorithm: str
    digest: bytes
    size: int | None


def validate_and_unpack(
    wheel_path: Path, dest: Path, *, name_hint: str = "", limits: ArchiveLimits | None = None
) -> None:
    """Validate the wheel at ``wheel_path`` and extract its members, exactly, under ``dest``.

    ``name_hint`` is the wheel's real file name when ``wheel_path`` has another one (a download in
    progress); it names the wheel in messages and gives the name and version the ``.dist-info`` dir
    must match. Everything except member hashes is checked before the first write: the zip's layout
    (``bale.dist.zip_layout``: no bytes before, between or after its records, local headers that agree
    with the central directory), names, RECORD, and ``limits`` (default: ``BALE_MAX_*``, see
    ``bale.dist.limits``); hashes and sizes are checked while streaming each member to disk.
    ``dest`` is created if missing and must hold nothing else: on any failure it is deleted, so
    callers extract into a temp dir and rename it.

    Raises ``UnsafeArchiveError`` naming the wheel and the member at fault, or ``BaleError`` for a
    file that is not a readable zip.
    """
    label = name_hint or wheel_path.name
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"unpack destination {dest} is not empty")
    try:
        archive = zipfile.ZipFile(wheel_path)
    except FileNotFoundError as err:
        raise BaleError(f"Wheel file {wheel_path} does not exist", context=[f"wheel: {label}"]) from err
    except (zipfile.BadZipFile, EOFError) as err:
        raise _corrupt(label, wheel_path, err) from err
    except OSError as err:
        raise BaleError(
            f"Could not read {label}: {err.strerror or err}", context=[f"wheel file: {wheel_path}"]
        ) from err
    budget = Budget(limits if limits is not None else archive_limits())
    with archive:
        try:
            assert archive.fp is not None
            check_zip_layout(archive.fp, os.fstat(archive.fp.fileno()).st_size, archive.infolist())
            plan = _validate(archive, label, wheel_path, budget)
        except Rejected as rejection:
            raise _unsafe(label, wheel_path, rejection) from None
        except _ZIP_ERRORS as err:
            raise _corrupt(label, wheel_path, err) from err
        try:
            _extract(archive, plan, dest)
        except BaseException as err:
            shutil.rmtree(dest, ignore_errors=True)
            if isinstance(err, Rejected):
                raise _unsafe(label, wheel_path, err) from None
            if isinstance(err, _ZIP_ERRORS):
                raise _corrupt(label, wheel_path, err) from err
            raise


def _unsafe(label: str, wheel_path: Path, rejection: Rejected) -> UnsafeArchiveError:
    return UnsafeArchiveError(
        f"Refusing to unpack {label}: {rejection.describe()}",
        context=[f"wheel file: {wheel_path}"],
        hint=rejection.hint
        or "The wheel is broken or was tampered with; report it to the project's maintainers.",
    )


def _corrupt(label: str, wheel_path: Path, err: BaseException) -> BaleError:
    return BaleError(
        f"{label} is not a valid wheel (truncated or corrupt zip)",
        context=[f"wheel file: {wheel_path}", f"zip error: {err}"],
        hint="If the file was downloaded, delete it and download it again.",
    )


def _expected_identity(label: str, wheel_path: Path) -> tuple[NormalizedName, Version]:
    for candidate in (label, wheel_path.name):
        try:
            name, version, _, _ = parse_wheel_filename(candidate)
        except InvalidWheelFilename:
            continue
        return name, version
    raise Rejected(f"'{label}' is not a valid wheel file name (name-version-tags.whl)")


def _check_member_name(raw: str, name: str) -> None:
    if not name or "\x00" in raw:
        raise Rejected("has an empty name or a NUL byte in its name", raw)
    if "\\" in raw:
        raise Rejected("uses a backslash as a path separator (it could escape the target directory)", raw)
    if name.startswith("/"):
        raise Rejected("is an absolute path", raw)
    if _DRIVE.match(name):
        raise Rejected("starts with a drive letter", raw)
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        raise Rejected("escapes the target directory (a '..' component)", raw)
    if "." in parts or "" in parts:
        raise Rejected("has a '.' or empty component in its name (another name for the same file)", raw)
    if sys.platform == "win32" and any(":" in part for part in parts):  # pragma: no cover
        raise Rejected("contains ':' (an NTFS alternate data stream)", raw)


def _top_dirs(names: list[str], suffix: str) -> set[str]:
    return {name.split("/", 1)[0] for name in names if "/" in name and name.split("/", 1)[0].endswith(suffix)}


def _check_dir_identity(
    directory: str, suffix: str, name: NormalizedName, version: Version, label: str
) -> None:
    stem = directory[: -len(suffix)]
    dir_name, _, dir_version = stem.rpartition("-")
    try:
        matches = canonicalize_name(dir_name) == name and Version(dir_version) == version
    except InvalidVersion:
        matches = False
    if not matches:
        raise Rejected(
            f"'{directory}' does not match the wheel's name and version ({name} {version} from {label})"
        )


_Plan = list[tuple[zipfile.ZipInfo, _Expected | None]]


def _validate(archive: zipfile.ZipFile, label: str, wheel_path: Path, budget: Budget) -> _Plan:
    name, version = _expected_identity(label, wheel_path)
    infos = archive.infolist()
    for info in infos:
        budget.add(info.filename, info.file_size, info.compress_size)
    files: dict[str, zipfile.ZipInfo] = {}
    folded: dict[str, str] = {}
    dirs_folded: set[str] = set()
    for info in infos:
        member = info.filename
        _check_member_name(info.orig_filename, member)
        if info.flag_bits & 0x1:
            raise Rejected("is encrypted", member)
        if member.endswith("/"):
            dirs_folded.add(fold(member.rstrip("/")))
            continue
        if member in files:
            raise Rejected("appears twice in the archive", member)
        key = fold(member)
        if key in folded:
            raise Rejected(
                f"differs only in case from '{folded[key]}' (they collide on macOS and Windows)", member
            )
        folded[key] = member
        files[member] = info
        parent = key.rpartition("/")[0]
        while parent and parent not in dirs_folded:
            dirs_folded.add(parent)
            parent = parent.rpartition("/")[0]
    for key, member in folded.items():
        if key in dirs_folded:
            raise Rejected("is both a file and a directory", member)

    names = list(files)
    dist_infos = _top_dirs(names, ".dist-info")
    if len(dist_infos) != 1:
        found = ", ".join(sorted(dist_infos)) or "none"
        raise Rejected(f"must contain exactly one top-level .dist-info directory (found: {found})")
    dist_info = dist_infos.pop()
    _check_dir_identity(dist_info, ".dist-info", name, version, label)
    for data_dir in _top_dirs(names, ".data"):
        _check_dir_identity(data_dir, ".data", name, version, label)

    _check_wheel_file(archive, files, f"{dist_info}/WHEEL")
    record_name = f"{dist_info}/RECORD"
    records = _read_record(archive, files, record_name)
    unhashed = {record_name, *(f"{dist_info}/{sig}" for sig in _SIGNATURES)}
    for path in records:
        if path not in files:
            raise Rejected(f"'{path}' is listed in {record_name} but is not in the archive")
    plan: list[tuple[zipfile.ZipInfo, _Expected | None]] = []
    for info in infos:
        member = info.filename
        if member.endswith("/"):
            plan.append((info, None))
            continue
        expected = records.get(member)
        if member in unhashed:
            plan.append((info, None))
            continue
        if member not in records:
            raise Rejected(f"is not listed in {record_name}", member)
        if expected is None:
            raise Rejected(f"has no hash in {record_name}", member)
        if expected.size is not None and expected.size != info.file_size:
            raise Rejected(f"is {info.file_size} bytes but {record_name} says {expected.size}", member)
        plan.append((info, expected))
    entry_points = f"{dist_info}/entry_points.txt"
    if entry_points in files:
        _check_entry_points(archive.read(files[entry_points]), entry_points)
    return plan


def _check_wheel_file(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], wheel_name: str) -> None:
    if wheel_name not in files:
        raise Rejected(f"has no {wheel_name} file")
    text = archive.read(files[wheel_name]).decode("utf-8", "replace")
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "wheel-version":
            major = value.strip().split(".", 1)[0]
            if not major.isdigit():
                raise Rejected(f"has an invalid Wheel-Version {value.strip()!r}", wheel_name)
            if int(major) > 1:
                raise Rejected(
                    f"declares Wheel-Version {value.strip()}, which this version of bale cannot install",
                    wheel_name,
                )
            return
    raise Rejected("has no Wheel-Version field", wheel_name)


def _read_record(
    archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], record_name: str
) -> dict[str, _Expected | None]:
    if record_name not in files:
        raise Rejected(f"has no {record_name} (the list of files and their hashes)")
    try:
        text = archive.read(files[record_name]).decode("utf-8")
    except UnicodeDecodeError as err:
        raise Rejected(f"is not UTF-8 ({err})", record_name) from None
    records: dict[str, _Expected | None] = {}
    for line_number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not row[0]:
            continue
        path = row[0]
        hash_field = row[1] if len(row) > 1 else ""
        size_field = row[2] if len(row) > 2 else ""
        if not hash_field:
            records[path] = None
            continue
        algorithm, sep, encoded = hash_field.partition("=")
        algorithm = algorithm.lower()
        if not sep or algorithm not in hashlib.algorithms_guaranteed:
            raise Rejected(f"line {line_number} has an unknown hash {hash_field!r}", record_name)
        if algorithm in _WEAK_HASHES:
            raise Rejected(f"line {line_number} uses the weak hash {algorithm}", record_name)
        try:
            digest = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            size = int(size_field) if size_field.strip() else None
        except ValueError:
            raise Rejected(f"line {line_number} is malformed: {','.join(row)!r}", record_name) from None
        records[path] = _Expected(algorithm, digest, size)
    return records


def _check_entry_points(content: bytes, member: str) -> None:
    section = ""
    for raw in content.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section not in _SCRIPT_SECTIONS:
            continue
        key, sep, value = line.partition("=")
        script = key.strip()
        if not sep:
            raise Rejected(f"has a malformed line in [{section}]: {line!r}", member)
        if (
            not script
            or "/" in script
            or "\\" in script
            or ".." in script
            or script == "."
            or "\x00" in script
            or (sys.platform == "win32" and ":" in script)
        ):
            raise Rejected(f"declares a script named {script!r}, which is not a plain file name", member)
        if not _ENTRY_POINT_VALUE.match(value):
            raise Rejected(
                f"declares script {script!r} as {value.strip()!r}, which is not 'module:attribute'", member
            )


def _extract(archive: zipfile.ZipFile, plan: _Plan, dest: Path) -> None:
    os.makedirs(dest, exist_ok=True)
    root = os.fspath(dest)
    made: set[str] = {""}
    for info, expected in plan:
        member = info.filename
        if member.endswith("/"):
            relative = member.rstrip("/")
            if relative not in made:
                os.makedirs(os.path.join(root, relative), exist_ok=True)
                made.add(relative)
            continue
        parent = member.rpartition("/")[0]
        if parent not in made:
            os.makedirs(os.path.join(root, parent), exist_ok=True)
            made.add(parent)
        # umask turns 0o777 into the usual 0o755; creating with the mode avoids a chmod per file.
        mode = 0o777 if (info.external_attr >> 16) & 0o111 else 0o666
        fd = os.open(os.path.join(root, member), _O_CREATE, mode)
        digest = hashlib.new(expected.algorithm) if expected is not None else None
        written = 0
        with open(fd, "wb") as out, archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                if digest is not None:
                    digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
        if expected is None or digest is None:
            continue
        if digest.digest() != expected.digest:
            raise Rejected(f"does not match its {expected.algorithm} hash in RECORD", member)
        if expected.size is not None and written != expected.size:
            raise Rejected(f"is {written} bytes but RECORD says {expected.size}", member)
