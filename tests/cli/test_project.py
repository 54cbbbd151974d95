"""`bale lock`, `bale sync`, `bale run`, `bale init`, `bale add` and `bale remove` on small projects."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.pylock import Pylock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
# the app's own dependencies
dependencies = [
    "app",  # keep me
]

[dependency-groups]
dev = ["devtool"]
"""


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib", "winonly ; sys_platform == 'win32'"]),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("winonly", "1.0"),
        make_pkg("devtool", "1.0"),
        make_pkg("extra-pkg", "1.0"),
    ]


def _project(tmp_path: Path, text: str = PYPROJECT) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(text.replace("{major}", str(major)).replace("{minor}", str(minor)))
    return root


def _dist_infos(root: Path) -> list[str]:
    site = next((root / ".venv" / "lib").glob("python3*/site-packages"))
    return sorted(p.name for p in site.glob("*.dist-info"))


def _packages(lock_text: str) -> dict[str, dict[str, object]]:
    data = tomllib.loads(lock_text)
    return {p["name"]: p for p in data["packages"]}


def test_lock_writes_a_valid_multi_use_lock(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    result = run_bale("lock", "-i", server.url, cwd=root)
    assert result.code == 0, result
    assert "Resolved 4 packages in" in result.stderr
    text = (root / "pylock.toml").read_text()
    Pylock.from_dict(tomllib.loads(text)).validate()
    packages = _packages(text)
    assert sorted(packages) == ["app", "devtool", "lib", "winonly"]
    assert packages["lib"]["version"] == "2.0"
    assert "marker" not in packages["app"]
    assert str(packages["winonly"]["marker"]).replace("'", '"') == 'sys_platform == "win32"'
    assert str(packages["devtool"]["marker"]).replace("'", '"') == '"dev" in dependency_groups'
    assert tomllib.loads(text)["default-groups"] == ["dev"]

    again = run_bale("lock", "-i", server.url, cwd=root)
    assert again.code == 0, again
    assert (root / "pylock.toml").read_text() == text


def test_lock_keeps_locked_versions_unless_upgrading(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace('"app",', '"app", "lib<2",')
    )
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    assert _packages((root / "pylock.toml").read_text())["lib"]["version"] == "1.0"
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('"lib<2",', '"lib",'))
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    assert _packages((root / "pylock.toml").read_text())["lib"]["version"] == "1.0"
    assert run_bale("lock", "-P", "lib", "-i", server.url, cwd=root).code == 0
    assert _packages((root / "pylock.toml").read_text())["lib"]["version"] == "2.0"


def test_lock_check_names_what_changed(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    fresh = run_bale("lock", "--check", cwd=root)
    assert fresh.code == 0, fresh
    before = (root / "pylock.toml").read_text()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dev = ["devtool"]', 'dev = ["devtool", "extra-pkg"]'))
    stale = run_bale("lock", "--check", cwd=root)
    assert stale.code == 1, stale
    assert "needs to be updated" in stale.stderr
    assert "extra-pkg" in stale.stderr
    assert (root / "pylock.toml").read_text() == before


def test_sync_installs_the_default_selection_exactly(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    result = run_bale("sync", "-i", server.url, cwd=root)
    assert result.code == 0, result
    assert (root / "pylock.toml").is_file()
    assert _dist_infos(root) == ["app-1.0.dist-info", "devtool-1.0.dist-info", "lib-2.0.dist-info"]

    no_dev = run_bale("sync", "--no-dev", "-i", server.url, cwd=root)
    assert no_dev.code == 0, no_dev
    assert _dist_infos(root) == ["app-1.0.dist-info", "lib-2.0.dist-info"]
    assert "- devtool==1.0" in no_dev.stderr

    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"app",', '"app", "extra-pkg",'))
    locked = run_bale("sync", "--locked", "-i", server.url, cwd=root)
    assert locked.code != 0, locked
    assert "--locked" in locked.stderr and "extra-pkg" in locked.stderr
    assert _dist_infos(root) == ["app-1.0.dist-info", "lib-2.0.dist-info"]

    frozen = run_bale("sync", "--frozen", "-i", server.url, cwd=root)
    assert frozen.code == 0, frozen
    assert "extra_pkg-1.0.dist-info" not in _dist_infos(root)


def test_run_passes_the_exit_code_and_sees_the_packages(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    failed = run_bale("run", "-i", server.url, "python", "-c", "import sys; sys.exit(3)", cwd=root)
    assert failed.code == 3, failed
    seen = run_bale(
        "run",
        "--frozen",
        "-i",
        server.url,
        "python",
        "-c",
        "import lib, os, sys; print(lib.__version__, sys.prefix)",
        cwd=root,
    )
    assert seen.code == 0, seen
    version, prefix = seen.stdout.split()
    assert version == "2.0"
    assert Path(prefix) == root / ".venv"


def test_init_creates_a_project_lock_accepts(run_bale, tmp_path: Path) -> None:
    result = run_bale("init", "fresh", "--python", f"{sys.version_info.major}.{sys.version_info.minor}")
    assert result.code == 0, result
    root = tmp_path / "fresh"
    assert (root / "pyproject.toml").is_file()
    locked = run_bale("lock", "--offline", cwd=root)
    assert locked.code == 0, locked
    assert "Resolved 0 packages" in locked.stderr
    assert tomllib.loads((root / "pylock.toml").read_text())["tool"]["bale"]["project"]["name"] == "fresh"


def test_add_then_remove_round_trips(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    original = (root / "pyproject.toml").read_text()
    added = run_bale("add", "extra-pkg", "-i", server.url, cwd=root)
    assert added.code == 0, added
    text = (root / "pyproject.toml").read_text()
    assert '"extra-pkg>=1.0"' in text and "# keep me" in text
    assert "extra_pkg-1.0.dist-info" in _dist_infos(root)
    assert "extra-pkg" in _packages((root / "pylock.toml").read_text())

    removed = run_bale("remove", "extra-pkg", "-i", server.url, cwd=root)
    assert removed.code == 0, removed
    assert (root / "pyproject.toml").read_text() == original
    assert "extra_pkg-1.0.dist-info" not in _dist_infos(root)


def test_add_of_an_unknown_package_changes_nothing(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    original = (root / "pyproject.toml").read_text()
    result = run_bale("add", "nonexistent-thing", "-i", server.url, cwd=root)
    assert result.code != 0, result
    assert (root / "pyproject.toml").read_text() == original
    assert not (root / "pylock.toml").exists()


def test_extra_packages_are_marked_and_installed_on_request(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, PYPROJECT + '\n[project.optional-dependencies]\nfancy = ["extra-pkg"]\n')
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    marker = _packages((root / "pylock.toml").read_text())["extra-pkg"]["marker"]
    assert str(marker).replace("'", '"') == '"fancy" in extras'
    assert run_bale("sync", "--frozen", "-i", server.url, cwd=root).code == 0
    assert "extra_pkg-1.0.dist-info" not in _dist_infos(root)
    result = run_bale("sync", "--frozen", "--extra", "fancy", "-i", server.url, cwd=root)
    assert result.code == 0, result
    assert "extra_pkg-1.0.dist-info" in _dist_infos(root)


def test_sync_installs_a_packaged_project_editable(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    from tests.build.helpers import in_tree_files, write_tree

    server = static_index(_universe(make_pkg))
    files = in_tree_files("editpkg", requires=("lib",))
    files["pyproject.toml"] += """
            [project]
            name = "editpkg"
            version = "1.0"
            dependencies = ["lib"]
        """
    files["editpkg/__init__.py"] = "VALUE = 'before'\n"
    root = write_tree(tmp_path / "editpkg", files)
    result = run_bale("sync", "-i", server.url, cwd=root)
    assert result.code == 0, result
    assert _dist_infos(root) == ["editpkg-1.0.dist-info", "lib-2.0.dist-info"]
    (root / "editpkg" / "__init__.py").write_text("VALUE = 'after'\n")
    code = "import editpkg; print(editpkg.VALUE)"
    seen = run_bale("run", "--frozen", "-i", server.url, "python", "-c", code, cwd=root)
    assert seen.code == 0, seen
    assert seen.stdout.strip() == "after"


def test_a_repeated_sync_is_told_by_the_stamp_and_notices_every_change(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    first = run_bale("sync", "-i", server.url, cwd=root)
    assert first.code == 0, first
    stamp = root / ".venv" / ".bale-sync.json"
    assert stamp.is_file()
    expected = ["app-1.0.dist-info", "devtool-1.0.dist-info", "lib-2.0.dist-info"]
    assert _dist_infos(root) == expected

    written = stamp.stat()
    again = run_bale("sync", "-i", server.url, cwd=root)
    assert again.code == 0, again
    assert "Audited 3 packages" in again.stderr
    # The full sync drops the stamp before installing and writes a new one; the no-op leaves it alone.
    assert (stamp.stat().st_ino, stamp.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)

    # Another tool removes a package: site-packages changed, so the full sync runs and puts it back.
    removed = run_bale("pip", "uninstall", "lib", "--python", str(root / ".venv"), cwd=root)
    assert removed.code == 0, removed
    repaired = run_bale("sync", "-i", server.url, cwd=root)
    assert repaired.code == 0, repaired
    assert "+ lib==2.0" in repaired.stderr
    assert _dist_infos(root) == expected

    # Other settings are another sync: --no-dev removes the dev group at once.
    no_dev = run_bale("sync", "-i", server.url, "--no-dev", cwd=root)
    assert no_dev.code == 0, no_dev
    assert _dist_infos(root) == ["app-1.0.dist-info", "lib-2.0.dist-info"]

    # A changed pyproject.toml relocks (the stamp's fingerprint no longer matches) and installs.
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"app",  # keep me', '"app",  # keep me\n    "extra-pkg",')
    )
    changed = run_bale("sync", "-i", server.url, "--no-dev", cwd=root)
    assert changed.code == 0, changed
    assert "+ extra-pkg==1.0" in changed.stderr

    # A lock edited by hand (another content) is never taken for the synced one.
    lock = root / "pylock.toml"
    lock.write_text(lock.read_text().replace('name = "extra-pkg"', 'name = "extra-pkg"\n# edited'))
    before = stamp.stat()
    frozen = run_bale("sync", "-i", server.url, "--no-dev", "--frozen", cwd=root)
    assert frozen.code == 0, frozen
    assert "Audited 3 packages" in frozen.stderr
    assert (stamp.stat().st_ino, stamp.stat().st_mtime_ns) != (before.st_ino, before.st_mtime_ns)


def test_removing_the_last_dependency_leaves_a_valid_empty_lock(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path)
    assert run_bale("sync", "-i", server.url, cwd=root).code == 0
    for name, group in (("app", ()), ("devtool", ("--dev",))):
        removed = run_bale("remove", name, *group, "-i", server.url, cwd=root)
        assert removed.code == 0, removed
    text = (root / "pylock.toml").read_text()
    Pylock.from_dict(tomllib.loads(text)).validate()
    assert _packages(text) == {}
    assert _dist_infos(root) == []


def test_the_stamp_serves_a_copy_of_the_project_sharing_its_environment(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    # As in CI: a fresh checkout each time, the environment kept elsewhere (BALE_PROJECT_ENVIRONMENT).
    server = static_index(_universe(make_pkg))
    first = _project(tmp_path)
    env = {"BALE_PROJECT_ENVIRONMENT": str(tmp_path / "shared-env")}
    assert run_bale("sync", "-i", server.url, cwd=first, env=env).code == 0
    stamp = tmp_path / "shared-env" / ".bale-sync.json"
    written = stamp.stat()
    second = tmp_path / "checkout-2"
    second.mkdir()
    for name in ("pyproject.toml", "pylock.toml"):
        (second / name).write_bytes((first / name).read_bytes())
    again = run_bale("sync", "-i", server.url, cwd=second, env=env)
    assert again.code == 0, again
    assert "Audited 3 packages" in again.stderr
    assert (stamp.stat().st_ino, stamp.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_add_whose_sync_fails_leaves_pyproject_and_lock_as_they_were(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    # A library whose build backend the index does not have: locking works, installing it does not.
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, PYPROJECT + '\n[build-system]\nrequires = ["nobackend"]\nbuild-backend = "x"\n')
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    before = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}
    result = run_bale("add", "extra-pkg", "-i", server.url, cwd=root)
    assert result.code == 1, result
    assert "nobackend" in result.stderr
    assert {name: (root / name).read_bytes() for name in before} == before


def test_lock_takes_resolution_and_prerelease_from_the_command_line_or_the_project(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([*_universe(make_pkg), make_pkg("lib", "3.0rc1")])
    root = _project(tmp_path)
    lowest = run_bale("lock", "-i", server.url, "--resolution", "lowest", cwd=root)
    assert lowest.code == 0, lowest
    assert _packages((root / "pylock.toml").read_text())["lib"]["version"] == "1.0"
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.bale]\nprerelease = "allow"\n')
    allowed = run_bale("lock", "-i", server.url, "-U", cwd=root)
    assert allowed.code == 0, allowed
    assert _packages((root / "pylock.toml").read_text())["lib"]["version"] == "3.0rc1"
    pyproject.write_text(pyproject.read_text().replace('"allow"', '"sometimes"'))
    bad = run_bale("lock", "-i", server.url, cwd=root)
    assert bad.code == 1, bad
    assert "Invalid prerelease 'sometimes'" in bad.stderr
