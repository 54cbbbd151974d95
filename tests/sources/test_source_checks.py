"""What bale checks about sources: a lock's local paths against the project's sources, a sourced
requirement's version bound against the source's version, and ``subdirectory`` in URL and git sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.build.helpers import in_tree_files, tar_sdist, write_tree
from tests.sources.helpers import direct_url, dist_infos, local_package, locked, write_project
from tests.support.builders import sha256_of

DEMO = """
    [project]
    name = "demo"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = ["localpkg"]

    [tool.bale.sources]
    localpkg = { path = "../localpkg" }
"""


def _project(folder: Path, dependency: str, source: str) -> Path:
    return write_project(
        folder,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["{dependency}"]

        [tool.bale.sources]
        {source}
        """,
    )


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=bale", "-c", "user.email=bale@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")


# ----------------------------------------------------------------------------------------------- lock paths


def test_a_lock_edited_to_take_a_folder_from_elsewhere_is_refused(run_bale, tmp_path: Path) -> None:
    local_package(tmp_path / "localpkg", "localpkg")
    local_package(tmp_path / "evil", "localpkg")
    root = write_project(tmp_path / "demo", DEMO)
    assert run_bale("lock", "--no-index", cwd=root).code == 0
    lock = root / "pylock.toml"
    assert locked(root)["localpkg"]["directory"] == {"path": "../localpkg"}
    lock.write_text(lock.read_text().replace('path = "../localpkg"', 'path = "../evil"'))

    for flags in ((), ("--frozen",)):
        refused = run_bale("sync", "--no-index", *flags, cwd=root)
        assert refused.code == 1, refused
        assert "Traceback" not in refused.stderr
        assert "localpkg" in refused.stderr
        assert str((tmp_path / "evil").resolve()) in refused.stderr
        assert str(lock) in refused.stderr
        assert "tampered" in refused.stderr
        assert not (root / ".venv" / "lib").exists() or dist_infos(root) == []


def test_a_lock_edited_to_take_a_wheel_from_elsewhere_is_refused(make_pkg, run_bale, tmp_path: Path) -> None:
    make_pkg("vendored", "2.0", dest=tmp_path / "demo" / "wheels")
    other = make_pkg("vendored", "2.0", dest=tmp_path / "elsewhere")
    root = _project(
        tmp_path / "demo", "vendored", 'vendored = { path = "wheels/vendored-2.0-py3-none-any.whl" }'
    )
    assert run_bale("lock", "--no-index", cwd=root).code == 0
    lock = root / "pylock.toml"
    text = lock.read_text()
    lock.write_text(text.replace('path = "wheels/', 'path = "../elsewhere/'))
    assert lock.read_text() != text

    refused = run_bale("sync", "--frozen", "--no-index", cwd=root)
    assert refused.code == 1, refused
    assert "vendored" in refused.stderr and str(other.resolve()) in refused.stderr
    assert "tampered" in refused.stderr and "Traceback" not in refused.stderr


def test_a_lock_whose_paths_match_the_sources_syncs(run_bale, tmp_path: Path) -> None:
    local_package(tmp_path / "localpkg", "localpkg")
    root = write_project(tmp_path / "demo", DEMO)
    synced = run_bale("sync", "--no-index", cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["localpkg-1.0"]
    again = run_bale("sync", "--frozen", "--no-index", cwd=root)
    assert again.code == 0, again


# ------------------------------------------------------------------------------------------- version bounds


def test_a_version_bound_a_path_source_cannot_meet_is_a_conflict(run_bale, tmp_path: Path) -> None:
    local_package(tmp_path / "lib", "lib", "1.0")
    root = _project(tmp_path / "demo", "lib>=2", 'lib = { path = "../lib" }')
    result = run_bale("lock", "--no-index", cwd=root)
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "lib>=2" in message and "1.0" in message
    assert str(tmp_path / "lib") in message
    assert "No solution found" in message
    assert not (root / "pylock.toml").exists()


def test_a_version_bound_a_path_source_meets_locks(run_bale, tmp_path: Path) -> None:
    local_package(tmp_path / "lib", "lib", "1.0")
    root = _project(tmp_path / "demo", "lib>=1,<2", 'lib = { path = "../lib" }')
    result = run_bale("sync", "--no-index", cwd=root)
    assert result.code == 0, result
    assert locked(root)["lib"]["directory"] == {"path": "../lib"}
    assert dist_infos(root) == ["lib-1.0"]


def test_a_version_bound_a_wheel_source_cannot_meet_is_a_conflict(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    wheel = make_pkg("remote", "1.5")
    server = static_index([wheel])
    url = server.file_url(wheel.name)
    root = _project(tmp_path / "demo", "remote>=2", f'remote = {{ url = "{url}" }}')
    result = run_bale("lock", "-i", server.url, cwd=root)
    assert result.code == 1, result
    message = " ".join(result.stderr.split())
    assert "remote>=2" in message and "1.5" in message and url in message
    assert "Traceback" not in result.stderr

    local = make_pkg("vendored", "2.0", dest=tmp_path / "demo" / "wheels")
    root = _project(tmp_path / "demo", "vendored<2", f'vendored = {{ path = "wheels/{local.name}" }}')
    result = run_bale("lock", "--no-index", cwd=root)
    assert result.code == 1, result
    message = " ".join(result.stderr.split())
    assert "vendored<2" in message and "2.0" in message and str(local) in message


@needs_git
def test_a_version_bound_a_git_source_cannot_meet_is_a_conflict(run_bale, tmp_path: Path) -> None:
    repo = local_package(tmp_path / "repo", "gitpkg", "1.0")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    root = _project(tmp_path / "demo", "gitpkg>=3", f'gitpkg = {{ git = "{repo.as_uri()}" }}')
    result = run_bale("lock", "--no-index", cwd=root)
    assert result.code == 1, result
    message = " ".join(result.stderr.split())
    assert "gitpkg>=3" in message and "1.0" in message and repo.as_uri() in message
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------------- subdirectory


def _repository_archive(dest: Path, name: str, version: str) -> Path:
    """A GitHub-style ``repo.tar.gz``: one top folder ``repo/``, the project in ``repo/packages/NAME``."""
    files = {f"packages/{name}/{path}": text for path, text in in_tree_files(name, version).items()}
    files["README.md"] = "not a project at the root\n"
    return tar_sdist(files, dest, top="repo")


def test_a_url_source_with_a_subdirectory_is_locked_and_synced(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    archive = _repository_archive(server.root / "files", "subpkg", "1.2")
    url = server.file_url(archive.name)
    root = _project(
        tmp_path / "demo", "subpkg", f'subpkg = {{ url = "{url}", subdirectory = "packages/subpkg" }}'
    )
    result = run_bale("lock", "-i", server.url, cwd=root)
    assert result.code == 0, result
    package = locked(root)["subpkg"]
    assert package["version"] == "1.2"
    assert package["archive"] == {
        "url": url,
        "size": archive.stat().st_size,
        "hashes": {"sha256": sha256_of(archive)},
        "subdirectory": "packages/subpkg",
    }

    synced = run_bale("sync", "--frozen", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["subpkg-1.2"]
    assert direct_url(root, "subpkg-1.2") == {
        "url": url,
        "archive_info": {"hashes": {"sha256": sha256_of(archive)}},
        "subdirectory": "packages/subpkg",
    }
    ran = run_bale("run", "--frozen", "-i", server.url, "python", "-c", "import subpkg", cwd=root)
    assert ran.code == 0, ran


def test_a_local_archive_url_with_a_subdirectory_and_a_missing_folder(run_bale, tmp_path: Path) -> None:
    archive = _repository_archive(tmp_path / "demo" / "vendor", "subpkg", "1.2")
    source = f'subpkg = {{ url = "{archive.as_uri()}", subdirectory = "packages/subpkg" }}'
    root = _project(tmp_path / "demo", "subpkg", source)
    result = run_bale("sync", "--no-index", cwd=root)
    assert result.code == 0, result
    assert locked(root)["subpkg"]["archive"]["path"] == "vendor/repo.tar.gz"
    assert locked(root)["subpkg"]["archive"]["subdirectory"] == "packages/subpkg"
    assert dist_infos(root) == ["subpkg-1.2"]

    other = _project(tmp_path / "other", "subpkg", source.replace("packages/subpkg", "packages/nothere"))
    missing = run_bale("lock", "--no-index", cwd=other)
    assert missing.code == 1, missing
    assert "repo.tar.gz" in missing.stderr and "packages/nothere" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_pip_install_takes_a_subdirectory_from_an_archive_url(run_bale, tmp_path: Path) -> None:
    archive = _repository_archive(tmp_path / "vendor", "subpkg", "1.2")
    assert run_bale("venv", str(tmp_path / "env")).code == 0
    python = tmp_path / "env" / "bin" / "python"
    result = run_bale(
        "pip",
        "install",
        "--python",
        str(python),
        "--no-index",
        f"subpkg @ {archive.as_uri()}#subdirectory=packages/subpkg",
    )
    assert result.code == 0, result
    done = subprocess.run([python, "-c", "import subpkg"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@needs_git
def test_a_git_source_with_a_subdirectory_is_locked_and_synced(run_bale, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_tree(repo / "packages" / "gitsub", in_tree_files("gitsub", "3.1"))
    (repo / "README.md").write_text("the project is in packages/gitsub\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    commit = _git(repo, "rev-parse", "HEAD")
    source = f'gitsub = {{ git = "{repo.as_uri()}", subdirectory = "packages/gitsub" }}'
    root = _project(tmp_path / "demo", "gitsub", source)
    result = run_bale("lock", "--no-index", cwd=root)
    assert result.code == 0, result
    package = locked(root)["gitsub"]
    assert package["version"] == "3.1"
    assert package["vcs"] == {
        "type": "git",
        "url": repo.as_uri(),
        "commit-id": commit,
        "subdirectory": "packages/gitsub",
    }
    synced = run_bale("sync", "--frozen", "--no-index", cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["gitsub-3.1"]
    assert direct_url(root, "gitsub-3.1")["subdirectory"] == "packages/gitsub"


def test_another_folder_of_the_same_archive_is_another_install(run_bale, tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for folder in ("one", "two"):
        files.update({f"{folder}/{path}": text for path, text in in_tree_files("subpkg", "1.2").items()})
    archive = tar_sdist(files, tmp_path / "vendor", top="repo")
    assert run_bale("venv", str(tmp_path / "env")).code == 0
    python = tmp_path / "env" / "bin" / "python"
    for folder in ("one", "two"):
        spec = f"subpkg @ {archive.as_uri()}#subdirectory={folder}"
        result = run_bale("pip", "install", "--python", str(python), "--no-index", spec)
        assert result.code == 0, result
        assert "subpkg==1.2" in result.stderr, result  # installed, not "already satisfied"
        script = (
            "import importlib.metadata as m; print(m.distribution('subpkg').read_text('direct_url.json'))"
        )
        found = subprocess.run(
            [python, "-c", script],
            capture_output=True,
            text=True,
        )
        assert f'"subdirectory":"{folder}"' in found.stdout.replace(" ", ""), found
