"""uninstall: remove exactly what a dist's RECORD lists, never anything outside the environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.fs.link import Linker
from bale.install.installed import InstalledDist, scan_site_packages
from bale.install.uninstall import uninstall
from bale.install.wheel import install_tree
from bale.model.scheme import InstallScheme
from tests.install.conftest import listing, snapshot
from tests.install.test_install_wheel import demo_pkg
from tests.support.builders import Pkg


def install_demo(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme, pkg: Pkg | None = None
) -> InstalledDist:
    pkg = pkg or demo_pkg()
    return install_tree(
        tree_of(pkg),
        scheme,
        name=pkg.name,
        version=pkg.version,
        requested=True,
        direct_url=None,
        linker=Linker(),
    )


def test_uninstall_removes_everything_install_wrote(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    (scheme.purelib / "neighbour.py").write_text("")
    scheme.headers.mkdir(parents=True)
    before = listing(scheme.data)
    dist = install_demo(tree_of, scheme)
    # Bytecode made after install is not in RECORD, and must go too.
    pycache = scheme.purelib / "demo" / "__pycache__"
    pycache.mkdir()
    for name in ("__init__.cpython-311.pyc", "__init__.cpython-312.opt-1.pyc"):
        (pycache / name).write_bytes(b"")
    (pycache / "other.cpython-311.pyc").write_bytes(b"")  # not from a listed module: kept

    removed = uninstall(dist, scheme)
    assert {p.name for p in removed} >= {
        "__init__.py",
        "__init__.cpython-311.pyc",
        "__init__.cpython-312.opt-1.pyc",
        "demo-cli",
        "demo-tool",
        "demo.h",
        "readme.txt",
        "RECORD",
        "INSTALLER",
        "REQUESTED",
    }
    assert listing(scheme.data) - before == {
        "lib/python3.11/site-packages/demo",
        "lib/python3.11/site-packages/demo/__pycache__",
        "lib/python3.11/site-packages/demo/__pycache__/other.cpython-311.pyc",
    }
    assert before - listing(scheme.data) == set()


def test_uninstall_with_only_the_root_prunes_up_to_it(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    (scheme.scripts / "python").write_text("")
    before = listing(scheme.data)
    dist = install_demo(tree_of, scheme)
    (scheme.purelib / "demo" / "__pycache__").mkdir()
    (scheme.purelib / "demo" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"")
    uninstall(dist, scheme.data)
    assert listing(scheme.data) == before


def test_uninstall_does_not_touch_the_cache(tree_of: Callable[[Pkg], Path], scheme: InstallScheme) -> None:
    pkg = demo_pkg()
    dist = install_demo(tree_of, scheme, pkg)
    tree = scheme.data.parent / "cache" / pkg.wheel_filename
    before = snapshot(tree)
    uninstall(dist, scheme)
    assert snapshot(tree) == before


def test_path_outside_the_environment_is_skipped_never_deleted(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme, tmp_path: Path
) -> None:
    dist = install_demo(tree_of, scheme)
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    record = dist.dist_info / "RECORD"
    record.write_text(record.read_text() + "../../../../outside.txt,,\n")
    skipped: list[str] = []
    uninstall(dist, scheme, skipped=skipped)
    assert len(skipped) == 1
    assert "../../../../outside.txt" in skipped[0] and str(outside) in skipped[0]
    assert outside.read_text() == "precious\n"
    assert not dist.dist_info.exists()


def test_symlinked_folder_pointing_outside_is_skipped(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme, tmp_path: Path
) -> None:
    dist = install_demo(tree_of, scheme)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.txt").write_text("precious\n")
    (scheme.purelib / "escape").symlink_to(elsewhere, target_is_directory=True)
    record = dist.dist_info / "RECORD"
    record.write_text(record.read_text() + "escape/victim.txt,,\n")
    skipped: list[str] = []
    uninstall(dist, scheme, skipped=skipped)
    assert len(skipped) == 1 and "outside the environment" in skipped[0]
    assert (elsewhere / "victim.txt").read_text() == "precious\n"
    assert not (scheme.purelib / "demo" / "__init__.py").exists()


def test_listed_symlink_is_removed_not_its_target(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme, tmp_path: Path
) -> None:
    dist = install_demo(tree_of, scheme)
    target = tmp_path / "target.txt"
    target.write_text("keep me\n")
    (scheme.purelib / "demo" / "link.txt").symlink_to(target)
    record = dist.dist_info / "RECORD"
    record.write_text(record.read_text() + "demo/link.txt,,\n")
    uninstall(dist, scheme)
    assert not (scheme.purelib / "demo").exists()
    assert target.read_text() == "keep me\n"


def test_missing_record_names_the_dist_and_its_installer(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "site-packages"
    info = site / "foo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "INSTALLER").write_text("conda\n")
    (site / "foo.py").write_text("")
    dist = scan_site_packages([site])["foo"]  # type: ignore[index]
    with pytest.raises(BaleError) as caught:
        uninstall(dist, tmp_path)
    error = caught.value
    assert error.message == f"cannot uninstall foo 1.0: {info} has no RECORD file"
    assert "it was installed by conda" in error.context
    assert (site / "foo.py").exists()
    assert info.exists()


def test_egg_info_with_installed_files_txt(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "site-packages"
    (site / "legacy").mkdir(parents=True)
    (site / "legacy" / "__init__.py").write_text("")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "legacy-run").write_text("")
    (tmp_path / "bin" / "python").write_text("")
    egg = site / "legacy-1.0-py3.11.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Name: legacy\nVersion: 1.0\n")
    (egg / "installed-files.txt").write_text(
        "../legacy/__init__.py\n../../../bin/legacy-run\n./\nPKG-INFO\ninstalled-files.txt\n"
    )
    dist = scan_site_packages([site])["legacy"]  # type: ignore[index]
    uninstall(dist, tmp_path)
    assert listing(tmp_path) == {"lib", "lib/site-packages", "bin", "bin/python"}


def test_egg_info_without_file_list_is_an_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "legacy-1.0.egg-info").write_text("Name: legacy\nVersion: 1.0\n")
    dist = scan_site_packages([site])["legacy"]  # type: ignore[index]
    with pytest.raises(BaleError, match=r"has no installed-files\.txt file"):
        uninstall(dist, tmp_path)
    assert (site / "legacy-1.0.egg-info").exists()
