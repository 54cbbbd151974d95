"""Fixtures for build tests: the wheelhouse of real backends, a probed interpreter and a build bed."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bale.cache.cache import Cache
from bale.context import Context
from bale.dist.build import Builder, BuildLink
from bale.ops.build_context import IndexBuildContext
from bale.ops.settings import GlobalSettings, IndexSettings
from bale.python.probe import Interpreter, probe
from bale.python.venv import PythonEnvironment
from bale.report import Reporter

REPO = Path(__file__).resolve().parents[2]
WHEELHOUSE = REPO / ".wheelhouse"
FILL_COMMAND = "python -m pip download -d .wheelhouse setuptools hatchling flit-core wheel"
BACKENDS = ("setuptools", "hatchling", "flit_core")


class RecordingReporter(Reporter):
    """Keeps every debug line and warning, thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.debugs: list[str] = []
        self.warnings: list[str] = []

    def debug(self, message: str) -> None:
        with self._lock:
            self.debugs.append(message)

    def warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(message)


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """The folder of real backend wheels that .ci/run fills once; build tests skip without it."""
    present = (
        {p.name.split("-", 1)[0].lower() for p in WHEELHOUSE.glob("*.whl")} if WHEELHOUSE.is_dir() else set()
    )
    missing = [name for name in BACKENDS if name not in present]
    if missing:
        pytest.skip(
            f"build tests need real build backends in {WHEELHOUSE} (missing: {', '.join(missing)}); "
            f"fill it once from the repo root with: {FILL_COMMAND}"
        )
    return WHEELHOUSE


@pytest.fixture(scope="session")
def interpreter(tmp_path_factory: pytest.TempPathFactory) -> Interpreter:
    return probe(Path(sys.executable), tmp_path_factory.mktemp("interpreters"))


class BuildBed:
    """A cache, a context serving the wheelhouse as find-links, builders and throw-away venvs."""

    def __init__(self, root: Path, wheelhouse: Path, interpreter: Interpreter) -> None:
        self.root = root
        self.interpreter = interpreter
        self.reporter = RecordingReporter()
        self.ctx = Context(GlobalSettings(cache_dir=root / "cache"), self.reporter)
        self.cache: Cache = self.ctx.cache
        self.index = IndexSettings(find_links=(str(wheelhouse),), no_index=True)
        self.context = IndexBuildContext(self.ctx, self.index, interpreter)
        self._builders: list[Builder] = []
        self._count = itertools.count()

    def builder(self, **options: object) -> Builder:
        options.setdefault("reporter", self.reporter)
        builder = Builder(self.cache, options.pop("context", self.context), **options)  # type: ignore[arg-type]
        self._builders.append(builder)
        return builder

    def venv(self, requirements: Sequence[str] = ()) -> PythonEnvironment:
        from bale.python.venv import create_venv

        root = create_venv(self.root / f"venv-{next(self._count)}", self.interpreter)
        env = PythonEnvironment.from_root(root, self.cache.bucket("interpreters"))
        if requirements:
            self.context.install(list(requirements), env)
        return env

    def install(self, wheel: Path, env: PythonEnvironment | None = None) -> PythonEnvironment:
        """Install the built ``wheel`` (no dependencies) into ``env`` or a new venv."""
        from packaging.utils import parse_wheel_filename

        from bale.dist.prepare import unpacked_wheel
        from bale.fs.link import Linker
        from bale.install.wheel import install_tree

        env = env or self.venv()
        name, version, _, _ = parse_wheel_filename(wheel.name)
        install_tree(
            unpacked_wheel(self.cache, wheel),
            env.scheme(),
            name=name,
            version=str(version),
            requested=True,
            direct_url=None,
            linker=Linker("copy"),
        )
        return env

    def run(self, env: PythonEnvironment, code: str) -> str:
        done = subprocess.run(
            [str(env.python), "-c", code], capture_output=True, text=True, check=False, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def leftovers(self) -> list[Path]:
        """What a finished (or failed) build left in the cache's temp area or as a wheel in a bad place."""
        temp = sorted(self.cache.temp_root.iterdir()) if self.cache.temp_root.is_dir() else []
        return temp

    def close(self) -> None:
        for builder in self._builders:
            builder.close()
        self.ctx.close()


@pytest.fixture
def bed(tmp_path: Path, wheelhouse: Path, interpreter: Interpreter) -> Iterator[BuildBed]:
    bed = BuildBed(tmp_path, wheelhouse, interpreter)
    try:
        yield bed
    finally:
        bed.close()


def chain_labels(chain: Sequence[BuildLink]) -> list[str]:
    return [link.label for link in chain]
