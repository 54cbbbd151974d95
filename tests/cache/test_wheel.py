"""dist/wheel.py: every way a wheel can lie or escape is refused before anything lands in the cache."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from bale.cache.cache import ARCHIVE_MARKER, Cache
from bale.dist.prepare import unpacked_wheel
from bale.dist.wheel import validate_and_unpack
from bale.errors import BaleError, UnsafeArchiveError
from tests.support.builders import (
    BAD_WHEEL_KINDS,
    FIXED_DATE_TIME,
    Pkg,
    make_bad_wheel,
    make_wheel,
    record_hash,
    sha256_of,
)

# What each bad kind must name (besides the wheel file), and the problem it states.
BAD_KIND_MESSAGES = {
    "traversal": "member '../evil.txt' escapes the target directory",
    "absolute": "member '/tmp/evil.txt' is an absolute path",
    "drive": "member 'C:/evil.txt' starts with a drive letter",
    "duplicate": "member 'evil/__init__.py' appears twice in the archive",
    "record-mismatch": "member 'evil/__init__.py' does not match its sha256 hash in RECORD",
    "record-missing-file": "member 'evil/unlisted.py' is not listed in evil-1.0.dist-info/RECORD",
    "entry-point-path": (
        "member 'evil-1.0.dist-info/entry_points.txt' declares a script named '../../bin/evil'"
    ),
}


def _cache_entries(cache: Cache) -> dict[str, list[str]]:
    return {
        name: sorted(os.listdir(path))
        for name, path in (("archive", cache.bucket_path("archive")), ("tmp", cache.temp_root))
        if path.exists()
    }


@pytest.mark.parametrize("kind", BAD_WHEEL_KINDS)
def test_bad_wheels_are_refused_and_leave_nothing_in_the_cache(tmp_path: Path, kind: str) -> None:
    wheel = make_bad_wheel(tmp_path / "wheels", kind)
    cache = Cache(tmp_path / "cache")
    with pytest.raises(BaleError) as info:
        unpacked_wheel(cache, wheel)
    message = str(info.value)
    if kind == "truncated":
        assert type(info.value) is BaleError
        assert message.startswith("evil-1.0-py3-none-any.whl is not a valid wheel (truncated or corrupt zip)")
    else:
        assert isinstance(info.value, UnsafeArchiveError)
        assert message.startswith(f"Refusing to unpack evil-1.0-py3-none-any.whl: {BAD_KIND_MESSAGES[kind]}")
    assert f"wheel file: {wheel}" in message
    assert _cache_entries(cache) == {"archive": [], "tmp": []}
    assert not (tmp_path / "evil.txt").exists()


def _zip(path: Path, members: list[tuple[str, bytes]], *, mode: int = 0o644) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


def _wheel(
    tmp_path: Path,
    files: dict[str, bytes],
    *,
    dist_info: str = "demo-1.0.dist-info",
    wheel_text: bytes = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n",
    record_rows: list[str] | None = None,
    extra_members: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    filename: str = "demo-1.0-py3-none-any.whl",
) -> Path:
    members = [*files.items(), (f"{dist_info}/WHEEL", wheel_text)]
    rows = [f"{name},{record_hash(data)},{len(data)}" for name, data in members]
    if record_rows is not None:
        rows = record_rows
    members.append((f"{dist_info}/RECORD", ("\n".join([*rows, f"{dist_info}/RECORD,,"]) + "\n").encode()))
    members.extend(extra_members)
    return _zip(tmp_path / filename, members)


def _refusal(wheel: Path, dest: Path) -> str:
    with pytest.raises(UnsafeArchiveError) as info:
        validate_and_unpack(wheel, dest, name_hint=wheel.name)
    assert not dest.exists()
    return info.value.message


MODULE = {"demo/__init__.py": b"x = 1\n"}
WHEEL_1 = b"Wheel-Version: 1.0\n"


def test_backslash_separator_is_refused(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, {**MODULE, "..\\evil.txt": b"x"})
    assert _refusal(wheel, tmp_path / "out") == (
        "Refusing to unpack demo-1.0-py3-none-any.whl: member '..\\evil.txt' uses a backslash as a path "
        "separator (it could escape the target directory)"
    )


def test_names_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, {**MODULE, "demo/Readme.txt": b"a", "demo/README.txt": b"b"})
    assert _refusal(wheel, tmp_path / "out").endswith(
        "member 'demo/README.txt' differs only in case from 'demo/Readme.txt' "
        "(they collide on macOS and Windows)"
    )


def test_file_and_directory_of_the_same_name_are_refused(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, {**MODULE, "demo/sub": b"a", "demo/sub/x.py": b"b"})
    assert _refusal(wheel, tmp_path / "out").endswith("member 'demo/sub' is both a file and a directory")


def test_dist_info_must_match_the_file_name(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, MODULE, dist_info="other-1.0.dist-info")
    assert _refusal(wheel, tmp_path / "out").endswith(
        "'other-1.0.dist-info' does not match the wheel's name and version "
        "(demo 1.0 from demo-1.0-py3-none-any.whl)"
    )
    wheel = _wheel(tmp_path, MODULE, dist_info="demo-2.0.dist-info")
    assert "'demo-2.0.dist-info' does not match" in _refusal(wheel, tmp_path / "out")


def test_dist_info_may_spell_the_name_differently(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, MODULE, dist_info="Demo-1.0.0.dist-info")
    validate_and_unpack(wheel, tmp_path / "out", name_hint=wheel.name)
    assert (tmp_path / "out" / "Demo-1.0.0.dist-info" / "RECORD").is_file()


def test_record_missing_is_refused(tmp_path: Path) -> None:
    wheel = _zip(
        tmp_path / "demo-1.0-py3-none-any.whl",
        [("demo/__init__.py", b""), ("demo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n")],
    )
    assert _refusal(wheel, tmp_path / "out").endswith(
        "has no demo-1.0.dist-info/RECORD (the list of files and their hashes)"
    )


def test_record_listing_an_absent_file_is_refused(tmp_path: Path) -> None:
    data = MODULE["demo/__init__.py"]
    rows = [
        f"demo/__init__.py,{record_hash(data)},{len(data)}",
        f"demo-1.0.dist-info/WHEEL,{record_hash(WHEEL_1)},{len(WHEEL_1)}",
        f"demo/ghost.py,{record_hash(b'')},0",
    ]
    wheel = _wheel(tmp_path, MODULE, wheel_text=WHEEL_1, record_rows=rows)
    assert _refusal(wheel, tmp_path / "out").endswith(
        "'demo/ghost.py' is listed in demo-1.0.dist-info/RECORD but is not in the archive"
    )


def test_record_size_disagreeing_with_the_member_is_refused(tmp_path: Path) -> None:
    data = MODULE["demo/__init__.py"]
    rows = [
        f"demo/__init__.py,{record_hash(data)},999",
        f"demo-1.0.dist-info/WHEEL,{record_hash(WHEEL_1)},{len(WHEEL_1)}",
    ]
    wheel = _wheel(tmp_path, MODULE, wheel_text=WHEEL_1, record_rows=rows)
    assert _refusal(wheel, tmp_path / "out").endswith(
        "member 'demo/__init__.py' is 6 bytes but demo-1.0.dist-info/RECORD says 999"
    )


def test_weak_record_hash_is_refused(tmp_path: Path) -> None:
    rows = ["demo/__init__.py,md5=abc,6", "demo-1.0.dist-info/WHEEL,,"]
    wheel = _wheel(tmp_path, MODULE, record_rows=rows)
    assert _refusal(wheel, tmp_path / "out").endswith(
        "member 'demo-1.0.dist-info/RECORD' line 1 uses the weak hash md5"
    )


def test_signatures_need_no_record_row(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, MODULE, extra_members=[("demo-1.0.dist-info/RECORD.jws", b"{}")])
    validate_and_unpack(wheel, tmp_path / "out")
    assert (tmp_path / "out" / "demo-1.0.dist-info" / "RECORD.jws").read_bytes() == b"{}"


@pytest.mark.parametrize(
    ("wheel_text", "problem"),
    [
        (b"Wheel-Version: 2.0\n", "declares Wheel-Version 2.0, which this version of bale cannot install"),
        (b"Generator: x\n", "has no Wheel-Version field"),
    ],
)
def test_wheel_file_version_is_checked(tmp_path: Path, wheel_text: bytes, problem: str) -> None:
    wheel = _wheel(tmp_path, MODULE, wheel_text=wheel_text)
    assert _refusal(wheel, tmp_path / "out").endswith(f"member 'demo-1.0.dist-info/WHEEL' {problem}")


def test_missing_wheel_file_is_refused(tmp_path: Path) -> None:
    data = MODULE["demo/__init__.py"]
    record = f"demo/__init__.py,{record_hash(data)},{len(data)}\ndemo-1.0.dist-info/RECORD,,\n".encode()
    wheel = _zip(
        tmp_path / "demo-1.0-py3-none-any.whl",
        [("demo/__init__.py", data), ("demo-1.0.dist-info/RECORD", record)],
    )
    assert _refusal(wheel, tmp_path / "out").endswith("has no demo-1.0.dist-info/WHEEL file")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("bin/tool = demo:main", "declares a script named 'bin/tool', which is not a plain file name"),
        (" = demo:main", "declares a script named '', which is not a plain file name"),
        ("tool = demo.main", "declares script 'tool' as 'demo.main', which is not 'module:attribute'"),
        ("tool = demo:", "declares script 'tool' as 'demo:', which is not 'module:attribute'"),
        ("tool = ../x:main", "declares script 'tool' as '../x:main', which is not 'module:attribute'"),
    ],
)
def test_entry_points_are_checked(tmp_path: Path, line: str, problem: str) -> None:
    text = f"[console_scripts]\n{line}\n".encode()
    wheel = _wheel(tmp_path, {**MODULE, "demo-1.0.dist-info/entry_points.txt": text})
    assert _refusal(wheel, tmp_path / "out").endswith(
        f"member 'demo-1.0.dist-info/entry_points.txt' {problem}"
    )


def test_other_entry_point_groups_are_not_script_names(tmp_path: Path) -> None:
    text = b"[console_scripts]\ntool = demo.cli:main [extra]\n\n[pytest11]\nx/y = demo.plugin\n"
    wheel = _wheel(tmp_path, {**MODULE, "demo-1.0.dist-info/entry_points.txt": text})
    validate_and_unpack(wheel, tmp_path / "out")


def test_invalid_file_name_is_refused(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, MODULE, filename="demo.whl")
    assert _refusal(wheel, tmp_path / "out") == (
        "Refusing to unpack demo.whl: 'demo.whl' is not a valid wheel file name (name-version-tags.whl)"
    )


def test_name_hint_names_a_download_in_progress(tmp_path: Path) -> None:
    wheel = make_wheel(Pkg("demo", "1.0"), tmp_path)
    partial = wheel.rename(tmp_path / "download.part")
    validate_and_unpack(partial, tmp_path / "out", name_hint="demo-1.0-py3-none-any.whl")
    assert (tmp_path / "out" / "demo" / "__init__.py").is_file()


def test_not_a_zip(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"<html>404</html>")
    with pytest.raises(BaleError) as info:
        validate_and_unpack(wheel, tmp_path / "out")
    assert info.value.message == "demo-1.0-py3-none-any.whl is not a valid wheel (truncated or corrupt zip)"
    assert not (tmp_path / "out").exists()


def test_good_wheel_unpacks_exactly_with_exec_bits(tmp_path: Path) -> None:
    pkg = Pkg(
        "Demo.Pkg",
        "2.0",
        files={"demo_pkg/__init__.py": "", "demo_pkg/data/blob.bin": b"\x00" * 3_000_000},
        data={"scripts": {"demo-tool": "#!python\nprint('hi')\n"}, "data": {"share/demo.txt": "x"}},
        entry_points={"console_scripts": {"demo": "demo_pkg:main"}},
    )
    wheel = make_wheel(pkg, tmp_path / "wheels")
    cache = Cache(tmp_path / "cache")
    tree = unpacked_wheel(cache, wheel)
    assert tree == cache.root / "archive-v2" / sha256_of(wheel)
    with zipfile.ZipFile(wheel) as archive:
        members = sorted(archive.namelist())
    found = sorted(
        os.path.relpath(os.path.join(root, f), tree).replace(os.sep, "/")
        for root, _, files in os.walk(tree)
        for f in files
    )
    # The members exactly, and the marker saying the tree is whole.
    assert found == sorted([*members, ARCHIVE_MARKER])
    script = tree / "demo_pkg-2.0.data" / "scripts" / "demo-tool"
    assert os.stat(script).st_mode & stat.S_IXUSR
    assert not os.stat(tree / "demo_pkg" / "__init__.py").st_mode & stat.S_IXUSR
    assert (tree / "demo_pkg" / "data" / "blob.bin").stat().st_size == 3_000_000
    assert os.listdir(cache.temp_root) == []


def test_corrupt_member_data_is_caught_while_extracting(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 64
    wheel = _wheel(tmp_path, {"demo/__init__.py": b"", "demo/blob.bin": payload})
    raw = bytearray(wheel.read_bytes())
    offset = raw.index(payload[:64]) + 100  # stored uncompressed: flip a byte inside the member's data
    raw[offset] ^= 0xFF
    wheel.write_bytes(bytes(raw))
    with pytest.raises(BaleError) as info:
        validate_and_unpack(wheel, tmp_path / "out")
    assert info.value.message == "demo-1.0-py3-none-any.whl is not a valid wheel (truncated or corrupt zip)"
    assert "Bad CRC-32 for file 'demo/blob.bin'" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_destination_must_be_empty(tmp_path: Path) -> None:
    wheel = make_wheel(Pkg("demo"), tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious").write_text("keep me")
    with pytest.raises(ValueError, match="is not empty"):
        validate_and_unpack(wheel, tmp_path / "out")
    assert (tmp_path / "out" / "precious").read_text() == "keep me"
