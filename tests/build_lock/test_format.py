"""The locked build dependencies as data: the [tool.bale.build-dependencies] table, the recorder, the pins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.pylock import Pylock
from packaging.version import Version

from bale.dist.build import BuildLink, BuildRequirementsError
from bale.dist.build_lock import (
    BuildPins,
    BuildRecorder,
    LockedBuild,
    build_dependencies_table,
    read_build_dependencies,
    sdist_build_requires,
)
from bale.errors import BaleError
from bale.lock.pylock import LockedPackage, LockInput, PackageSdist, write_pylock
from bale.model.names import normalize
from tests.build.helpers import tar_sdist

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _versions(**pins: str) -> dict:
    return {normalize(name): Version(version) for name, version in pins.items()}


def _link(filename: str) -> BuildLink:
    return BuildLink("0" * 64, filename)


def test_the_table_is_sorted_and_reads_back() -> None:
    builds = [
        LockedBuild.of("Zeta_Pkg", "2.0", _versions(wheel="0.48.0", setuptools="84.2.1")),
        LockedBuild.of("alpha", "1.0", _versions(hatchling="1.33.0", pluggy="1.7.0")),
        LockedBuild.of("alpha", "0.9", _versions(setuptools="70.0")),
    ]

    table = build_dependencies_table(builds)

    assert table == {
        "alpha": {"0.9": ["setuptools==70.0"], "1.0": ["hatchling==1.33.0", "pluggy==1.7.0"]},
        "zeta-pkg": {"2.0": ["setuptools==84.2.1", "wheel==0.48.0"]},
    }
    assert list(table) == ["alpha", "zeta-pkg"]
    back = read_build_dependencies({"bale": {"build-dependencies": table}}, source="pylock.toml")
    assert sorted(back, key=lambda b: (b.name, b.version)) == sorted(
        builds, key=lambda b: (b.name, b.version)
    )


def test_the_lock_file_holds_it_under_tool_bale_and_stays_a_valid_pylock() -> None:
    sdist = PackageSdist(
        name="srconly-1.0.tar.gz", url="https://x.test/srconly-1.0.tar.gz", hashes={"sha256": "a" * 64}
    )
    lock = LockInput(packages=(LockedPackage(name="srconly", version=Version("1.0"), sdist=sdist),))
    table = build_dependencies_table([LockedBuild.of("srconly", "1.0", _versions(setuptools="84.2.1"))])

    text = write_pylock(lock, tool_bale={"build-dependencies": table})

    assert '[tool.bale.build-dependencies.srconly]\n"1.0" = ["setuptools==84.2.1"]\n' in text
    data = tomllib.loads(text)
    Pylock.from_dict(data).validate()
    assert data["tool"]["bale"]["build-dependencies"] == {"srconly": {"1.0": ["setuptools==84.2.1"]}}


def test_a_lock_without_the_table_has_no_builds() -> None:
    assert read_build_dependencies(None, source="pylock.toml") == []
    assert read_build_dependencies({"other-tool": {}}, source="pylock.toml") == []
    assert read_build_dependencies({"bale": {"inputs": {}}}, source="pylock.toml") == []


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ("not a table", "it is not a table"),
        ({"srconly": ["setuptools==1"]}, "srconly is not a table of versions"),
        ({"srconly": {"1.0": "setuptools==1"}}, "srconly 1.0 is not a list of pins"),
        ({"srconly": {"1.0": ["setuptools>=1"]}}, "srconly 1.0 holds 'setuptools>=1', not NAME==VERSION"),
        ({"srconly": {"1.0": ["setuptools==not a version"]}}, "not NAME==VERSION"),
    ],
)
def test_a_broken_table_is_an_error_naming_the_lock_file(table: object, needle: str) -> None:
    with pytest.raises(BaleError) as caught:
        read_build_dependencies({"bale": {"build-dependencies": table}}, source="/p/pylock.toml")
    assert "[tool.bale.build-dependencies] in /p/pylock.toml" in caught.value.message
    assert needle in caught.value.message


def test_the_recorder_merges_both_resolutions_of_one_build_and_keeps_sdists_only() -> None:
    recorder = BuildRecorder()
    recorder.record(_link("srconly-1.0.tar.gz"), _versions(setuptools="84.2.1"))
    recorder.record(_link("srconly-1.0.tar.gz"), _versions(setuptools="84.2.1", wheel="0.48.0"))
    recorder.record(BuildLink("/src/tree", "tree"), _versions(hatchling="1.33.0"))

    builds = recorder.sdist_builds()

    assert builds == {
        ("srconly", "1.0"): LockedBuild.of("srconly", "1.0", _versions(setuptools="84.2.1", wheel="0.48.0"))
    }


def test_pins_are_found_by_the_sdist_being_built() -> None:
    build = LockedBuild.of("srconly", "1.0", _versions(setuptools="84.2.1"))
    pins = BuildPins([build], strict=True)

    assert pins.for_link(_link("srconly-1.0.tar.gz")) == build
    assert pins.for_link(_link("SrcOnly-1.0.zip")) == build
    assert pins.for_link(_link("srconly-1.1.tar.gz")) is None
    assert pins.for_link(BuildLink("/src/srconly", "srconly")) is None
    assert [str(spec) for spec in pins.constraints(build)] == ["setuptools==84.2.1"]
    assert BuildPins.preferences(build) == _versions(setuptools="84.2.1")


def test_a_pin_the_indexes_lost_is_named() -> None:
    build = LockedBuild.of("srconly", "1.0", _versions(setuptools="84.2.1", wheel="0.48.0"))
    pins = BuildPins([build], strict=True, source="/p/pylock.toml")
    offered = {"setuptools": {Version("999")}, "wheel": {Version("0.48.0")}}

    error = pins.failure(build, BaleError("No solution"), lambda name: offered[name])

    assert isinstance(error, BuildRequirementsError)
    assert error.message == (
        "Cannot build srconly==1.0 with its locked build dependencies: "
        "setuptools==84.2.1 is not available from the configured indexes"
    )
    assert list(error.context) == ["locked in /p/pylock.toml: setuptools==84.2.1, wheel==0.48.0"]
    assert "bale lock --upgrade-package setuptools" in (error.hint or "")


def test_sdist_build_requires_reads_the_archive(tmp_path: Path) -> None:
    with_table = tar_sdist(
        {"pyproject.toml": '[build-system]\nrequires = ["hatchling>=1", "x; python_version < \'3\'"]\n'},
        tmp_path,
        "one-1.0",
    )
    legacy = tar_sdist({"setup.py": "", "PKG-INFO": "Name: two\n"}, tmp_path, "two-1.0")
    no_table = tar_sdist({"pyproject.toml": "[project]\nname = 'three'\n"}, tmp_path, "three-1.0")
    broken = tmp_path / "four-1.0.tar.gz"
    broken.write_bytes(b"not a tar")

    assert sdist_build_requires(with_table) == ("hatchling>=1", "x; python_version < '3'")
    assert sdist_build_requires(legacy) == ("setuptools>=40.8.0",)
    assert sdist_build_requires(no_table) == ("setuptools>=40.8.0",)
    with pytest.raises(BaleError, match=r"Cannot read four-1\.0\.tar\.gz"):
        sdist_build_requires(broken)
