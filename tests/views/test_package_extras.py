"""Extras one package asks of another (``a`` needs ``b[fast]``) in the lock, `bale tree` and `bale why`."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.pylock import Pylock

from tests.support.builders import Pkg, make_wheel
from tests.support.cli import BaleRunner
from tests.support.index import build_simple_tree
from tests.support.servers import StaticIndexServer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = ["a", "d"]
"""

UNIVERSE = [
    Pkg("a", "1.0", requires_dist=["b[fast]"]),
    Pkg("b", "1.0", requires_dist=["e", "c ; extra == 'fast'", "f ; extra == 'slow'"]),
    Pkg("c", "1.0"),
    Pkg("d", "1.0", requires_dist=["b"]),
    Pkg("e", "1.0"),
    Pkg("f", "1.0"),
]


def _locked(tmp_path: Path) -> tuple[Path, BaleRunner]:
    wheels = [make_wheel(pkg, tmp_path / "wheels") for pkg in UNIVERSE]
    root = tmp_path / "app"
    root.mkdir()
    major, minor = sys.version_info[:2]
    text = PYPROJECT.replace("{major}", str(major)).replace("{minor}", str(minor))
    (root / "pyproject.toml").write_text(text)
    run = BaleRunner(tmp_path / "home")
    with StaticIndexServer(build_simple_tree(wheels, tmp_path / "index")) as server:
        result = run("lock", "-i", server.url, cwd=root)
    assert result.code == 0, result
    return root, run


def test_the_lock_records_which_extras_a_package_asks_and_brings(tmp_path: Path) -> None:
    root, _ = _locked(tmp_path)
    data = tomllib.loads((root / "pylock.toml").read_text())
    Pylock.from_dict(data).validate()
    packages = {p["name"]: p for p in data["packages"]}
    assert sorted(packages) == ["a", "b", "c", "d", "e"]  # f: nobody asks for b[slow]
    assert packages["a"]["tool"] == {"bale": {"dependency-extras": {"b": ["fast"]}}}
    assert packages["b"]["tool"] == {"bale": {"optional-dependencies": {"fast": ["c"]}}}
    assert [d["name"] for d in packages["b"]["dependencies"]] == ["c", "e"]
    for plain in ("c", "d", "e"):
        assert "tool" not in packages[plain], plain
    # PEP 751's references stay plain names: any tool matches them key by key.
    assert packages["a"]["dependencies"] == [{"name": "b"}]


def test_tree_shows_the_extra_and_what_it_brings_only_where_it_is_asked(tmp_path: Path) -> None:
    root, run = _locked(tmp_path)
    result = run("tree", "--frozen", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "app v0.1.0\n"
        "├── a v1.0\n"
        "│   └── b[fast] v1.0\n"
        "│       ├── c v1.0 (extra: fast)\n"
        "│       └── e v1.0\n"
        "└── d v1.0\n"
        "    └── b v1.0\n"
        "        └── e v1.0\n"
    )
    assert result.stderr == ""

    inverted = run("tree", "--frozen", "--invert", "--package", "c", cwd=root)
    assert inverted.code == 0, inverted
    assert inverted.stdout == ("c v1.0\n└── b v1.0 (extra: fast)\n    └── a v1.0\n        └── app v0.1.0\n")
    # From b itself (no edge above it), everything it may bring.
    below = run("tree", "--frozen", "--package", "b", cwd=root)
    assert below.stdout == "b v1.0\n├── c v1.0 (extra: fast)\n└── e v1.0\n", below


def test_why_follows_the_extra(tmp_path: Path) -> None:
    root, run = _locked(tmp_path)
    through_extra = run("why", "c", "--frozen", cwd=root)
    assert through_extra.code == 0, through_extra
    # d asks for plain b, which does not bring c.
    assert through_extra.stdout == "app v0.1.0 -> a v1.0 -> b[fast] v1.0 -> c v1.0\n"
    both = run("why", "e", "--frozen", cwd=root)
    assert both.code == 0, both
    assert both.stdout == (
        "app v0.1.0 -> a v1.0 -> b[fast] v1.0 -> e v1.0\napp v0.1.0 -> d v1.0 -> b v1.0 -> e v1.0\n"
    )


def test_a_lock_without_extras_tables_still_draws_every_edge(tmp_path: Path) -> None:
    root, run = _locked(tmp_path)
    lock = root / "pylock.toml"
    kept = [
        line
        for line in lock.read_text().splitlines()
        if not line.startswith(("[packages.tool", "dependency-extras", "optional-dependencies"))
    ]
    lock.write_text("\n".join(kept) + "\n")
    result = run("why", "c", "--frozen", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "app v0.1.0 -> a v1.0 -> b v1.0 -> c v1.0\napp v0.1.0 -> d v1.0 -> b v1.0 -> c v1.0\n"
    )
