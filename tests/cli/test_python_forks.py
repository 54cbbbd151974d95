"""A universal lock forks by Python where the newest versions need a newer Python (uv's default)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
OLDER = f"{sys.version_info.major}.{sys.version_info.minor - 1}"

PYPROJECT = f"""\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={OLDER}"
dependencies = ["num"]
"""


def _versions(root: Path) -> list[tuple[str, str | None]]:
    data = tomllib.loads((root / "pylock.toml").read_text())
    return sorted((p["version"], p.get("marker")) for p in data["packages"] if p["name"] == "num")


def test_each_python_gets_the_newest_version_it_supports(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(
        [
            make_pkg("num", "1.0", requires_python=f">={OLDER}"),
            make_pkg("num", "2.0", requires_python=f">={HERE}"),
        ]
    )
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    result = run_bale("lock", "-i", server.url, cwd=root)
    assert result.code == 0, result
    assert _versions(root) == [
        ("1.0", f"python_full_version < '{HERE}'"),
        ("2.0", f"python_full_version >= '{HERE}'"),
    ]
    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    site = next((root / ".venv" / "lib").glob("python3*/site-packages"))
    assert sorted(p.name for p in site.glob("num-*.dist-info")) == ["num-2.0.dist-info"]
