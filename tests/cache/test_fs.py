"""fs/: atomic writes, directory renames that tolerate a lost race, file locks, linking and temp dirs."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.fs import link
from bale.fs.atomic import replace_dir, write_atomic
from bale.fs.link import Linker, link_mode_from_env
from bale.fs.lock import FileLock
from bale.fs.temp import make_temp_dir, remove_tree, temp_dir


def test_write_atomic_writes_bytes_and_text(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    write_atomic(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    write_atomic(target, b"\x00\x01", fsync=True)
    assert target.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_write_atomic_failure_keeps_old_content_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "disk on fire")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_replace_dir_places_then_keeps_the_winner(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    first = make_temp_dir(tmp_path / "tmp")
    (first / "a").write_text("first")
    assert replace_dir(first, final) is True
    second = make_temp_dir(tmp_path / "tmp")
    (second / "a").write_text("second")
    assert replace_dir(second, final) is False
    assert (final / "a").read_text() == "first"
    assert not second.exists()
    assert os.listdir(tmp_path / "tmp") == []


def test_temp_dir_is_removed_unless_renamed(tmp_path: Path) -> None:
    with temp_dir(tmp_path) as tmp:
        (tmp / "x").write_text("x")
        assert tmp.parent == tmp_path
    assert os.listdir(tmp_path) == []
    with temp_dir(tmp_path) as tmp:
        os.rename(tmp, tmp_path / "kept")
    assert os.listdir(tmp_path) == ["kept"]
    remove_tree(tmp_path / "kept")
    remove_tree(tmp_path / "missing")
    assert os.listdir(tmp_path) == []


def test_lock_excludes_a_second_holder_and_times_out_naming_the_label(tmp_path: Path) -> None:
    path = tmp_path / "locks" / ".cache.lock"
    holder = FileLock(path, label="the cache at /somewhere")
    holder.acquire()
    contender = FileLock(path, timeout=0.05, label="the cache at /somewhere")
    with pytest.raises(BaleError) as info:
        contender.acquire()
    holder.release()
    assert not contender.locked
    message = str(info.value)
    assert message.startswith(
        "Timed out after 0.05 s waiting for another bale process to release the cache at /somewhere"
    )
    assert f"lock file: {path}" in message
    with FileLock(path, timeout=0):
        pass  # released: free again


def test_lock_reports_a_long_wait_once_and_then_gets_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bale.fs.lock.WAIT_NOTICE_AFTER", 0.05)
    path = tmp_path / "x.lock"
    notices: list[str] = []
    holder = FileLock(path)
    holder.acquire()
    releaser = threading.Timer(0.3, holder.release)
    releaser.start()
    started = time.monotonic()
    with FileLock(path, label="the archive bucket", on_wait=notices.append) as lock:
        assert lock.locked
        assert time.monotonic() - started >= 0.25
    releaser.join()
    assert notices == ["Waiting for another bale process to release the archive bucket..."]


def test_linker_hardlinks_by_default(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_text("data")
    linker = Linker("hardlink")
    linker.link(src, tmp_path / "dst")
    assert os.path.samefile(src, tmp_path / "dst")
    assert linker.effective_mode == "hardlink"


def test_linker_falls_back_to_copy_on_exdev_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def cross_device(src: object, dst: object) -> None:
        calls.append(dst)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr("os.link", cross_device)
    src = tmp_path / "tool"
    src.write_text("#!/bin/sh\n")
    src.chmod(0o755)
    warnings: list[str] = []
    linker = Linker("hardlink", on_fallback=warnings.append)
    for i in range(5):
        linker.link(src, tmp_path / f"copy{i}")
    assert len(calls) == 1, "os.link must not be retried after the filesystem refused once"
    assert linker.effective_mode == "copy"
    assert len(warnings) == 1 and "falling back to copying" in warnings[0]
    for i in range(5):
        copy = tmp_path / f"copy{i}"
        assert copy.read_text() == "#!/bin/sh\n"
        assert not os.path.samefile(src, copy)
        assert os.stat(copy).st_mode & 0o111


def test_linker_does_not_swallow_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Linker("hardlink").link(tmp_path / "missing", tmp_path / "dst")


def test_linker_replaces_existing_destination_without_writing_through_it(tmp_path: Path) -> None:
    cached = tmp_path / "cached"
    cached.write_text("cache entry")
    installed = tmp_path / "installed"
    Linker("hardlink").link(cached, installed)  # installed is now the cache's inode
    newer = tmp_path / "newer"
    newer.write_text("newer version")
    Linker("copy").link(newer, installed)
    assert installed.read_text() == "newer version"
    assert cached.read_text() == "cache entry"
    Linker("hardlink").link(cached, installed)
    assert os.path.samefile(cached, installed)


def test_symlink_mode(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_text("data")
    Linker("symlink").link(src, tmp_path / "dst")
    assert os.readlink(tmp_path / "dst") == str(src)


def test_link_file_shares_one_linker_per_mode(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_text("data")
    link.link_file(src, tmp_path / "a", "copy")
    link.link_file(str(src), str(tmp_path / "b"))
    assert (tmp_path / "a").read_text() == "data"
    assert os.path.samefile(src, tmp_path / "b")


def test_link_mode_from_env() -> None:
    assert link_mode_from_env({}) == "hardlink"
    assert link_mode_from_env({"BALE_LINK_MODE": " Copy "}) == "copy"
    with pytest.raises(BaleError, match="BALE_LINK_MODE='reflink' is not a link mode") as info:
        link_mode_from_env({"BALE_LINK_MODE": "reflink"})
    assert info.value.hint == "Use one of: hardlink, copy, symlink."


def test_replace_dir_recreates_a_bucket_removed_meanwhile(tmp_path: Path) -> None:
    tmp = make_temp_dir(tmp_path / "tmp")
    (tmp / "a").write_text("a")
    reference = tmp_path / "reference"
    reference.mkdir()
    # Entries get the umask's usual mode, not mkdtemp's 0o700: a shared cache stays readable.
    assert os.stat(tmp).st_mode == os.stat(reference).st_mode
    assert replace_dir(tmp, tmp_path / "bucket-v1" / "entry") is True
    assert (tmp_path / "bucket-v1" / "entry" / "a").read_text() == "a"
