"""The lock file under conflict: git merge markers are an error naming their lines (never relocked from
scratch), two `bale add` at once both land (a project lock), and a failed lock run leaves the old lock
byte for byte."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.sources.helpers import dist_infos, locked, write_project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("alpha", "1.0", requires_dist=["beta"]),
        make_pkg("beta", "1.0"),
        make_pkg("gamma", "1.0"),
        make_pkg("epsilon", "1.0"),
    ]


def _project(folder: Path, index_url: str, dependencies: str) -> Path:
    return write_project(
        folder,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = [{dependencies}]

        [[tool.bale.index]]
        name = "team"
        url = "{index_url}"
        default = true
        """,
    )


def _dependencies(root: Path, text: str | None = None) -> list[str]:
    data = tomllib.loads(text if text is not None else (root / "pyproject.toml").read_text(encoding="utf-8"))
    return sorted(Requirement(item).name for item in data["project"]["dependencies"])


def _set_dependencies(root: Path, dependencies: str) -> None:
    pyproject = root / "pyproject.toml"
    lines = pyproject.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [
        f"dependencies = [{dependencies}]\n" if line.startswith("dependencies =") else line for line in lines
    ]
    pyproject.write_text("".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- merge


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        "git",
        "-c",
        "user.name=bale",
        "-c",
        "user.email=bale@example.org",
        "-c",
        "init.defaultBranch=main",
    ]
    return subprocess.run([*command, *args], cwd=root, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")
def test_a_lock_with_merge_conflict_markers_is_an_error_naming_the_lines(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url, '"alpha"')
    assert run_bale("lock", cwd=root).code == 0
    assert _git(root, "init", "-q").returncode == 0
    assert _git(root, "add", "pyproject.toml", "pylock.toml").returncode == 0
    assert _git(root, "commit", "-q", "-m", "alpha").returncode == 0
    # Two branches each add a dependency and relock: the lock files conflict when merged.
    assert _git(root, "checkout", "-q", "-b", "feature").returncode == 0
    _set_dependencies(root, '"alpha", "gamma"')
    assert run_bale("lock", cwd=root).code == 0
    assert _git(root, "commit", "-q", "-am", "gamma").returncode == 0
    assert _git(root, "checkout", "-q", "main").returncode == 0
    _set_dependencies(root, '"alpha", "epsilon"')
    assert run_bale("lock", cwd=root).code == 0
    assert _git(root, "commit", "-q", "-am", "epsilon").returncode == 0
    merge = _git(root, "merge", "feature")
    assert merge.returncode != 0 and "CONFLICT (content): Merge conflict in pylock.toml" in merge.stdout, (
        merge
    )
    _project(root, server.url, '"alpha", "epsilon", "gamma"')  # the user resolves pyproject.toml

    lock = root / "pylock.toml"
    conflicted = lock.read_bytes()
    markers = [
        number
        for number, line in enumerate(conflicted.decode().splitlines(), 1)
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="
    ]
    assert len(markers) >= 3 and len(markers) % 3 == 0, conflicted.decode()
    expected = f"error: {lock} has merge conflict markers (lines {', '.join(map(str, markers))})"
    for args in (
        ("lock",),
        ("lock", "--check"),
        ("lock", "--upgrade"),
        ("sync",),
        ("sync", "--frozen"),
        ("sync", "--locked"),
        ("tree",),
        ("tree", "--frozen"),
        ("export",),
        ("export", "--frozen"),
    ):
        refused = run_bale(*args, cwd=root)
        assert refused.code == 1, refused
        assert refused.stderr.splitlines()[0] == expected, refused
        assert "git checkout --ours pylock.toml" in refused.stderr and "Traceback" not in refused.stderr
        assert refused.stdout == "", refused
        assert lock.read_bytes() == conflicted, args
        assert not (root / ".venv").exists(), args

    # As the hint says: keep one side and relock; the new lock holds both branches' dependencies.
    assert _git(root, "checkout", "--ours", "pylock.toml").returncode == 0
    relocked = run_bale("lock", cwd=root)
    assert relocked.code == 0, relocked
    assert sorted(locked(root)) == ["alpha", "beta", "epsilon", "gamma"]
    assert run_bale("sync", "--locked", cwd=root).code == 0
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "epsilon-1.0", "gamma-1.0"]


def test_a_separator_line_alone_is_not_a_conflict() -> None:
    from bale.lock.conflicts import conflict_lines

    assert conflict_lines('a = """\n=======\n"""\n') == []
    assert conflict_lines("<<<<<<< ours\nx = 1\n||||||| base\nx = 0\n=======\nx = 2\n>>>>>>> theirs\n") == [
        1,
        3,
        5,
        7,
    ]
    assert conflict_lines("<<<<<<<< not a marker\n") == []


# ---------------------------------------------------------------------------------------------- concurrency


def test_two_adds_at_once_serialise_on_the_project_lock(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url, "")
    # Every index page takes 0.6 s, so the two runs overlap; and this test holds the project's lock
    # first, for longer than the second after which a waiting run says so, however loaded the machine.
    server.slow("/simple/", 0.6)
    from bale.ops.project_mutex import project_lock

    with project_lock(root):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "bale", "add", name],
                cwd=root,
                env=run_bale.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in ("alpha", "gamma")
        ]
        time.sleep(2.5)
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
    # One waited for the other (told after a second), and neither's edit was lost.
    assert any("Waiting for another bale process to release the project" in err for _, err in outputs), (
        outputs
    )
    assert _dependencies(root) == ["alpha", "gamma"]
    assert sorted(locked(root)) == ["alpha", "beta", "gamma"]
    assert run_bale("sync", "--locked", cwd=root).code == 0
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "gamma-1.0"]
    # The project's lock lives in .bale/, which ignores itself for git.
    assert (root / ".bale" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


# ---------------------------------------------------------------------------------------------- atomicity


def test_a_failed_lock_run_leaves_the_old_lock_byte_for_byte(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path / "demo", server.url, '"alpha"')
    assert run_bale("sync", cwd=root).code == 0
    lock = root / "pylock.toml"
    before = lock.read_bytes()
    pyproject = (root / "pyproject.toml").read_bytes()

    def unchanged() -> None:
        assert lock.read_bytes() == before
        assert sorted(p.name for p in root.iterdir()) == [".bale", ".venv", "pylock.toml", "pyproject.toml"]
        assert dist_infos(root) == ["alpha-1.0", "beta-1.0"]

    # No solution: nothing is written.
    _set_dependencies(root, '"alpha", "missing-pkg"')
    failed = run_bale("lock", cwd=root)
    assert failed.code == 1 and "missing-pkg" in failed.stderr, failed
    unchanged()
    # The index fails half-way through (gamma's page): neither `lock` nor a relocking `sync` writes.
    _set_dependencies(root, '"alpha", "gamma"')
    server.fail("/simple/gamma/", 500, times=None)
    for args in (("lock",), ("sync",)):
        failed = run_bale(*args, cwd=root)
        assert failed.code == 1 and "gamma" in failed.stderr and "Traceback" not in failed.stderr, failed
        unchanged()
    # `bale add` puts pyproject.toml back too.
    (root / "pyproject.toml").write_bytes(pyproject)
    failed = run_bale("add", "gamma", cwd=root)
    assert failed.code == 1, failed
    unchanged()
    assert (root / "pyproject.toml").read_bytes() == pyproject

    server.clear_faults()
    assert run_bale("add", "gamma", cwd=root).code == 0
    assert lock.read_bytes() != before
    assert dist_infos(root) == ["alpha-1.0", "beta-1.0", "gamma-1.0"]
