"""Dependencies taken from a folder, a local file or a URL: how they are locked and installed."""

from __future__ import annotations

from pathlib import Path

from tests.sources.helpers import direct_url, dist_infos, local_package, locked, write_project
from tests.support.builders import sha256_of

DEMO = """
    [project]
    name = "demo"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = ["localpkg"]

    [tool.bale.sources]
    localpkg = { path = "../localpkg", editable = true }
"""


def test_an_editable_folder_is_locked_as_a_directory_and_installed_editable(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    tree = local_package(tmp_path / "localpkg", "localpkg", requires=("lib",))
    root = write_project(tmp_path / "demo", DEMO)

    result = run_bale("lock", "-i", server.url, cwd=root)
    assert result.code == 0, result
    packages = locked(root)
    assert sorted(packages) == ["lib", "localpkg"]
    assert packages["localpkg"]["directory"] == {"path": "../localpkg", "editable": True}
    assert "version" not in packages["localpkg"]  # a tree's version may change: PEP 751 leaves it out
    assert packages["localpkg"]["dependencies"] == [{"name": "lib"}]
    assert packages["lib"]["index"] == server.url

    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0"]
    assert direct_url(root, "localpkg-1.0") == {
        "url": tree.resolve().as_uri(),
        "dir_info": {"editable": True},
    }
    (tree / "localpkg" / "__init__.py").write_text("VALUE = 'edited'\n")
    code = "import localpkg; print(localpkg.VALUE)"
    seen = run_bale("run", "--frozen", "-i", server.url, "python", "-c", code, cwd=root)
    assert seen.code == 0, seen
    assert seen.stdout.strip() == "edited"


def test_a_folder_without_editable_is_built_and_installed_as_a_copy(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    local_package(tmp_path / "localpkg", "localpkg", requires=("lib",))
    root = write_project(tmp_path / "demo", DEMO.replace(", editable = true", ""))

    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert locked(root)["localpkg"]["directory"] == {"path": "../localpkg"}
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0"]
    assert direct_url(root, "localpkg-1.0")["dir_info"] == {}
    code = "import localpkg; print(localpkg.VALUE)"
    seen = run_bale("run", "--frozen", "-i", server.url, "python", "-c", code, cwd=root)
    assert seen.stdout.strip() == "in-tree", seen  # what the backend put in the wheel, not the tree


def test_a_wheel_file_is_locked_as_an_archive_with_its_hash(make_pkg, run_bale, tmp_path: Path) -> None:
    wheel = make_pkg("vendored", "2.0", dest=tmp_path / "demo" / "wheels")
    root = write_project(
        tmp_path / "demo",
        """
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["vendored"]

        [tool.bale.sources]
        vendored = { path = "wheels/vendored-2.0-py3-none-any.whl" }
        """,
    )
    result = run_bale("sync", "--no-index", cwd=root)
    assert result.code == 0, result
    package = locked(root)["vendored"]
    assert package["version"] == "2.0"
    assert package["archive"] == {
        "path": "wheels/vendored-2.0-py3-none-any.whl",
        "size": wheel.stat().st_size,
        "hashes": {"sha256": sha256_of(wheel)},
    }
    assert dist_infos(root) == ["vendored-2.0"]


def test_a_url_wheel_is_locked_with_hash_and_size_and_checked_on_install(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    wheel = make_pkg("remote", "1.5", requires_dist=["lib"])
    server = static_index([make_pkg("lib", "1.0"), wheel])
    url = server.file_url(wheel.name)
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["remote"]

        [tool.bale.sources]
        remote = {{ url = "{url}" }}
        """,
    )
    result = run_bale("lock", "-i", server.url, cwd=root)
    assert result.code == 0, result
    package = locked(root)["remote"]
    assert package["version"] == "1.5"
    assert package["archive"] == {
        "url": url,
        "size": wheel.stat().st_size,
        "hashes": {"sha256": sha256_of(wheel)},
    }
    assert package["dependencies"] == [{"name": "lib"}]

    # Another file at the same URL (the lock's hash no longer matches): refused, nothing installed.
    lock = root / "pylock.toml"
    lock.write_text(lock.read_text().replace(sha256_of(wheel), "0" * 64))
    tampered = run_bale("sync", "--frozen", "-i", server.url, cwd=root)
    assert tampered.code == 1, tampered
    assert tampered.stderr.splitlines()[:3] == [
        f"error: Hash mismatch for {url}",
        f"  expected sha256:{'0' * 64}",
        f"  actual   sha256:{sha256_of(wheel)}",
    ], tampered.stderr
    assert "Traceback" not in tampered.stderr
    assert dist_infos(root) == []

    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    synced = run_bale("sync", "--frozen", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    assert dist_infos(root) == ["lib-1.0", "remote-1.5"]
    assert direct_url(root, "remote-1.5")["url"] == url


def test_a_pep508_url_dependency_locks_like_a_url_source(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    wheel = make_pkg("remote", "1.5")
    server = static_index([wheel])
    url = server.file_url(wheel.name)
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["remote @ {url}"]
        """,
    )
    result = run_bale("sync", "-i", server.url, cwd=root)
    assert result.code == 0, result
    assert locked(root)["remote"]["archive"]["url"] == url
    assert dist_infos(root) == ["remote-1.5"]


def test_a_missing_path_source_names_the_file_and_the_key(run_bale, tmp_path: Path) -> None:
    root = write_project(tmp_path / "demo", DEMO)
    result = run_bale("lock", "--no-index", cwd=root)
    assert result.code == 1, result
    assert "tool.bale.sources.localpkg" in result.stderr
    assert str(tmp_path / "localpkg") in result.stderr and "does not exist" in result.stderr
    assert not (root / "pylock.toml").exists()
