"""scan_site_packages and the per-dist readers behind `pip list`, `pip show` and `pip check`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from bale.errors import BaleError
from bale.fs.link import Linker
from bale.install.installed import InstalledDist, metadata, requires, scan_site_packages
from bale.install.wheel import install_tree
from bale.model.scheme import InstallScheme
from tests.support.builders import Pkg


def dist_info(site: Path, dirname: str, files: dict[str, str]) -> Path:
    folder = site / dirname
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_scan_reads_names_and_versions_from_folder_names(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info(site, "Foo_Bar-1.2.post1.dist-info", {"INSTALLER": "pip\n", "REQUESTED": ""})
    dist_info(site, "zope.interface-6.0.dist-info", {})
    dist_info(site, "old_style-name-2.0.dist-info", {})  # a dash left in the name by an old tool
    dist_info(site, "broken.dist-info", {"METADATA": "Metadata-Version: 2.1\nName: Broken\nVersion: 3\n"})
    dist_info(site, "unreadable.dist-info", {})
    (site / "stray.dist-info").write_text("not a folder")
    (site / "module.py").write_text("")

    found = scan_site_packages([site, tmp_path / "missing"])
    assert sorted(found) == ["broken", "foo-bar", "old-style-name", "zope-interface"]
    foo = found["foo-bar"]  # type: ignore[index]
    assert foo.version == Version("1.2.post1")
    assert foo.dist_info == site / "Foo_Bar-1.2.post1.dist-info"
    assert foo.installer == "pip"
    assert foo.requested is True
    assert foo.direct_url is None
    assert foo.editable is False
    assert found["old-style-name"].version == Version("2.0")  # type: ignore[index]
    assert found["broken"].version == Version("3")  # type: ignore[index]
    assert found["zope-interface"].installer is None  # type: ignore[index]


def test_scan_is_lazy_about_installer_and_direct_url(tmp_path: Path) -> None:
    site = tmp_path / "site"
    folder = dist_info(site, "foo-1.0.dist-info", {})
    dist = scan_site_packages([site])["foo"]  # type: ignore[index]
    # Written after the snapshot: a lazy reader sees them, an eager one would have cached "absent".
    (folder / "INSTALLER").write_text("uv\n")
    (folder / "direct_url.json").write_text('{"url": "file:///src/foo", "dir_info": {"editable": true}}')
    assert dist.installer == "uv"
    assert dist.direct_url == {"url": "file:///src/foo", "dir_info": {"editable": True}}
    assert dist.editable is True


def test_first_directory_wins_and_duplicates_are_skipped(tmp_path: Path) -> None:
    first, second = tmp_path / "purelib", tmp_path / "platlib"
    dist_info(first, "foo-2.0.dist-info", {})
    dist_info(second, "foo-1.0.dist-info", {})
    dist_info(second, "bar-1.0.dist-info", {})
    found = scan_site_packages([first, first, second])
    assert found["foo"].version == Version("2.0")  # type: ignore[index]
    assert sorted(found) == ["bar", "foo"]


def test_egg_info_dirs_and_files_count_as_installed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info(site, "Legacy_Pkg-0.5-py3.11.egg-info", {"PKG-INFO": "Name: Legacy-Pkg\nVersion: 0.5\n"})
    (site / "single-1.1.egg-info").write_text("Metadata-Version: 1.0\nName: single\nVersion: 1.1\n")
    dist_info(site, "Dev.egg-info", {"PKG-INFO": "Metadata-Version: 1.0\nName: Dev\nVersion: 0.1.dev0\n"})
    found = scan_site_packages([site])
    assert {name: str(d.version) for name, d in found.items()} == {
        "legacy-pkg": "0.5",
        "single": "1.1",
        "dev": "0.1.dev0",
    }
    assert all(d.installer is None and d.is_egg_info for d in found.values())


def test_metadata_and_requires(tmp_path: Path) -> None:
    site = tmp_path / "site"
    text = (
        "Metadata-Version: 2.1\nName: Foo\nVersion: 1.0\nSummary: The foo\n"
        "Requires-Dist: bar>=1\nRequires-Dist: baz; extra == 'fast'\nBogus-Field: tolerated\n"
    )
    dist_info(site, "foo-1.0.dist-info", {"METADATA": text})
    dist = scan_site_packages([site])["foo"]  # type: ignore[index]
    assert metadata(dist).summary == "The foo"
    assert [str(r) for r in requires(dist)] == ["bar>=1", 'baz; extra == "fast"']


def test_requires_of_egg_info_reads_requires_txt(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info(
        site,
        "legacy-1.0-py3.11.egg-info",
        {
            "PKG-INFO": "Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n",
            "requires.txt": "six\n\n[:python_version < '3.8']\nimportlib-metadata\n\n[test]\npytest>=6\n",
        },
    )
    dist = scan_site_packages([site])["legacy"]  # type: ignore[index]
    assert requires(dist) == [
        Requirement("six"),
        Requirement("importlib-metadata; (python_version < '3.8')"),
        Requirement('pytest>=6; extra == "test"'),
    ]


def test_invalid_requirement_names_the_dist(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info(site, "foo-1.0.dist-info", {"METADATA": "Name: foo\nVersion: 1.0\nRequires-Dist: bar >>= 1\n"})
    dist = scan_site_packages([site])["foo"]  # type: ignore[index]
    with pytest.raises(BaleError, match=r"foo 1.0 declares an invalid requirement: 'bar >>= 1'"):
        requires(dist)


def test_missing_metadata_is_an_error_naming_the_file(tmp_path: Path) -> None:
    dist = InstalledDist("foo", Version("1"), tmp_path / "foo-1.dist-info")  # type: ignore[arg-type]
    with pytest.raises(BaleError, match="cannot read the metadata of foo 1") as caught:
        metadata(dist)
    assert "METADATA" in caught.value.message


def test_snapshot_sees_what_install_tree_wrote(tree_of: Callable[[Pkg], Path], scheme: InstallScheme) -> None:
    tree = tree_of(Pkg("My.Pkg", "2.0", requires_dist=["dep>=1"]))
    installed = install_tree(
        tree, scheme, name="My.Pkg", version="2.0", requested=True, direct_url=None, linker=Linker()
    )
    found = scan_site_packages([scheme.purelib, scheme.platlib])
    assert found == {"my-pkg": installed}
    assert found["my-pkg"].installer == "bale"  # type: ignore[index]
    assert found["my-pkg"].requested is True  # type: ignore[index]
    assert requires(installed) == [Requirement("dep>=1")]
