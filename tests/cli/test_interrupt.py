"""Ctrl-C during `bale pip install`: bale stops at once, dies by SIGINT, and leaves no trace."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.cli.conftest import Venv
from tests.support.cli import BaleRunner
from tests.support.fixtures import PkgFactory
from tests.support.index import build_simple_tree
from tests.support.servers import StaticIndexServer, _Handler

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

NAMES = ("beta", "gamma", "delta", "epsilon", "zeta", "eta")


class TrickleServer(StaticIndexServer):
    """A StaticIndexServer whose wheels named in ``trickle`` send their headers and half their body,
    then stall (until the test ends): the client is mid-download, with a partial file on disk."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.trickle: set[str] = set()
        self.release = threading.Event()

    def start(self) -> TrickleServer:
        handler = type("TrickleHandler", (_TrickleHandler,), {"index": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        super().stop()


class _TrickleHandler(_Handler):
    index: TrickleServer

    def _dispatch(self, head: bool) -> None:
        path = urlsplit(self.path).path
        name = path.rsplit("/", 1)[-1]
        if path.startswith("/files/") and name.endswith(".whl") and name.split("-")[0] in self.index.trickle:
            body = (self.index.root / path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.index.release.wait(60)
            return
        super()._dispatch(head)


@pytest.fixture
def packages(make_pkg: PkgFactory, tmp_path: Path) -> Path:
    """An index tree: alpha 1.0 (no dependencies) and alpha 2.0, which needs six other packages."""
    # Big enough (~300 KB of incompressible data) that a wheel is more than one 256 KB read.
    payload = os.urandom(300_000).hex()
    files = [make_pkg("alpha", "1.0"), make_pkg("alpha", "2.0", requires_dist=list(NAMES))]
    for name in NAMES:
        files.append(
            make_pkg(
                name,
                "1.0",
                files={f"{name}/__init__.py": "__version__ = '1.0'\n", f"{name}/data.txt": payload},
            )
        )
    return build_simple_tree(files, tmp_path / "index")


@pytest.fixture
def trickle_server(packages: Path) -> Iterator[TrickleServer]:
    server = TrickleServer(packages).start()
    yield server
    server.stop()


def _start(
    run_bale: BaleRunner, venv: Venv, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bale", *args],
        cwd=run_bale.home,
        env=run_bale.env(env, virtual_env=venv.root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for bale to reach the downloads")
        time.sleep(0.02)


def _leftovers(cache: Path) -> list[str]:
    """Temp files and directories in the cache: partial downloads, unpacking or staging folders."""
    found = []
    for path in cache.rglob("*"):
        if path.name.endswith(".part") or path.name.startswith((".tmp-", ".del-", ".wheel-")):
            found.append(str(path.relative_to(cache)))
    return sorted(found)


def _site_listing(venv: Venv) -> list[str]:
    return sorted(p.name for p in venv.site_packages().iterdir() if p.name != "__pycache__")


def _install_old(run_bale: BaleRunner, venv: Venv, url: str) -> list[str]:
    done = run_bale("pip", "install", "alpha==1.0", "--index-url", url, virtual_env=venv.root)
    assert done.code == 0, done
    return _site_listing(venv)


def _interrupt(process: subprocess.Popen[str]) -> tuple[float, str]:
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("bale did not stop within 10 s of Ctrl-C") from None
    return time.monotonic() - sent, stderr


def test_ctrl_c_while_downloads_stall_stops_at_once_and_dies_by_sigint(
    trickle_server: TrickleServer, run_bale: BaleRunner, venv: Venv
) -> None:
    before = _install_old(run_bale, venv, trickle_server.url)
    trickle_server.trickle = set(NAMES)
    # Two download workers: two wheels are mid-download, the other four wait in the queue.
    process = _start(
        run_bale,
        venv,
        "pip",
        "install",
        "alpha==2.0",
        "--index-url",
        trickle_server.url,
        env={"BALE_CONCURRENT_DOWNLOADS": "2"},
    )
    _wait_for(lambda: len(list(run_bale.cache_dir.rglob("*.part"))) >= 2 or process.poll() is not None)
    assert process.poll() is None, process.communicate()
    elapsed, stderr = _interrupt(process)

    assert process.returncode == -signal.SIGINT, stderr
    assert elapsed < 0.5, f"bale took {elapsed:.2f} s to stop"
    assert stderr.splitlines()[-1:] == ["interrupted"]
    assert "Traceback" not in stderr
    # Nothing half-installed: the environment is the old one, and no temp file is left in the cache.
    assert _site_listing(venv) == before
    assert venv.imports("alpha") == "1.0"
    assert _leftovers(run_bale.cache_dir) == []
    # The queued downloads never started.
    wheels = [path.rsplit("/", 1)[-1] for path in trickle_server.paths("GET") if path.endswith(".whl")]
    asked = {wheel.split("-")[0] for wheel in wheels}
    assert len(asked & set(NAMES)) == 2, asked


def test_ctrl_c_while_the_server_is_slow_to_answer(packages: Path, run_bale: BaleRunner, venv: Venv) -> None:
    server = StaticIndexServer(packages).start()
    try:
        before = _install_old(run_bale, venv, server.url)
        server.slow("/files/", 4)  # far longer than the 0.5 s bale may take to stop
        process = _start(run_bale, venv, "pip", "install", "alpha==2.0", "--index-url", server.url)
        # Every metadata file is read before the downloads start; give those a moment to be sent.
        _wait_for(lambda: server.count(".metadata") >= len(NAMES) + 1 or process.poll() is not None)
        time.sleep(0.5)
        assert process.poll() is None, process.communicate()
        elapsed, stderr = _interrupt(process)
    finally:
        server.stop()
    assert process.returncode == -signal.SIGINT, stderr
    assert elapsed < 0.5, f"bale took {elapsed:.2f} s to stop"
    assert _site_listing(venv) == before
    assert _leftovers(run_bale.cache_dir) == []


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_ctrl_c_stops_the_calling_shell_loop(
    trickle_server: TrickleServer, run_bale: BaleRunner, venv: Venv, tmp_path: Path
) -> None:
    # A terminal's Ctrl-C goes to the whole foreground process group: the shell and bale. The shell
    # ends its loop only if bale dies by SIGINT (an `exit 130` looks like a handled interrupt).
    _install_old(run_bale, venv, trickle_server.url)
    trickle_server.trickle = set(NAMES)
    marker = tmp_path / "runs"
    script = (
        f'for i in 1 2 3; do echo run >> "{marker}"; '
        f'"{sys.executable}" -m bale pip install alpha==2.0 --index-url {trickle_server.url}; done; '
        'echo "loop finished"'
    )
    process = subprocess.Popen(
        ["bash" if shutil.which("bash") else "sh", "-c", script],
        cwd=run_bale.home,
        env=run_bale.env(None, virtual_env=venv.root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: len(list(run_bale.cache_dir.rglob("*.part"))) >= 1 or process.poll() is not None)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert marker.read_text() == "run\n", stderr
    assert "loop finished" not in stdout
    assert process.returncode == -signal.SIGINT
