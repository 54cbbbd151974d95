"""Cache entries are checked when read and fetched again when damaged; ``cache clean`` waits for installs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bale.cache.cache import ARCHIVE_MARKER, Cache
from bale.cache.verified import Damaged, read_sealed, seal, unseal
from bale.dist.prepare import cached_wheel_file, store_wheel_file
from tests.support.builders import Pkg, make_wheel, sha256_of
from tests.support.cli import BaleRunner
from tests.support.servers import StaticIndexServer

WHEEL = "demo-1.0-py3-none-any.whl"


def _site_packages(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Lib" / "site-packages"
    return next((venv / "lib").glob("python*/site-packages"))


def _files(bucket: Path) -> list[Path]:
    return sorted(p for p in bucket.rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def installed_once(
    run_bale: BaleRunner,
    static_index: Callable[..., StaticIndexServer],
    make_pkg: Callable[..., Path],
    tmp_path: Path,
) -> StaticIndexServer:
    server = static_index([make_pkg("demo", "1.0")])
    assert run_bale("venv", tmp_path / "first").code == 0
    first = run_bale("pip", "install", "--index-url", server.url, "demo", virtual_env=tmp_path / "first")
    assert first.code == 0, first
    assert run_bale("venv", tmp_path / "second").code == 0
    return server


def _install_again(run_bale: BaleRunner, server: StaticIndexServer, tmp_path: Path) -> str:
    result = run_bale("pip", "install", "--index-url", server.url, "demo", virtual_env=tmp_path / "second")
    assert result.code == 0, result
    assert (_site_packages(tmp_path / "second") / "demo" / "__init__.py").is_file()
    return result.stderr


def test_a_damaged_index_page_is_fetched_again(
    run_bale: BaleRunner, installed_once: StaticIndexServer, tmp_path: Path
) -> None:
    pages = _files(run_bale.cache_dir / "simple-v1")
    assert len(pages) == 1
    page = pages[0]
    raw = bytearray(page.read_bytes())
    raw[-5] ^= 0x20  # one flipped bit in the body, the size unchanged: only the digest can tell
    page.write_bytes(bytes(raw))
    requests = installed_once.count("/simple/demo/")

    stderr = _install_again(run_bale, installed_once, tmp_path)

    assert (
        f"warning: The cache entry {page} is damaged (its bytes changed since they were written "
        "(sha256 mismatch)); fetching it again"
    ) in stderr
    assert installed_once.count("/simple/demo/") == requests + 1  # the page was fresh: only damage refetches
    assert b"demo-1.0" in unseal(page.read_bytes(), str(page))  # whole again


def test_a_truncated_metadata_file_is_fetched_again(
    run_bale: BaleRunner, installed_once: StaticIndexServer, tmp_path: Path
) -> None:
    entries = _files(run_bale.cache_dir / "metadata-v1")
    assert len(entries) == 1
    entry = entries[0]
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) - 10])  # a torn write / a full disk at the wrong moment
    requests = installed_once.count(f"{WHEEL}.metadata")

    stderr = _install_again(run_bale, installed_once, tmp_path)

    payload = len(unseal(whole))
    assert (
        f"warning: The cache entry {entry} is damaged (holds {payload - 10} bytes where {payload} were "
        "written); fetching it again"
    ) in stderr
    assert installed_once.count(f"{WHEEL}.metadata") == requests + 1
    assert entry.read_bytes() == whole


def test_an_unpacked_wheel_missing_files_is_unpacked_again(
    run_bale: BaleRunner, installed_once: StaticIndexServer, tmp_path: Path
) -> None:
    trees = [p for p in (run_bale.cache_dir / "archive-v2").iterdir() if not p.name.startswith(".")]
    assert len(trees) == 1
    tree = trees[0]
    # An age-based cleaner (tmpfiles.d on a cache under /tmp) deletes the files nobody reads first:
    # the marker, which is only ever stat-ed, then some of the tree.
    (tree / ARCHIVE_MARKER).unlink()
    (tree / "demo" / "__init__.py").unlink()
    downloads = installed_once.count(f"/files/{WHEEL}")

    stderr = _install_again(run_bale, installed_once, tmp_path)

    assert (
        f"warning: The cache entry archive-v2/{tree.name} is damaged: the unpacked wheel is incomplete "
        "(no completion marker); unpacking it again"
    ) in stderr
    assert installed_once.count(f"/files/{WHEEL}") == downloads + 1
    assert (tree / ARCHIVE_MARKER).is_file() and (tree / "demo" / "__init__.py").is_file()


def test_a_torn_url_pointer_is_fetched_again(
    run_bale: BaleRunner,
    static_index: Callable[..., StaticIndexServer],
    make_pkg: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # A URL without a hash: the cache keeps the sha256 it found under urls-v1 to find the tree again.
    server = static_index([make_pkg("demo", "1.0")])
    requirement = f"demo @ {server.file_url(WHEEL)}"
    for venv in ("first", "second"):
        assert run_bale("venv", tmp_path / venv).code == 0
    first = run_bale("pip", "install", requirement, virtual_env=tmp_path / "first")
    assert first.code == 0, first
    (pointer,) = _files(run_bale.cache_dir / "urls-v1")
    good = pointer.read_text()
    pointer.write_text(good[:20])

    again = run_bale("pip", "install", requirement, virtual_env=tmp_path / "second")

    assert again.code == 0, again
    assert (
        f"warning: The cache entry urls-v1/{pointer.name} is damaged: it does not hold a sha256 digest; "
        "downloading the file again"
    ) in again.stderr
    assert (_site_packages(tmp_path / "second") / "demo" / "__init__.py").is_file()
    assert pointer.read_text() == good


def test_a_warm_install_reads_no_entry_twice_and_warns_about_nothing(
    run_bale: BaleRunner, installed_once: StaticIndexServer, tmp_path: Path
) -> None:
    requests = len(installed_once.requests)
    stderr = _install_again(run_bale, installed_once, tmp_path)
    assert "warning" not in stderr
    assert len(installed_once.requests) == requests  # everything came from the (verified) cache


def test_a_damaged_downloaded_wheel_is_not_used(tmp_path: Path) -> None:
    # wheels-v1 holds downloaded wheel files named by their sha256: reading one re-hashes it.
    wheel = make_wheel(Pkg("demo"), tmp_path / "wheels")
    digest = sha256_of(wheel)
    warnings: list[str] = []
    cache = Cache(tmp_path / "cache", warn=warnings.append)
    stored = store_wheel_file(cache, wheel, digest, wheel.name)
    assert cached_wheel_file(cache, digest, wheel.name) == stored and warnings == []

    damaged = bytearray(stored.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    stored.write_bytes(bytes(damaged))

    assert cached_wheel_file(cache, digest, wheel.name) is None
    assert warnings == [
        f"The cache entry wheels-v1/{digest}/{wheel.name} is damaged: its sha256 is not the one in its "
        "name; downloading it again"
    ]
    assert not stored.exists()  # removed, so the refetch stores good bytes in its place
    assert store_wheel_file(cache, wheel, digest, wheel.name) == stored
    assert sha256_of(stored) == digest


def test_sealed_files_tell_damage_from_an_older_format(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = tmp_path / "entry"
    path.write_bytes(seal(b"payload"))
    assert read_sealed(path, on_damaged=warnings.append) == b"payload"
    path.write_bytes(b"payload written by an older bale")
    assert read_sealed(path, on_damaged=warnings.append) is None
    assert warnings == []  # not damage: the entry is simply refetched
    path.write_bytes(seal(b"payload")[:-1])
    assert read_sealed(path, on_damaged=warnings.append) is None
    assert warnings == [
        f"The cache entry {path} is damaged (holds 6 bytes where 7 were written); fetching it again"
    ]
    assert not path.exists()
    with pytest.raises(Damaged, match="sha256 mismatch"):
        unseal(seal(b"payload").replace(b"payload", b"paYload"))


def test_cache_clean_waits_for_a_running_install(
    run_bale: BaleRunner,
    static_index: Callable[..., StaticIndexServer],
    make_pkg: Callable[..., Path],
    tmp_path: Path,
) -> None:
    server = static_index([make_pkg("demo", "1.0")])
    venv = tmp_path / "venv"
    assert run_bale("venv", venv).code == 0
    server.slow(f"/files/{WHEEL}", 3.0)  # the download: the install is mid-way, its temp files in the cache
    install = subprocess.Popen(
        [sys.executable, "-m", "bale", "pip", "install", "--index-url", server.url, "demo"],
        cwd=tmp_path,
        env=run_bale.env(virtual_env=venv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while server.count("/simple/demo/") == 0 and time.monotonic() < deadline:
            time.sleep(0.02)  # the page is answered: the install holds the cache lock by now
        assert install.poll() is None, install.communicate()
        clean = run_bale("cache", "clean")
        finished = install.poll()
    finally:
        _out, err = install.communicate(timeout=60)
    assert finished is not None, "cache clean returned while the install was still running"
    assert install.returncode == 0, err
    assert clean.code == 0, clean
    assert "warning: The cache is in use: waiting for other bale processes to finish..." in clean.stderr
    assert (_site_packages(venv) / "demo" / "__init__.py").is_file()
    # Clean ran after the install, on a complete cache: the unpacked wheel was among what it removed.
    assert not any(p for p in (run_bale.cache_dir / "archive-v2").glob("*") if not p.name.startswith("."))
    assert "removed 0 entries" not in clean.stderr


def test_an_install_waits_for_a_running_clean(tmp_path: Path) -> None:
    # The other way round: while clean holds the lock exclusively, a run using the cache waits.
    cache = Cache(tmp_path / "cache")
    script = (
        "import sys, time; from pathlib import Path; from bale.cache.cache import Cache; "
        "c = Cache(Path(sys.argv[1]), warn=print); print('ready', flush=True); t = time.monotonic(); "
        "c.bucket('simple'); print(round(time.monotonic() - t, 1))"
    )
    with cache.lock(timeout=5):
        runner = subprocess.Popen(
            [sys.executable, "-c", script, str(cache.root)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
        )
        assert runner.stdout is not None
        assert runner.stdout.readline() == "ready\n"
        time.sleep(1.5)
        assert runner.poll() is None
    out, _ = runner.communicate(timeout=30)
    waits = out.splitlines()
    assert waits[0] == "The cache is in use: waiting for other bale processes to finish..."
    assert float(waits[1]) >= 1.4
