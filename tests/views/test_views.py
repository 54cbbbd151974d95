"""`bale tree`, `bale why` and `bale export` on small projects locked against a local index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = ["app", "helper[speed]"]

[project.optional-dependencies]
fancy = ["extra-pkg"]

[dependency-groups]
dev = ["devtool"]
"""


UNIVERSE = [
    Pkg("app", "1.0", requires_dist=["lib<2", "winonly ; sys_platform == 'win32'"]),
    Pkg("lib", "1.0", requires_dist=["shared"]),
    Pkg("lib", "2.0"),
    Pkg("shared", "1.0", requires_python=">=3.7"),
    Pkg("winonly", "1.0"),
    Pkg("helper", "1.0", requires_dist=["fastdep ; extra == 'speed'"]),
    Pkg("fastdep", "1.0"),
    Pkg("devtool", "1.0", requires_dist=["lib", "shared"]),
    Pkg("extra-pkg", "1.0", requires_dist=["shared"]),
]


def make_project(tmp_path: Path, text: str = PYPROJECT, name: str = "demo") -> Path:
    root = tmp_path / name
    root.mkdir()
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(text.replace("{major}", str(major)).replace("{minor}", str(minor)))
    return root


@pytest.fixture(scope="module")
def shared_lock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The demo project locked once for the module's read-only tests: (its root, the index URL)."""
    base = tmp_path_factory.mktemp("views")
    wheels = [make_wheel(pkg, base / "wheels") for pkg in UNIVERSE]
    with StaticIndexServer(build_simple_tree(wheels, base / "index")) as server:
        root = make_project(base)
        result = BaleRunner(base / "home")("lock", "-i", server.url, cwd=root)
        assert result.code == 0, result
        yield root, server.url


@pytest.fixture
def locked(shared_lock: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A copy of the locked demo project this test may change."""
    root, url = shared_lock
    copy = tmp_path / "demo"
    shutil.copytree(root, copy)
    return copy, url


def test_lock_records_dependencies_and_requires_python(locked) -> None:
    root, _ = locked
    data = tomllib.loads((root / "pylock.toml").read_text())
    packages = {p["name"]: p for p in data["packages"]}
    deps = {name: [d["name"] for d in p.get("dependencies", [])] for name, p in packages.items()}
    assert deps == {
        "app": ["lib", "winonly"],
        "devtool": ["lib", "shared"],
        "extra-pkg": ["shared"],
        "fastdep": [],
        "helper": ["fastdep"],
        "lib": ["shared"],
        "shared": [],
        "winonly": [],
    }
    assert packages["shared"]["requires-python"] == ">=3.7"
    assert "requires-python" not in packages["lib"]


def test_tree_draws_the_default_selection(locked, run_bale) -> None:
    root, _ = locked
    result = run_bale("tree", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "demo v0.1.0\n"
        "├── app v1.0\n"
        "│   ├── lib v1.0\n"
        "│   │   └── shared v1.0\n"
        "│   └── winonly v1.0\n"
        "├── devtool v1.0 (group: dev)\n"
        "│   ├── lib v1.0 (*)\n"
        "│   └── shared v1.0\n"
        "└── helper[speed] v1.0\n"
        "    └── fastdep v1.0 (extra: speed)\n"
    )
    assert result.stderr == ""


def test_tree_selection_depth_and_no_dedupe(locked, run_bale) -> None:
    root, _ = locked
    result = run_bale("tree", "--no-dev", "--extra", "fancy", "--depth", "1", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "demo v0.1.0\n├── app v1.0\n├── extra-pkg v1.0 (extra: fancy)\n└── helper[speed] v1.0\n"
    )
    only = run_bale("tree", "--only-group", "dev", "--no-dedupe", cwd=root)
    assert only.code == 0, only
    assert only.stdout == (
        "demo v0.1.0\n"
        "└── devtool v1.0 (group: dev)\n"
        "    ├── lib v1.0\n"
        "    │   └── shared v1.0\n"
        "    └── shared v1.0\n"
    )


def test_tree_inverted_and_filtered(locked, run_bale) -> None:
    root, _ = locked
    inverted = run_bale("tree", "--invert", cwd=root)
    assert inverted.code == 0, inverted
    assert inverted.stdout == (
        "fastdep v1.0\n"
        "└── helper v1.0 (extra: speed)\n"
        "    └── demo v0.1.0\n"
        "shared v1.0\n"
        "├── devtool v1.0\n"
        "│   └── demo v0.1.0 (group: dev)\n"
        "└── lib v1.0\n"
        "    ├── app v1.0\n"
        "    │   └── demo v0.1.0\n"
        "    └── devtool v1.0 (*)\n"
        "winonly v1.0\n"
        "└── app v1.0 (*)\n"
    )
    below = run_bale("tree", "--package", "lib", cwd=root)
    assert below.code == 0, below
    assert below.stdout == "lib v1.0\n└── shared v1.0\n"
    above = run_bale("tree", "--invert", "--package", "lib", "--depth", "1", cwd=root)
    assert above.code == 0, above
    assert above.stdout == "lib v1.0\n├── app v1.0\n└── devtool v1.0\n"
    unselected = run_bale("tree", "--no-dev", "--package", "devtool", cwd=root)
    assert unselected.code == 1, unselected
    assert unselected.stderr == (
        f"error: devtool is in {root / 'pylock.toml'}, but not in the chosen groups and extras\n"
        "hint: choose more with --group, --extra, --all-groups or --all-extras\n"
    )
    missing = run_bale("tree", "--package", "shard", cwd=root)
    assert missing.code == 1, missing
    assert missing.stderr == (
        f"error: shard is not in the lock file {root / 'pylock.toml'}\nhint: did you mean shared?\n"
    )


def test_tree_outdated_shows_newer_versions(locked, run_bale) -> None:
    root, url = locked
    result = run_bale("tree", "--outdated", "--depth", "2", "-i", url, cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "demo v0.1.0\n"
        "├── app v1.0\n"
        "│   ├── lib v1.0 (latest: v2.0)\n"
        "│   └── winonly v1.0\n"
        "├── devtool v1.0 (group: dev)\n"
        "│   ├── lib v1.0 (latest: v2.0)\n"
        "│   └── shared v1.0\n"
        "└── helper[speed] v1.0\n"
        "    └── fastdep v1.0 (extra: speed)\n"
    )


def test_tree_relocks_a_stale_lock_unless_frozen_or_locked(locked, run_bale) -> None:
    root, url = locked
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"app", ', ""))
    refused = run_bale("tree", "--locked", "-i", url, cwd=root)
    assert refused.code == 1, refused
    assert "needs to be updated, but --locked was given" in refused.stderr
    frozen = run_bale("tree", "--frozen", "--depth", "1", cwd=root)
    assert frozen.code == 0, frozen
    assert frozen.stdout == "demo v0.1.0\n├── devtool v1.0 (group: dev)\n└── helper[speed] v1.0\n"
    relocked = run_bale("tree", "-i", url, cwd=root)
    assert relocked.code == 0, relocked
    assert "Resolved 6 packages in" in relocked.stderr
    assert relocked.stdout == (
        "demo v0.1.0\n"
        "├── devtool v1.0 (group: dev)\n"
        "│   ├── lib v1.0\n"
        "│   │   └── shared v1.0\n"
        "│   └── shared v1.0\n"
        "└── helper[speed] v1.0\n"
        "    └── fastdep v1.0 (extra: speed)\n"
    )


def test_why_lists_every_path(locked, run_bale) -> None:
    root, _ = locked
    result = run_bale("why", "Shared", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "demo v0.1.0 (group: dev) -> devtool v1.0 -> shared v1.0\n"
        "demo v0.1.0 (extra: fancy) -> extra-pkg v1.0 -> shared v1.0\n"
        "demo v0.1.0 -> app v1.0 -> lib v1.0 -> shared v1.0\n"
        "demo v0.1.0 (group: dev) -> devtool v1.0 -> lib v1.0 -> shared v1.0\n"
    )
    extra = run_bale("why", "fastdep", cwd=root)
    assert extra.stdout == "demo v0.1.0 -> helper[speed] v1.0 -> fastdep v1.0\n"
    member = run_bale("why", "fastdep", "--package", "demo", cwd=root)
    assert member.stdout == extra.stdout
    no_member = run_bale("why", "fastdep", "--package", "other", cwd=root)
    assert no_member.code == 1, no_member
    assert no_member.stderr == (
        f"error: No workspace member is named 'other' in {root / 'pyproject.toml'}\n  members: demo\n"
    )
    missing = run_bale("why", "devtools", cwd=root)
    assert missing.code == 1, missing
    assert missing.stdout == ""
    assert missing.stderr == (
        f"error: devtools is not in the lock file {root / 'pylock.toml'}\nhint: did you mean devtool?\n"
    )


FORKING = """\
[project]
name = "forky"
version = "1.0"
requires-python = ">=3.8"
dependencies = ["user", "pkgx>=2 ; python_version >= '3.10'", "pkgx<2 ; python_version < '3.10'"]
"""


def test_lock_with_two_versions_of_a_package(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [
            make_pkg("user", "1.0", requires_dist=["pkgx"]),
            make_pkg("pkgx", "1.0", requires_dist=["old"]),
            make_pkg("pkgx", "2.0", requires_dist=["new"]),
            make_pkg("old", "1.0"),
            make_pkg("new", "1.0"),
        ]
    )
    root = make_project(tmp_path, FORKING, "forky")
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    data = tomllib.loads((root / "pylock.toml").read_text())
    deps = {(p["name"], p["version"]): p.get("dependencies", []) for p in data["packages"]}
    assert deps[("user", "1.0")] == [{"name": "pkgx", "version": "1.0"}, {"name": "pkgx", "version": "2.0"}]
    assert deps[("pkgx", "1.0")] == [{"name": "old"}]
    assert deps[("pkgx", "2.0")] == [{"name": "new"}]
    result = run_bale("tree", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        "forky v1.0\n"
        "├── pkgx v1.0\n"
        "│   └── old v1.0\n"
        "├── pkgx v2.0\n"
        "│   └── new v1.0\n"
        "└── user v1.0\n"
        "    ├── pkgx v1.0 (*)\n"
        "    └── pkgx v2.0 (*)\n"
    )
    why = run_bale("why", "new", cwd=root)
    assert why.stdout == (
        "forky v1.0 -> pkgx v2.0 -> new v1.0\nforky v1.0 -> user v1.0 -> pkgx v2.0 -> new v1.0\n"
    )


def test_export_requirements_txt(locked, run_bale) -> None:
    root, _ = locked
    plain = run_bale("export", "--no-hashes", cwd=root)
    assert plain.code == 0, plain
    assert plain.stdout == (
        "# This file was autogenerated by bale via the following command:\n"
        "#    bale export --no-hashes\n"
        "app==1.0\n"
        "    # via demo\n"
        "devtool==1.0\n"
        "    # via demo:dev\n"
        "fastdep==1.0\n"
        "    # via helper\n"
        "helper==1.0\n"
        "    # via demo\n"
        "lib==1.0\n"
        "    # via\n"
        "    #   app\n"
        "    #   devtool\n"
        "shared==1.0\n"
        "    # via\n"
        "    #   devtool\n"
        "    #   lib\n"
        "winonly==1.0 ; sys_platform == 'win32'\n"
        "    # via app\n"
    )
    assert plain.stderr == ""
    chosen = run_bale(
        "export", "--no-hashes", "--no-header", "--no-annotate", "--no-dev", "--extra", "fancy", cwd=root
    )
    assert chosen.code == 0, chosen
    assert chosen.stdout == (
        "app==1.0\n"
        "extra-pkg==1.0\n"
        "fastdep==1.0\n"
        "helper==1.0\n"
        "lib==1.0\n"
        "shared==1.0\n"
        "winonly==1.0 ; sys_platform == 'win32'\n"
    )
    only = run_bale("export", "--no-hashes", "--no-header", "--no-annotate", "--only-group", "dev", cwd=root)
    assert only.stdout == "devtool==1.0\nlib==1.0\nshared==1.0\n"

    hashed = run_bale("export", "--no-header", "--no-annotate", cwd=root)
    assert hashed.code == 0, hashed
    lock = tomllib.loads((root / "pylock.toml").read_text())
    digests = {p["name"]: p["wheels"][0]["hashes"]["sha256"] for p in lock["packages"]}
    assert hashed.stdout.startswith(f"app==1.0 \\\n    --hash=sha256:{digests['app']}\n")
    found = {line.split("sha256:")[1] for line in hashed.stdout.splitlines() if "--hash=" in line}
    assert found == {digests[n] for n in ("app", "devtool", "fastdep", "helper", "lib", "shared", "winonly")}

    unknown = run_bale("export", "--extra", "fancyy", cwd=root)
    assert unknown.code == 1, unknown
    assert f"{root / 'pylock.toml'} has no extra named fancyy" in unknown.stderr


def test_export_pylock_to_a_file(locked, run_bale, tmp_path: Path) -> None:
    root, _ = locked
    out = tmp_path / "out" / "exported.toml"
    out.parent.mkdir()
    result = run_bale("export", "--format", "pylock.toml", "-o", out, cwd=root)
    assert result.code == 0, result
    assert result.stdout == ""
    assert out.read_text() == (root / "pylock.toml").read_text()


def _site_names(venv: Path) -> list[str]:
    site = next((venv / "lib").glob("python3*/site-packages"))
    return sorted(p.name for p in site.glob("*.dist-info"))


def test_export_installs_what_sync_installs(locked, run_bale, tmp_path: Path) -> None:
    root, url = locked
    synced = run_bale("sync", "-i", url, cwd=root)
    assert synced.code == 0, synced
    expected = _site_names(root / ".venv")
    assert expected == [
        "app-1.0.dist-info",
        "devtool-1.0.dist-info",
        "fastdep-1.0.dist-info",
        "helper-1.0.dist-info",
        "lib-1.0.dist-info",
        "shared-1.0.dist-info",
    ]
    exported = tmp_path / "requirements.txt"
    assert run_bale("export", "-o", exported, cwd=root).code == 0

    by_pip = tmp_path / "by-pip"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(by_pip)], check=True)
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1"}
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(by_pip / "bin" / "python"), "install", "-q",
         "--no-cache-dir", "--index-url", url, "-r", str(exported)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    assert _site_names(by_pip) == expected

    by_bale = tmp_path / "by-bale"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(by_bale)], check=True)
    bale_sync = run_bale("pip", "sync", exported, "-i", url, virtual_env=by_bale)
    assert bale_sync.code == 0, bale_sync
    assert _site_names(by_bale) == expected


PACKAGED = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "packed"
version = "2.0"
requires-python = ">={major}.{minor}"
dependencies = ["lib"]
"""


def test_export_emits_a_packaged_project_editable(shared_lock, run_bale, tmp_path: Path) -> None:
    _, url = shared_lock
    root = make_project(tmp_path, PACKAGED, "packed")
    result = run_bale("export", "--no-hashes", "--no-header", "-i", url, cwd=root)
    assert result.code == 0, result
    assert result.stdout == "lib==2.0\n    # via packed\n-e .\n"
    assert "Resolved 1 package in" in result.stderr
    bare = run_bale("export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project", cwd=root)
    assert bare.stdout == "lib==2.0\n    # via packed\n"
    why = run_bale("why", "lib", "--frozen", cwd=root)
    assert why.stdout == "packed v2.0 -> lib v2.0\n"
