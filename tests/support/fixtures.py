"""pytest fixtures of the test bed; tests/conftest.py imports them so every test can use them.

Factories (call them in the test):
  make_pkg(name_or_pkg, version="1.0", *, sdist=False, dest=None, **Pkg fields) -> Path of the file
  static_index(files, **build_simple_tree options) -> running StaticIndexServer (stopped after the test)
  file_index(files, **build_simple_tree options) -> "file:///.../simple" URL
  find_links_dir(files=()) -> a fresh folder holding copies of ``files``
  pypiserver_factory(files=(), *, auth=None, authenticate="update") -> running PypiServer of its own
Objects:
  pypiserver -> the worker's PypiServer, emptied before the test; drop files with ``.add(*files)``
  run_bale -> BaleRunner: ``run_bale("install", "x", cwd=..., env={...})`` -> Result(code, stdout, stderr)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import Pkg, make_sdist, make_wheel
from tests.support.cli import BaleRunner
from tests.support.index import build_simple_tree, file_index_url
from tests.support.servers import AuthUnsupported, PypiServer, StaticIndexServer

__all__ = [
    "PkgFactory",
    "file_index",
    "find_links_dir",
    "make_pkg",
    "pypiserver",
    "pypiserver_factory",
    "run_bale",
    "static_index",
]


class PkgFactory:
    """Builds wheels (or sdists) into one per-test folder, ``.dir``."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def __call__(
        self,
        name: str | Pkg,
        version: str = "1.0",
        *,
        sdist: bool = False,
        dest: Path | None = None,
        **fields: Any,
    ) -> Path:
        pkg = name if isinstance(name, Pkg) else Pkg(name, version, **fields)
        target = dest if dest is not None else self.dir
        return make_sdist(pkg, target) if sdist else make_wheel(pkg, target)


@pytest.fixture
def make_pkg(tmp_path: Path) -> PkgFactory:
    return PkgFactory(tmp_path / "packages")


@pytest.fixture
def static_index(tmp_path: Path) -> Iterator[Callable[..., StaticIndexServer]]:
    servers: list[StaticIndexServer] = []
    counter = itertools.count()

    def start(files: Iterable[Path], **options: Any) -> StaticIndexServer:
        root = build_simple_tree(files, tmp_path / f"static-index-{next(counter)}", **options)
        server = StaticIndexServer(root).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def file_index(tmp_path: Path) -> Callable[..., str]:
    counter = itertools.count()

    def build(files: Iterable[Path], **options: Any) -> str:
        return file_index_url(build_simple_tree(files, tmp_path / f"file-index-{next(counter)}", **options))

    return build


@pytest.fixture
def find_links_dir(tmp_path: Path) -> Callable[..., Path]:
    counter = itertools.count()

    def build(files: Iterable[Path] = ()) -> Path:
        folder = tmp_path / f"find-links-{next(counter)}"
        folder.mkdir(parents=True)
        for source in files:
            (folder / source.name).write_bytes(Path(source).read_bytes())
        return folder

    return build


@pytest.fixture(scope="session")
def _pypiserver_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    # One process per xdist worker (~1 s to start); tests get it emptied, so none sees another's files.
    server = PypiServer(tmp_path_factory.mktemp("pypiserver-packages"))
    with server:
        yield server


@pytest.fixture
def pypiserver(_pypiserver_session: PypiServer) -> PypiServer:
    _pypiserver_session.clear()
    return _pypiserver_session


@pytest.fixture
def pypiserver_factory(tmp_path: Path) -> Iterator[Callable[..., PypiServer]]:
    servers: list[PypiServer] = []
    counter = itertools.count()

    def start(
        files: Iterable[Path] = (), *, auth: tuple[str, str] | None = None, authenticate: str = "update"
    ) -> PypiServer:
        server = PypiServer(tmp_path / f"pypiserver-{next(counter)}", auth=auth, authenticate=authenticate)
        server.packages_dir.mkdir(parents=True)
        server.add(*files)
        try:
            server.start()
        except AuthUnsupported as error:
            pytest.skip(str(error))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def run_bale(tmp_path: Path) -> BaleRunner:
    return BaleRunner(tmp_path / "bale-home", cwd=tmp_path)
