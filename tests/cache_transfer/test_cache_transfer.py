"""`bale cache export / import`: a warm cache carried to a machine with no network, checked on the way in."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.builders import Pkg, make_sdist, make_wheel
from tests.support.cli import BaleRunner
from tests.support.index import build_simple_tree
from tests.support.servers import StaticIndexServer

WHEELHOUSE = Path(__file__).resolve().parents[2] / ".wheelhouse"
PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["alpha", "gamma"]
"""


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def _site_packages(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python*/site-packages")
    return {p.name.split("-")[0] for p in site.glob("*.dist-info")}


def _manifest(folder: Path) -> list[dict[str, object]]:
    entries = json.loads((folder / "manifest.json").read_text())["entries"]
    assert isinstance(entries, list)
    return entries


@dataclass
class Warm:
    a: BaleRunner  # machine A, whose cache is warm
    server: StaticIndexServer
    url: str  # the index's URL, kept for machine B after the server stops
    project: Path  # locked, without its .venv


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[Warm]:
    """Cache A, warmed by a pip install and a project sync against a local index (gamma is an sdist,
    built with the real setuptools from .wheelhouse)."""
    if not any(WHEELHOUSE.glob("setuptools-*.whl")):
        pytest.skip(f"needs the real setuptools wheel in {WHEELHOUSE} (see README: Run the tests)")
    packages = tmp_path / "packages"
    files = [
        make_wheel(Pkg("alpha", "1.0", requires_dist=["beta"]), packages),
        make_wheel(Pkg("beta", "2.0"), packages),
        make_sdist(Pkg("gamma", "1.0"), packages),
    ]
    server = StaticIndexServer(build_simple_tree(files, tmp_path / "index")).start()
    # Stopped when the test ends, also when a step below fails.
    a = BaleRunner(tmp_path / "machine-a", cwd=tmp_path)
    venv = _venv(tmp_path / "venv-a")
    links = ("--find-links", str(WHEELHOUSE))
    result = a("pip", "install", "-i", server.url, *links, "alpha", "gamma", virtual_env=venv)
    assert result.code == 0, result
    project = tmp_path / "demo"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    result = a("sync", "-i", server.url, *links, cwd=project)
    assert result.code == 0, result
    shutil.rmtree(project / ".venv")
    try:
        yield Warm(a, server, server.url, project)
    finally:
        server.stop()


def test_a_warm_cache_moves_to_an_offline_machine(tmp_path: Path, warm: Warm) -> None:
    a, server, url, project = warm.a, warm.server, warm.url, warm.project
    export = tmp_path / "usb" / "bale-cache"
    result = a("cache", "export", export)
    assert result.code == 0, result
    assert f"to {export}" in result.stderr
    entries = _manifest(export)
    paths = [str(e["path"]) for e in entries]
    for bucket in ("simple-v1/", "metadata-v1/", "archive-v2/", "builds-v1/gamma/", "sdists-v1/gamma/"):
        assert any(p.startswith(bucket) for p in paths), (bucket, paths)
    assert not any(p.startswith(("interpreters-v1", "environments-v1")) for p in paths)
    owners = {name for e in entries for name in e["packages"]}  # type: ignore[attr-defined]
    assert {"alpha", "beta", "gamma", "setuptools"} <= owners
    assert sorted(p.name for p in (export / "objects").iterdir()) == sorted(
        {str(e["sha256"]) for e in entries}
    )

    server.stop()  # the network is cut: machine B has only the export
    b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
    result = b("cache", "import", export)
    assert result.code == 0, result
    assert f"Imported {len(entries)} entries" in result.stderr and "0 refused" in result.stderr

    venv = _venv(tmp_path / "venv-b")
    # No --find-links: gamma's wheel built on A is used, so no build backend is needed here.
    result = b("pip", "install", "--offline", "-i", url, "alpha", "gamma", virtual_env=venv)
    assert result.code == 0, result
    assert _site_packages(venv) == {"alpha", "beta", "gamma"}
    assert "Building" not in result.stderr

    result = b("sync", "--offline", "--locked", "-i", url, cwd=project)
    assert result.code == 0, result
    assert _site_packages(project / ".venv") == {"alpha", "beta", "gamma"}

    # Importing again keeps every entry as it is.
    result = b("cache", "import", export)
    assert result.code == 0, result
    assert f"Imported 0 entries into {b.cache_dir} ({len(entries)} already there, 0 refused)" in result.stderr


def test_a_tampered_entry_is_refused_by_name_and_the_rest_imported(tmp_path: Path, warm: Warm) -> None:
    a, server, url = warm.a, warm.server, warm.url
    export = tmp_path / "export"
    assert a("cache", "export", export).code == 0
    entries = _manifest(export)
    (alpha,) = [e for e in entries if str(e["path"]).startswith("archive-v2/") and e["packages"] == ["alpha"]]
    obj = export / "objects" / str(alpha["sha256"])
    obj.write_bytes(obj.read_bytes().replace(b"alpha", b"evil!"))
    server.stop()

    b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
    result = b("cache", "import", export)
    assert result.code == 1, result
    assert f"Refused {alpha['path']} (alpha): its sha256 is " in result.stderr
    assert "did not match its manifest and were not imported" in result.stderr
    assert f"Imported {len(entries) - 1} entries" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (b.cache_dir / str(alpha["path"])).exists()
    beta = next(e for e in entries if str(e["path"]).startswith("archive-v2/") and e["packages"] == ["beta"])
    assert (b.cache_dir / str(beta["path"]) / ".bale-complete").is_file()
    assert not list((b.cache_dir / ".tmp").iterdir())

    # Without the good entry, an offline install names the package it cannot get.
    venv = _venv(tmp_path / "venv-b")
    result = b("pip", "install", "--offline", "-i", url, "alpha", virtual_env=venv)
    assert result.code == 1, result
    assert "alpha" in result.stderr and "offline" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_of_some_packages_and_a_manifest_pointing_outside_the_cache(
    tmp_path: Path, warm: Warm
) -> None:
    a = warm.a
    export = tmp_path / "gamma-only"
    result = a("cache", "export", export, "--package", "Gamma")
    assert result.code == 0, result
    entries = _manifest(export)
    assert entries and all(e["packages"] == ["gamma"] for e in entries)
    assert {str(e["path"]).split("/")[0] for e in entries} >= {"builds-v1", "sdists-v1", "simple-v1"}

    result = a("cache", "export", tmp_path / "none", "--package", "nosuch")
    assert result.code == 1, result
    assert "holds nothing of nosuch" in result.stderr
    assert not (tmp_path / "none").exists()

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("keep")
    result = a("cache", "export", notes)
    assert result.code == 1, result
    assert "not empty and holds no cache export" in result.stderr

    manifest = json.loads((export / "manifest.json").read_text())
    manifest["entries"][0]["path"] = "archive-v2/../../escaped"
    (export / "manifest.json").write_text(json.dumps(manifest))
    b = BaleRunner(tmp_path / "machine-b", cwd=tmp_path)
    result = b("cache", "import", export)
    assert result.code == 1, result
    assert "has invalid entries" in result.stderr and "archive-v2/../../escaped" in result.stderr
    assert not (tmp_path / "escaped").exists()
    result = b("cache", "import", tmp_path / "notes")
    assert result.code == 1, result
    assert "holds no cache export: manifest.json is missing" in result.stderr
