"""A python-build-standalone mirror built in the test from this machine's CPython, served over HTTP."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

RELEASE = "20261201"
# Stdlib parts neither venv creation nor running code needs; leaving them out keeps the archive
# ~19 MB and the whole build near a second (the full prefix, site-packages and all, is ~960 MB).
_SKIPPED = {"test", "tests", "site-packages", "__pycache__", "idlelib", "tkinter", "turtledemo", "lib2to3"}
_SKIPPED_TOO = {"ensurepip", "pydoc_data"}


def host_triple() -> str:
    """This machine's python-build-standalone triple, written out here independently of bale."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "aarch64"):
        pytest.skip("the mirror test builds a Linux CPython archive")
    libc = "gnu" if os.confstr("CS_GNU_LIBC_VERSION") else "musl"
    return f"{platform.machine()}-unknown-linux-{libc}"


def _relocatable_tree(root: Path) -> Path:
    """``root/python``: the host CPython's binary, its libpython and its stdlib, made to find the
    library beside itself (RUNPATH ``$ORIGIN/../lib``, as python-build-standalone's builds do)."""
    base = Path(sys.base_prefix)
    minor = "{}.{}".format(*sys.version_info[:2])
    tree = root / "python"
    (tree / "bin").mkdir(parents=True)
    (tree / "lib").mkdir()
    binary = tree / "bin" / f"python{minor}"
    shutil.copy2(base / "bin" / f"python{minor}", binary)
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        library = sysconfig.get_config_var("INSTSONAME")
        shutil.copy2(base / "lib" / library, tree / "lib" / library)
        data = binary.read_bytes()
        old = os.fsencode(base / "lib") + b"\0"
        new = b"$ORIGIN/../lib"
        if data.count(old) != 1 or len(new) >= len(old):
            pytest.skip("cannot point this CPython's RUNPATH at its own lib folder")
        # The RUNPATH string is rewritten in place, NUL-padded to its old length: no ELF tables move.
        binary.write_bytes(data.replace(old, new + b"\0" * (len(old) - len(new))))
    skip = _SKIPPED | _SKIPPED_TOO

    def ignore(_directory: str, names: list[str]) -> list[str]:
        return [name for name in names if name in skip or name.startswith("config-")]

    shutil.copytree(base / "lib" / f"python{minor}", tree / "lib" / f"python{minor}", ignore=ignore)
    for alias in ("python3", "python"):
        (tree / "bin" / alias).symlink_to(binary.name)
    return tree


@functools.cache
def _archive_bytes(work: str) -> bytes:
    tree = _relocatable_tree(Path(work))
    checked = subprocess.run(
        [tree / "bin" / "python3", "-c", "import sys; print(sys.prefix)"], capture_output=True
    )
    if checked.returncode != 0 or checked.stdout.decode().strip() != str(tree):
        pytest.skip(f"a copy of this CPython does not run from another folder: {checked.stderr.decode()}")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        tar.add(tree, "python")
    shutil.rmtree(tree)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def cpython_archive(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real, relocatable install_only archive of this machine's CPython (built once per worker)."""
    return _archive_bytes(str(tmp_path_factory.mktemp("pbs-tree")))


class Mirror:
    """A folder laid out as python-build-standalone's GitHub releases."""

    def __init__(self, root: Path, archive: bytes) -> None:
        self.root = root
        self.triple = host_triple()
        self.version = platform.python_version()
        self.release_dir = root / RELEASE
        self.release_dir.mkdir(parents=True)
        self.filename = f"cpython-{self.version}+{RELEASE}-{self.triple}-install_only.tar.gz"
        self.put(self.filename, archive)
        # Another platform's build (never chosen here) and, for this one, an archive that is no CPython.
        self.put(f"cpython-{self.version}+{RELEASE}-aarch64-apple-darwin-install_only.tar.gz", b"not used")
        self.broken = f"cpython-3.9.99+{RELEASE}-{self.triple}-install_only.tar.gz"
        self.put(self.broken, _tar({"python/README": b"no interpreter here"}))
        self.write_sums()

    def put(self, name: str, data: bytes) -> None:
        (self.release_dir / name).write_bytes(data)

    def write_sums(self, override: dict[str, str] | None = None) -> None:
        lines = []
        for path in sorted(self.release_dir.glob("*.tar.gz")):
            digest = (override or {}).get(path.name) or hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.name}\n")
        (self.release_dir / "SHA256SUMS").write_text("".join(lines))


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def mirror(tmp_path: Path, cpython_archive: bytes) -> Mirror:
    return Mirror(tmp_path / "mirror", cpython_archive)


class MirrorServer:
    """Serves a folder on 127.0.0.1 with directory listings (as nginx's autoindex), logging paths."""

    def __init__(self, root: Path) -> None:
        self.paths: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                server.paths.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mirror_server(mirror: Mirror) -> Iterator[MirrorServer]:
    server = MirrorServer(mirror.root)
    yield server
    server.stop()


@pytest.fixture
def no_pythons(tmp_path: Path) -> dict[str, str]:
    """An environment in which bale finds no interpreter of the machine: only managed ones."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return {
        "PATH": str(empty),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "no-uv"),
        "BALE_PYTHON_INSTALL_DIR": str(tmp_path / "managed"),
    }
