"""Hostile archives through the CLI: sdists whose members escape, wheels that read two ways, bombs.

Every archive is crafted here with tarfile, zipfile and struct, installed with ``bale pip install``
from a --find-links folder (or a real index server), and each refusal is checked whole: exit 1, one
paragraph naming the archive and the member, nothing written outside the target, the environment and
the cache's unpacked trees unchanged.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import sys
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bale.dist.limits import format_size
from tests.build.helpers import in_tree_files
from tests.cli.conftest import Venv
from tests.support.builders import Pkg, make_wheel
from tests.support.cli import Result, scrub

Bale = Callable[..., Result]
SDIST_HINT = (
    "hint: the source distribution is broken or was tampered with; report it to the project's maintainers"
)
WHEEL_HINT = "hint: The wheel is broken or was tampered with; report it to the project's maintainers."
ESCAPED = "escaped.txt"
# What a venv made by the stdlib holds in bin/ (the fixture's venvs have no pip).
FRESH_BIN = sorted(
    [
        "Activate.ps1",
        "activate",
        "activate.csh",
        "activate.fish",
        "python",
        "python3",
        f"python3.{sys.version_info[1]}",
    ]
)


# -- crafting ----------------------------------------------------------------------------------------


def _info(
    name: str,
    kind: bytes = tarfile.REGTYPE,
    *,
    mode: int = 0o644,
    link: str = "",
    pax: dict[str, str] | None = None,
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.pax_headers = dict(pax or {})
    info.type = kind
    info.mode = mode
    info.linkname = link
    info.mtime = 1577836800
    return info


def _project_files(name: str, *, backend_extra: str = "") -> dict[str, bytes]:
    files = in_tree_files(name)
    backend = files["bale_test_backend.py"]
    if backend_extra:
        backend = backend.replace("b\"VALUE = 'in-tree'\\n\"", backend_extra)
    files["bale_test_backend.py"] = backend
    return {path: text.encode() for path, text in files.items()}


def tar_sdist(
    folder: Path, members: list[tuple[tarfile.TarInfo, bytes]], *, name: str = "evil", prefix: str = ""
) -> Path:
    """``<name>-1.0.tar.gz`` in ``folder``: a buildable in-tree project, then ``members`` as given."""
    top = f"{prefix}{name}-1.0"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(_info(top, tarfile.DIRTYPE, mode=0o755))
        for path, data in _project_files(name).items():
            info = _info(f"{top}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info, data in members:
            info.size = len(data) if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
            archive.addfile(info, io.BytesIO(data))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-1.0.tar.gz"
    path.write_bytes(buffer.getvalue())
    return path


def zip_sdist(folder: Path, members: list[tuple[str, bytes, int]], *, name: str = "evil") -> Path:
    """``<name>-1.0.zip``: the in-tree project, then ``members`` (name, data, st_mode)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-1.0.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in _project_files(name).items():
            archive.writestr(f"{name}-1.0/{member}", data)
        for member, data, mode in members:
            info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


def wheel_bytes(tmp_path: Path, pkg: Pkg | None = None) -> bytes:
    return make_wheel(pkg or Pkg("evil", "1.0"), tmp_path / "build").read_bytes()


def put_wheel(folder: Path, data: bytes, name: str = "evil-1.0-py3-none-any.whl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def header_offset(data: bytes, member: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.getinfo(member).header_offset


def raw_zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    """A stored (uncompressed) zip whose central entries are (name, data, local header offset):
    several entries may point at one local header, as overlapping-entry bombs do."""
    out = io.BytesIO()
    locals_at: dict[int, tuple[str, bytes]] = {}
    for name, data, offset in entries:
        locals_at.setdefault(offset, (name, data))
    offsets: dict[int, int] = {}
    for index, (name, data) in sorted(locals_at.items()):
        offsets[index] = out.tell()
        crc = zipfile.crc32(data)
        raw = name.encode()
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(raw), 0
            )
        )
        out.write(raw + data)
    cd_start = out.tell()
    for name, data, index in entries:
        raw = name.encode()
        crc = zipfile.crc32(data)
        out.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                0,
                0,
                0,
                crc,
                len(data),
                len(data),
                len(raw),
                0,
                0,
                0,
                0,
                stat.S_IFREG | 0o644 << 16,
                offsets[index],
            )
        )
        out.write(raw)
    cd_size = out.tell() - cd_start
    out.write(
        struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), cd_size, cd_start, 0)
    )
    return out.getvalue()


# -- checking ----------------------------------------------------------------------------------------


def assert_refused(result: Result, tmp_path: Path, venv: Venv, lines: list[str]) -> None:
    """Exit 1 and exactly ``lines`` on stderr; nothing installed, nothing unpacked, nothing escaped."""
    assert result.code == 1, result
    assert scrub(result.stderr, {tmp_path: "[TMP]"}).splitlines() == lines, result
    assert result.stdout == ""
    assert list(venv.site_packages().iterdir()) == [], "the environment changed"
    assert sorted(p.name for p in (venv.root / "bin").iterdir()) == FRESH_BIN
    cache = tmp_path / "bale-home" / "cache"
    for bucket in cache.glob("archive-v*"):
        assert list(bucket.iterdir()) == [], "an unpacked tree was left in the cache"
    temp = cache / ".tmp"
    assert not temp.exists() or list(temp.iterdir()) == [], "a temp dir was left behind"
    escaped = [p for p in tmp_path.rglob(ESCAPED)]
    assert escaped == [], f"a member was written outside its target: {escaped}"


def install(bale: Bale, folder: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    """``bale pip install evil`` from the --find-links folder ``folder``."""
    return bale("pip", "install", "evil", "--no-index", "-f", folder, *extra, env=env)


def install_file(bale: Bale, path: Path) -> Result:
    """``bale pip install <path> --no-deps``: the file is unpacked without its metadata read first
    (resolution reads METADATA from some of these wheels, and from others cannot)."""
    return bale("pip", "install", path, "--no-deps", "--no-index")


# -- sdists ------------------------------------------------------------------------------------------

TOP = "evil-1.0"
PAYLOAD = b"written outside the target\n"

HOSTILE_TAR_MEMBERS = {
    "dotdot": (
        [(_info(f"{TOP}/../../{ESCAPED}"), PAYLOAD)],
        f"{TOP}/../../{ESCAPED}",
        "escapes the target folder (a '..' component)",
    ),
    "absolute": (
        [(_info(f"/tmp/bale-trust/{ESCAPED}"), PAYLOAD)],
        f"/tmp/bale-trust/{ESCAPED}",
        "is an absolute path",
    ),
    "drive": ([(_info(f"C:/{ESCAPED}"), PAYLOAD)], f"C:/{ESCAPED}", "starts with a drive letter"),
    "backslash": (
        [(_info(f"{TOP}\\..\\..\\{ESCAPED}"), PAYLOAD)],
        f"{TOP}\\..\\..\\{ESCAPED}",
        "uses a backslash in its name (a path separator on Windows)",
    ),
    "symlink-absolute": (
        [(_info(f"{TOP}/etc", tarfile.SYMTYPE, link="/etc"), b"")],
        f"{TOP}/etc",
        "is a link to the absolute path '/etc', outside the target folder",
    ),
    "symlink-escape": (
        [(_info(f"{TOP}/up", tarfile.SYMTYPE, link="../.."), b"")],
        f"{TOP}/up",
        "is a symbolic link to '../..', which resolves outside the target folder",
    ),
    # Each link alone looks inside ('b' is the root, 'a' is 'b/..'), but 'a' resolves to above the root:
    # the chain that one-hop checks (tarfile's data filter before 3.12.11/3.13.4) let through.
    "symlink-chain": (
        [
            (_info(f"{TOP}/sub/b", tarfile.SYMTYPE, link="../.."), b""),
            (_info(f"{TOP}/a", tarfile.SYMTYPE, link="sub/b/.."), b""),
        ],
        f"{TOP}/a",
        "is a symbolic link to 'sub/b/..', which resolves outside the target folder",
    ),
    "link-to-link-escape": (
        [
            (_info(f"{TOP}/x", tarfile.SYMTYPE, link="."), b""),
            (_info(f"{TOP}/y", tarfile.SYMTYPE, link="x/../.."), b""),
        ],
        f"{TOP}/y",
        "is a symbolic link to 'x/../..', which resolves outside the target folder",
    ),
    "write-through-symlink": (
        [
            (_info(f"{TOP}/docs", tarfile.SYMTYPE, link="."), b""),
            (_info(f"{TOP}/docs/{ESCAPED}"), PAYLOAD),
        ],
        f"{TOP}/docs/{ESCAPED}",
        f"is inside the symbolic link '{TOP}/docs'",
    ),
    "hardlink-outside": (
        [(_info(f"{TOP}/passwd", tarfile.LNKTYPE, link="../../etc/passwd"), b"")],
        f"{TOP}/passwd",
        "is a hard link to '../../etc/passwd', outside the target folder",
    ),
    "hardlink-to-folder": (
        [(_info(f"{TOP}/h", tarfile.LNKTYPE, link=TOP), b"")],
        f"{TOP}/h",
        f"is a hard link to '{TOP}', which is not a regular file of the archive",
    ),
    "device": (
        [(_info(f"{TOP}/null", tarfile.CHRTYPE), b"")],
        f"{TOP}/null",
        "is a character device, which a source distribution has no use for",
    ),
    "fifo": (
        [(_info(f"{TOP}/pipe", tarfile.FIFOTYPE), b"")],
        f"{TOP}/pipe",
        "is a FIFO (named pipe), which a source distribution has no use for",
    ),
    # tarfile reads pax headers into memory whole: 2 MB here, gigabytes from a few MB of gzip.
    "huge-pax-header": (
        [(_info(f"{TOP}/x", pax={"comment": "x" * 2_000_000}), b"")],
        "././@PaxHeader",
        "has a 1.9 MiB extended header (real ones hold a path or a few fields)",
    ),
    "duplicate": (
        [(_info(f"{TOP}/pyproject.toml"), b"[build-system]\nrequires = []\n")],
        f"{TOP}/pyproject.toml",
        "appears twice in the archive",
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_TAR_MEMBERS))
def test_hostile_tar_sdist_members_are_refused(bale: Bale, venv: Venv, tmp_path: Path, kind: str) -> None:
    members, member, problem = HOSTILE_TAR_MEMBERS[kind]
    folder = tmp_path / "links"
    sdist = tar_sdist(folder, members)

    result = install(bale, folder)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0.tar.gz: member '{member}' {problem}",
            f"  file: {str(sdist).replace(str(tmp_path), '[TMP]')}",
            SDIST_HINT,
        ],
    )
    assert not Path(f"/tmp/bale-trust/{ESCAPED}").exists()


HOSTILE_ZIP_MEMBERS = {
    "dotdot": (
        [(f"{TOP}/../../{ESCAPED}", PAYLOAD, stat.S_IFREG | 0o644)],
        f"{TOP}/../../{ESCAPED}",
        "escapes the target folder (a '..' component)",
    ),
    "absolute": (
        [(f"/tmp/bale-trust/{ESCAPED}", PAYLOAD, stat.S_IFREG | 0o644)],
        f"/tmp/bale-trust/{ESCAPED}",
        "is an absolute path",
    ),
    "symlink-escape": (
        [(f"{TOP}/up", b"../../..", stat.S_IFLNK | 0o777)],
        f"{TOP}/up",
        "is a symbolic link to '../../..', which resolves outside the target folder",
    ),
    "fifo": (
        [(f"{TOP}/pipe", b"", stat.S_IFIFO | 0o644)],
        f"{TOP}/pipe",
        "is a device, FIFO or socket, which a source distribution has no use for",
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_ZIP_MEMBERS))
def test_hostile_zip_sdist_members_are_refused(bale: Bale, venv: Venv, tmp_path: Path, kind: str) -> None:
    members, member, problem = HOSTILE_ZIP_MEMBERS[kind]
    folder = tmp_path / "links"
    sdist = zip_sdist(folder, members)

    result = install(bale, folder)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0.zip: member '{member}' {problem}",
            f"  file: {str(sdist).replace(str(tmp_path), '[TMP]')}",
            SDIST_HINT,
        ],
    )


def test_a_zip_sdist_with_data_in_front_is_refused(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    sdist = zip_sdist(folder, [])
    stub = b"#!/bin/sh\necho self-extracting\n"
    sdist.write_bytes(stub + sdist.read_bytes())

    result = install(bale, folder)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0.zip: has {len(stub)} bytes of data before the archive "
            "(data prepended to it, or another archive concatenated in front)",
            f"  file: {str(sdist).replace(str(tmp_path), '[TMP]')}",
            SDIST_HINT,
        ],
    )


def _mode_probe() -> str:
    # The in-tree backend puts the extracted modes and link targets into the wheel it builds.
    return (
        '("VALUE = %r\\n" % [oct(os.stat("tool.sh").st_mode & 0o7777), os.readlink("README.md"), '
        'open("README.md").read(), open("copy.txt").read(), open("data/notes.txt").read()]).encode()'
    )


def test_a_tar_sdist_with_safe_links_builds_and_drops_setuid_bits(
    bale: Bale, venv: Venv, tmp_path: Path
) -> None:
    """``./`` prefixes, a symlink and a hard link inside the tree, a setuid script: all fine, bits dropped."""
    folder = tmp_path / "links"
    top = "./evil-1.0"
    files = _project_files("evil", backend_extra=_mode_probe())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.addfile(_info("./", tarfile.DIRTYPE, mode=0o755))
        members: list[tuple[tarfile.TarInfo, bytes]] = [
            (_info(f"{top}/{path}"), data) for path, data in files.items()
        ]
        members += [
            (_info(f"{top}/tool.sh", mode=0o6755), b"#!/bin/sh\necho tool\n"),
            (_info(f"{top}/docs/README.md"), b"the readme\n"),
            (_info(f"{top}/README.md", tarfile.SYMTYPE, link="docs/README.md"), b""),
            (_info(f"{top}/copy.txt", tarfile.LNKTYPE, link=f"{top}/docs/README.md"), b""),
            (_info(f"{top}/data", tarfile.SYMTYPE, link="docs/../docs"), b""),
            (_info(f"{top}/docs/notes.txt"), b"notes through a link\n"),
        ]
        for info, data in members:
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            archive.addfile(info, io.BytesIO(data))
    folder.mkdir()
    (folder / "evil-1.0.tar.gz").write_bytes(buffer.getvalue())

    result = install(bale, folder)

    assert result.code == 0, result
    done = venv.run("-c", "import evil; print(evil.VALUE)")
    assert done.stdout.strip() == str(
        ["0o755", "docs/README.md", "the readme\n", "the readme\n", "notes through a link\n"]
    ), done.stderr


def test_a_zip_sdist_with_an_inner_symlink_builds(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    folder.mkdir()
    path = folder / "evil-1.0.zip"
    files = _project_files(
        "evil",
        backend_extra='("VALUE = %r\\n" % [os.readlink("README.md"), '
        'oct(os.stat("run.sh").st_mode & 0o7777)]).encode()',
    )
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(f"evil-1.0/{member}", data)
        for member, data, mode in [
            ("evil-1.0/docs/README.md", b"readme\n", stat.S_IFREG | 0o644),
            ("evil-1.0/README.md", b"docs/README.md", stat.S_IFLNK | 0o777),
            ("evil-1.0/run.sh", b"#!/bin/sh\n", stat.S_IFREG | stat.S_ISUID | 0o755),
        ]:
            info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = mode << 16
            archive.writestr(info, data)

    result = install(bale, folder)

    assert result.code == 0, result
    done = venv.run("-c", "import evil; print(evil.VALUE)")
    assert done.stdout.strip() == str(["docs/README.md", "0o755"]), done.stderr


# -- wheels ------------------------------------------------------------------------------------------


def _prepended(data: bytes) -> bytes:
    return b"\x7fELF" + b"\0" * 60 + data


def _trailing(data: bytes) -> bytes:
    return data + b"trailing junk"


def _local_name(data: bytes) -> bytes:
    offset = header_offset(data, "evil/__init__.py") + 30
    patched = bytearray(data)
    assert patched[offset : offset + 16] == b"evil/__init__.py"
    patched[offset : offset + 16] = b"evil/__init__.pz"
    return bytes(patched)


def _local_size(data: bytes) -> bytes:
    offset = header_offset(data, "evil/__init__.py") + 22
    patched = bytearray(data)
    (size,) = struct.unpack_from("<I", patched, offset)
    struct.pack_into("<I", patched, offset, size + 100)
    return bytes(patched)


def _local_method(data: bytes) -> bytes:
    offset = header_offset(data, "evil/__init__.py") + 8
    patched = bytearray(data)
    assert struct.unpack_from("<H", patched, offset) == (zipfile.ZIP_DEFLATED,)
    struct.pack_into("<H", patched, offset, zipfile.ZIP_STORED)
    return bytes(patched)


def _second_end_record(data: bytes) -> bytes:
    # An archive comment that is itself an end record: the reader that takes the last 22 bytes sees
    # an empty archive, the one that checks the comment length sees the wheel.
    fake = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0)
    patched = bytearray(data)
    struct.pack_into("<H", patched, len(data) - 2, len(fake))
    return bytes(patched) + fake


WHEEL_LAYOUTS = {
    "prepended": (
        _prepended,
        "has 64 bytes of data before the archive (data prepended to it, or another archive "
        "concatenated in front)",
    ),
    "trailing": (_trailing, "has 13 bytes of data after the end of the archive"),
    "local-name": (
        _local_name,
        "member 'evil/__init__.py' is named 'evil/__init__.pz' in its local file header "
        "(a different name for the same bytes)",
    ),
    "local-method": (
        _local_method,
        "member 'evil/__init__.py' is compressed with method 0 in its local header but 8 in the "
        "central directory",
    ),
    "second-end-record": (
        _second_end_record,
        "has several end of central directory records (different readers see different files)",
    ),
}


@pytest.mark.parametrize("kind", sorted(WHEEL_LAYOUTS))
def test_ambiguous_wheels_are_refused(bale: Bale, venv: Venv, tmp_path: Path, kind: str) -> None:
    mutate, problem = WHEEL_LAYOUTS[kind]
    folder = tmp_path / "links"
    wheel = put_wheel(folder, mutate(wheel_bytes(tmp_path)))

    result = install_file(bale, wheel)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0-py3-none-any.whl: {problem}",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            WHEEL_HINT,
        ],
    )


def test_a_local_header_lying_about_sizes_is_refused(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    data = wheel_bytes(tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("evil/__init__.py")
    folder = tmp_path / "links"
    wheel = put_wheel(folder, _local_size(data))

    result = install(bale, folder)

    c, u, crc = info.compress_size, info.file_size, info.CRC
    assert_refused(
        result,
        tmp_path,
        venv,
        [
            "error: Refusing to unpack evil-1.0-py3-none-any.whl: member 'evil/__init__.py' has a "
            f"local header saying {u + 100} bytes ({c} compressed, CRC {crc:08x}) but the central "
            f"directory says {u} ({c} compressed, CRC {crc:08x})",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            WHEEL_HINT,
        ],
    )


def test_concatenated_wheels_are_refused(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    first = wheel_bytes(tmp_path)
    second = make_wheel(
        Pkg("evil", "1.0", files={"evil/extra.py": "X = 1\n"}), tmp_path / "other"
    ).read_bytes()
    folder = tmp_path / "links"
    wheel = put_wheel(folder, first + second)

    result = install(bale, folder)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0-py3-none-any.whl: has {len(first)} bytes of data before the "
            "archive (data prepended to it, or another archive concatenated in front)",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            WHEEL_HINT,
        ],
    )


def test_overlapping_members_are_refused(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    # Two central entries sharing one local record: the trick of non-recursive zip bombs.
    body = b"A = 1\n"
    folder = tmp_path / "links"
    wheel = put_wheel(folder, raw_zip([("evil/a.py", body, 0), ("evil/a.py.bak", body, 0)]))

    result = install_file(bale, wheel)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            "error: Refusing to unpack evil-1.0-py3-none-any.whl: member 'evil/a.py.bak' overlaps the "
            "member before it (several entries share the same bytes, as in a zip bomb)",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            WHEEL_HINT,
        ],
    )


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        (
            "./evil/__init__.py",
            "member './evil/__init__.py' has a '.' or empty component in its name (another name for "
            "the same file)",
        ),
        (
            "evil//__init__.py",
            "member 'evil//__init__.py' has a '.' or empty component in its name (another name for "
            "the same file)",
        ),
        (
            "EVIL/__init__.py",
            "member 'EVIL/__init__.py' differs only in case from 'evil/__init__.py' (they collide on "
            "macOS and Windows)",
        ),
        ("evil/__init__.py", "member 'evil/__init__.py' appears twice in the archive"),
    ],
)
def test_names_that_are_the_same_file_are_refused(
    bale: Bale,
    venv: Venv,
    tmp_path: Path,
    second: str,
    problem: str,
) -> None:
    data = wheel_bytes(tmp_path)
    buffer = io.BytesIO(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr(second, b"raise SystemExit('the other copy')\n")
    folder = tmp_path / "links"
    wheel = put_wheel(folder, buffer.getvalue())

    result = install(bale, folder)

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0-py3-none-any.whl: {problem}",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            WHEEL_HINT,
        ],
    )


def test_an_ambiguous_wheel_from_an_index_is_refused(
    bale: Bale,
    venv: Venv,
    tmp_path: Path,
    static_index,
) -> None:
    folder = tmp_path / "served"
    put_wheel(folder, _trailing(wheel_bytes(tmp_path)))
    server = static_index([folder / "evil-1.0-py3-none-any.whl"])

    result = bale("pip", "install", "evil", "--index-url", server.url)

    assert result.code == 1, result
    lines = scrub(result.stderr, {tmp_path: "[TMP]"}).splitlines()
    assert (
        lines[0]
        == "error: Refusing to unpack evil-1.0-py3-none-any.whl: has 13 bytes of data after the end of "
        "the archive"
    )
    assert lines[1].startswith("  wheel file: [TMP]/bale-home/cache/")
    assert lines[2:] == [WHEEL_HINT]
    assert venv.dist_infos() == []
    # Nothing of the refused download is kept for the next run to trust.
    cache = tmp_path / "bale-home" / "cache"
    assert [p for p in cache.rglob("*.whl")] == []


# -- limits ------------------------------------------------------------------------------------------

BOMB_SIZE = 80 * 1024 * 1024  # above the 64 MiB below which members are exempt from the ratio


def _bomb_wheel(tmp_path: Path) -> bytes:
    return wheel_bytes(tmp_path, Pkg("evil", "1.0", files={"evil/zeros.bin": b"\0" * BOMB_SIZE}))


def test_a_wheel_bomb_is_refused_naming_the_limit(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    data = _bomb_wheel(tmp_path)
    wheel = put_wheel(folder, data)
    with zipfile.ZipFile(wheel) as archive:
        compressed = archive.getinfo("evil/zeros.bin").compress_size

    result = install(bale, folder)

    ratio = BOMB_SIZE / compressed
    shown = format_size(compressed)
    assert_refused(
        result,
        tmp_path,
        venv,
        [
            "error: Refusing to unpack evil-1.0-py3-none-any.whl: member 'evil/zeros.bin' unpacks to "
            f"80 MiB from {shown}, a compression ratio of {ratio:,.0f}:1 above the limit of 200:1 set by "
            "BALE_MAX_COMPRESSION_RATIO (a zip bomb)",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            "hint: if the archive is genuine, raise the limit: BALE_MAX_COMPRESSION_RATIO=2000",
        ],
    )


def test_the_unpacked_size_limit_is_configurable(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    blob = os.urandom(300 * 1024)
    wheel = put_wheel(folder, wheel_bytes(tmp_path, Pkg("evil", "1.0", files={"evil/blob.bin": blob})))

    refused = install(bale, folder, env={"BALE_MAX_UNPACKED_SIZE": "256KiB"})

    assert_refused(
        refused,
        tmp_path,
        venv,
        [
            "error: Refusing to unpack evil-1.0-py3-none-any.whl: unpacks to more than 256 KiB, the "
            "limit set by BALE_MAX_UNPACKED_SIZE",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            "hint: if the archive is genuine, raise the limit: BALE_MAX_UNPACKED_SIZE=1MiB",
        ],
    )
    allowed = install(bale, folder, env={"BALE_MAX_UNPACKED_SIZE": "1MiB"})
    assert allowed.code == 0, allowed
    assert venv.dist_infos() == ["evil-1.0.dist-info"]


def test_the_member_count_limit_is_configurable(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    files = {f"evil/m{i}.py": f"N = {i}\n" for i in range(30)}
    wheel = put_wheel(folder, wheel_bytes(tmp_path, Pkg("evil", "1.0", files=files)))

    refused = install(bale, folder, env={"BALE_MAX_MEMBERS": "20"})

    assert_refused(
        refused,
        tmp_path,
        venv,
        [
            "error: Refusing to unpack evil-1.0-py3-none-any.whl: has more than 20 members, the limit set by "
            "BALE_MAX_MEMBERS",
            f"  wheel file: {str(wheel).replace(str(tmp_path), '[TMP]')}",
            "hint: if the archive is genuine, raise the limit: BALE_MAX_MEMBERS=80",
        ],
    )
    allowed = install(bale, folder, env={"BALE_MAX_MEMBERS": "80"})
    assert allowed.code == 0, allowed


def test_an_sdist_bomb_is_refused(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    sdist = tar_sdist(folder, [(_info(f"{TOP}/zeros.bin"), b"\0" * BOMB_SIZE)])
    size = sdist.stat().st_size

    result = install(bale, folder)

    total = BOMB_SIZE + sum(len(d) for d in _project_files("evil").values())
    assert_refused(
        result,
        tmp_path,
        venv,
        [
            f"error: Refusing to unpack evil-1.0.tar.gz: unpacks to {format_size(total)} from "
            f"{format_size(size)}, a compression ratio of {total / size:,.0f}:1 above the limit of 200:1 "
            "set by BALE_MAX_COMPRESSION_RATIO (a zip bomb)",
            f"  file: {str(sdist).replace(str(tmp_path), '[TMP]')}",
            "hint: if the archive is genuine, raise the limit: BALE_MAX_COMPRESSION_RATIO=2000",
        ],
    )


def test_an_sdist_with_too_many_members_is_refused(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    sdist = tar_sdist(folder, [(_info(f"{TOP}/f{i}.txt"), b"x") for i in range(20)])

    result = install(bale, folder, env={"BALE_MAX_MEMBERS": "10"})

    assert_refused(
        result,
        tmp_path,
        venv,
        [
            "error: Refusing to unpack evil-1.0.tar.gz: has more than 10 members, the limit set by "
            "BALE_MAX_MEMBERS",
            f"  file: {str(sdist).replace(str(tmp_path), '[TMP]')}",
            "hint: if the archive is genuine, raise the limit: BALE_MAX_MEMBERS=40",
        ],
    )


def test_an_invalid_limit_is_named(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    put_wheel(folder, wheel_bytes(tmp_path))

    result = install(bale, folder, env={"BALE_MAX_UNPACKED_SIZE": "lots"})

    assert result.code == 1, result
    assert result.stderr.splitlines() == [
        "error: BALE_MAX_UNPACKED_SIZE must be a size in bytes, optionally with a unit (e.g. 20GiB or 500M), "
        "not 'lots'"
    ]
    assert venv.dist_infos() == []


# -- what real tools write stays accepted --------------------------------------------------------------


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors after each member."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: object) -> int:
        view = memoryview(chunk)  # type: ignore[arg-type]
        self.data += view
        return len(view)


def _layout_ok(data: bytes) -> None:
    from bale.dist.zip_layout import check_zip_layout

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.fp is not None
        check_zip_layout(archive.fp, len(data), archive.infolist())


def test_zip64_end_records_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    # Over 65,535 members, the counts live in the ZIP64 end record only; zipfile writes one for
    # fewer members when its limit is lowered (70,000 real members take ~10 s to write).
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 5)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(10):
            archive.writestr(f"f/{index}", b"")
    data = buffer.getvalue()
    assert b"PK\x06\x06" in data[-200:]
    _layout_ok(data)


def test_zip64_members_data_descriptors_and_comments_are_accepted() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("big.bin", "w", force_zip64=True) as handle:
            handle.write(b"x" * 1000)
        archive.writestr("small.txt", b"y")
        archive.comment = b"built by hand"
    _layout_ok(buffer.getvalue())
    for force_zip64 in (False, True):
        stream = _Unseekable()
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("a.txt", b"hello" * 100)
            with archive.open("b.txt", "w", force_zip64=force_zip64) as handle:
                handle.write(b"world" * 100)
        _layout_ok(bytes(stream.data))


def test_info_zip_archives_are_accepted(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("zip") is None:
        pytest.skip("Info-ZIP's zip is not installed")
    tree = tmp_path / "tree" / "pkg"
    tree.mkdir(parents=True)
    (tree / "a.txt").write_text("\n".join(map(str, range(10_000))))
    (tree / "b.py").write_text("B = 1\n")
    os.symlink("b.py", tree / "link.py")
    for flags in ("-qr", "-qry"):
        out = tmp_path / f"out{flags}.zip"
        subprocess.run(["zip", flags, str(out), "pkg"], cwd=tree.parent, check=True)
        _layout_ok(out.read_bytes())


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, (8 * 1024**3, 200_000, 200.0)),
        ({"BALE_MAX_UNPACKED_SIZE": "20GiB"}, (20 * 1024**3, 200_000, 200.0)),
        ({"BALE_MAX_UNPACKED_SIZE": "500M", "BALE_MAX_MEMBERS": "10"}, (500 * 1024**2, 10, 200.0)),
        ({"BALE_MAX_UNPACKED_SIZE": "1234", "BALE_MAX_COMPRESSION_RATIO": "1e3"}, (1234, 200_000, 1000.0)),
        ({"BALE_MAX_UNPACKED_SIZE": " 2 kb "}, (2048, 200_000, 200.0)),
    ],
)
def test_limits_are_read_from_the_environment(
    environ: dict[str, str], expected: tuple[int, int, float]
) -> None:
    from bale.dist.limits import archive_limits

    limits = archive_limits(environ)
    assert (limits.max_unpacked_size, limits.max_members, limits.max_compression_ratio) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BALE_MAX_MEMBERS", "-1", "BALE_MAX_MEMBERS must be a whole number of members, not '-1'"),
        (
            "BALE_MAX_COMPRESSION_RATIO",
            "nan",
            "BALE_MAX_COMPRESSION_RATIO must be a number (e.g. 500), not 'nan'",
        ),
        (
            "BALE_MAX_UNPACKED_SIZE",
            "0",
            "BALE_MAX_UNPACKED_SIZE must be a size in bytes, optionally with a unit "
            "(e.g. 20GiB or 500M), not '0'",
        ),
    ],
)
def test_invalid_limits_are_refused(name: str, value: str, message: str) -> None:
    from bale.dist.limits import archive_limits
    from bale.errors import BaleError

    with pytest.raises(BaleError) as caught:
        archive_limits({name: value})
    assert caught.value.render() == message
