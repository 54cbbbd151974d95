"""bale reads a pylock.toml that uv wrote (`uv export --format pylock.toml`): sync, tree and export.

Skipped when no ``uv`` binary is found (the dev environment has one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.builders import Pkg

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def find_uv() -> str | None:
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    return str(beside) if beside.exists() else shutil.which("uv")


UV = find_uv()
pytestmark = [
    pytest.mark.skipif(UV is None, reason="uv is not installed"),
    pytest.mark.skipif(os.name == "nt", reason="venv layout differs on Windows"),
]

PYPROJECT = """\
[project]
name = "uvmade"
version = "0.3.0"
requires-python = ">={major}.{minor}"
dependencies = ["app"]

[project.optional-dependencies]
fancy = ["extra-pkg"]

[dependency-groups]
dev = ["devtool"]
"""


def uv(tmp_path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    dropped = ("UV_", "PIP_", "VIRTUAL_ENV")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.update(UV_CACHE_DIR=str(tmp_path / "uv-cache"), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
    assert UV is not None
    result = subprocess.run([UV, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_bale_syncs_a_pylock_written_by_uv(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [
            make_pkg(Pkg("app", "1.0", requires_dist=["lib", "winonly ; sys_platform == 'win32'"])),
            make_pkg("lib", "1.0"),
            make_pkg("winonly", "1.0"),
            make_pkg("devtool", "1.0"),
            make_pkg("extra-pkg", "1.0"),
        ]
    )
    root = tmp_path / "uvmade"
    root.mkdir()
    major, minor = sys.version_info[:2]
    text = PYPROJECT.replace("{major}", str(major)).replace("{minor}", str(minor))
    (root / "pyproject.toml").write_text(text)
    uv(tmp_path, root, "lock", "--default-index", server.url, "--python", sys.executable)
    uv(tmp_path, root, "export", "--frozen", "--all-extras", "--format", "pylock.toml", "-o", "pylock.toml")
    data = tomllib.loads((root / "pylock.toml").read_text())
    assert "bale" not in data.get("tool", {})

    synced = run_bale("sync", "--frozen", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    site = next((root / ".venv" / "lib").glob("python3*/site-packages"))
    assert sorted(p.name for p in site.glob("*.dist-info")) == [
        "app-1.0.dist-info",
        "devtool-1.0.dist-info",
        "extra_pkg-1.0.dist-info",
        "lib-1.0.dist-info",
    ]
    # uv records no [[packages.dependencies]]: the tree knows the project's own requirements only.
    tree = run_bale("tree", "--frozen", cwd=root)
    assert tree.code == 0, tree
    assert tree.stdout == (
        "uvmade v0.3.0\n├── app v1.0\n├── devtool v1.0 (group: dev)\n└── extra-pkg v1.0 (extra: fancy)\n"
    )
    exported = run_bale("export", "--frozen", "--no-hashes", "--no-header", "--no-annotate", cwd=root)
    assert exported.code == 0, exported
    assert exported.stdout == (
        "app==1.0\ndevtool==1.0\nextra-pkg==1.0\nlib==1.0\nwinonly==1.0 ; sys_platform == 'win32'\n"
    )
