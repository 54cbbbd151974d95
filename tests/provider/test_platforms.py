"""model/platforms.py: targets for --python-version / --python-platform, checked against packaging."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms, sys_tags
from packaging.version import Version

from bale.errors import BaleError
from bale.model.platforms import PLATFORM_NAMES, parse_platform, synthetic_target
from tests.provider.conftest import host_target

V = Version


def tag_strings(tags: tuple[Tag, ...]) -> list[str]:
    return [str(t) for t in tags]


def expected_tags(python: tuple[int, int], platforms: list[str]) -> list[str]:
    """What packaging itself yields for a CPython of that version on those platforms."""
    interpreter = f"cp{python[0]}{python[1]}"
    return [
        *(str(t) for t in cpython_tags(python, [interpreter], platforms)),
        *(str(t) for t in compatible_tags(python, interpreter, platforms)),
    ]


def manylinux(arch: str, newest: int, oldest: int) -> list[str]:
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    out: list[str] = []
    for minor in range(newest, oldest - 1, -1):
        out.append(f"manylinux_2_{minor}_{arch}")
        if minor in legacy:
            out.append(f"{legacy[minor]}_{arch}")
    return out


LINUX_MARKERS = {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux"}
MAC_MARKERS = {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin"}
WINDOWS_MARKERS = {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows"}

# name -> (platform markers, machine, platform tags most preferred first)
TABLE: dict[str, tuple[dict[str, str], str, list[str]]] = {
    "linux": (LINUX_MARKERS, "x86_64", ["linux_x86_64", *manylinux("x86_64", 28, 5)]),
    "x86_64-unknown-linux-gnu": (LINUX_MARKERS, "x86_64", ["linux_x86_64", *manylinux("x86_64", 28, 5)]),
    "aarch64-unknown-linux-gnu": (LINUX_MARKERS, "aarch64", ["linux_aarch64", *manylinux("aarch64", 28, 17)]),
    "x86_64-manylinux2014": (LINUX_MARKERS, "x86_64", ["linux_x86_64", *manylinux("x86_64", 17, 5)]),
    "x86_64-manylinux_2_17": (LINUX_MARKERS, "x86_64", ["linux_x86_64", *manylinux("x86_64", 17, 5)]),
    "x86_64-manylinux_2_40": (LINUX_MARKERS, "x86_64", ["linux_x86_64", *manylinux("x86_64", 40, 5)]),
    "aarch64-manylinux_2_31": (LINUX_MARKERS, "aarch64", ["linux_aarch64", *manylinux("aarch64", 31, 17)]),
    "manylinux_2_35_x86_64": (LINUX_MARKERS, "x86_64", ["linux_x86_64", *manylinux("x86_64", 35, 5)]),
    "manylinux2010_i686": (LINUX_MARKERS, "i686", ["linux_i686", *manylinux("i686", 12, 5)]),
    "linux_x86_64": (LINUX_MARKERS, "x86_64", ["linux_x86_64"]),
    "x86_64-unknown-linux-musl": (
        LINUX_MARKERS,
        "x86_64",
        ["linux_x86_64", "musllinux_1_2_x86_64", "musllinux_1_1_x86_64", "musllinux_1_0_x86_64"],
    ),
    "musllinux_1_1_aarch64": (
        LINUX_MARKERS,
        "aarch64",
        ["linux_aarch64", "musllinux_1_1_aarch64", "musllinux_1_0_aarch64"],
    ),
    "macos": (MAC_MARKERS, "arm64", list(mac_platforms((13, 0), "arm64"))),
    "aarch64-apple-darwin": (MAC_MARKERS, "arm64", list(mac_platforms((13, 0), "arm64"))),
    "x86_64-apple-darwin": (MAC_MARKERS, "x86_64", list(mac_platforms((13, 0), "x86_64"))),
    "macosx_14_0_arm64": (MAC_MARKERS, "arm64", list(mac_platforms((14, 0), "arm64"))),
    "macosx_10_15_x86_64": (MAC_MARKERS, "x86_64", list(mac_platforms((10, 15), "x86_64"))),
    "windows": (WINDOWS_MARKERS, "AMD64", ["win_amd64"]),
    "x86_64-pc-windows-msvc": (WINDOWS_MARKERS, "AMD64", ["win_amd64"]),
    "i686-pc-windows-msvc": (WINDOWS_MARKERS, "x86", ["win32"]),
    "aarch64-pc-windows-msvc": (WINDOWS_MARKERS, "ARM64", ["win_arm64"]),
    "win_amd64": (WINDOWS_MARKERS, "AMD64", ["win_amd64"]),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_platform_table(name: str) -> None:
    platform_markers, machine, platforms = TABLE[name]
    target = synthetic_target(V("3.12"), name, None)
    assert target.python_version == V("3.12.0")
    assert dict(target.markers) == {
        **platform_markers,
        "platform_machine": machine,
        "platform_release": "",
        "platform_version": "",
        "python_version": "3.12",
        "python_full_version": "3.12.0",
        "implementation_name": "cpython",
        "implementation_version": "3.12.0",
        "platform_python_implementation": "CPython",
    }
    assert tag_strings(target.tags) == expected_tags((3, 12), platforms)
    assert str(target.tags[0]) == f"cp312-cp312-{platforms[0]}"
    assert str(target.tags[-1]) == "py30-none-any"


def test_macos_release_can_be_chosen() -> None:
    target = synthetic_target(V("3.13.1"), "macos", None, macos_version=(15, 0))
    assert str(target.tags[0]) == "cp313-cp313-macosx_15_0_arm64"
    assert target.markers["python_full_version"] == "3.13.1"


def test_every_listed_name_parses() -> None:
    for name in PLATFORM_NAMES:
        for part in name.split(" ... "):
            parse_platform(part)
    assert parse_platform("LINUX") == parse_platform("x86_64-manylinux_2_28")


@pytest.mark.parametrize(
    "name",
    ["solaris", "x86_64-manylinux_2_41", "manylinux_2_28_sparc", "macosx_14_0_ppc", "wasm32-pyodide2024"],
)
def test_unknown_platforms_are_errors_listing_the_names(name: str) -> None:
    with pytest.raises(BaleError) as failure:
        synthetic_target(V("3.12"), name, None)
    assert failure.value.message == f"Unknown Python platform {name!r}"
    assert "x86_64-unknown-linux-gnu" in failure.value.context[0]
    assert "aarch64-apple-darwin" in failure.value.context[0]


def test_without_platform_or_base_is_an_error() -> None:
    with pytest.raises(BaleError):
        synthetic_target(V("3.12"), None, None)


def test_pre_release_python() -> None:
    target = synthetic_target(V("3.14.0rc1"), "linux", None)
    assert target.markers["python_full_version"] == "3.14.0rc1"
    assert target.markers["python_version"] == "3.14"
    assert str(target.tags[0]) == "cp314-cp314-linux_x86_64"


# -- against the running interpreter ----------------------------------------------------------------


def test_same_version_on_the_host_platform_is_the_host() -> None:
    base = host_target()
    target = synthetic_target(base.python_version, None, base)
    assert tag_strings(target.tags) == tag_strings(tuple(sys_tags()))
    assert dict(target.markers) == default_environment()


@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() != "x86_64" or not hasattr(os, "confstr"),
    reason="needs an x86_64 glibc Linux",
)
def test_manylinux_tag_of_this_machine_gives_its_tags() -> None:
    glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    if not glibc.startswith("glibc "):
        pytest.skip("not glibc")
    major, minor = glibc.split()[1].split(".")[:2]
    python = V(platform.python_version())
    target = synthetic_target(python, f"manylinux_{major}_{minor}_x86_64", None)
    assert tag_strings(target.tags) == tag_strings(tuple(sys_tags()))
    for key in (
        "os_name",
        "sys_platform",
        "platform_system",
        "platform_machine",
        "python_version",
        "python_full_version",
        "implementation_name",
        "platform_python_implementation",
    ):
        assert target.markers[key] == default_environment()[key], key


def _other_interpreters() -> list[Path]:
    # pyenv's versions folder, wherever PYENV_ROOT or the home directory puts it.
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = []
    for minor in (9, 10, 12, 13):
        matches = sorted(root.glob(f"3.{minor}.*/bin/python3")) if root.is_dir() else []
        if matches:
            found.append(matches[0])
    return found[:2]


@pytest.mark.parametrize("executable", _other_interpreters(), ids=lambda p: p.parts[-3])
def test_version_swap_matches_a_real_interpreter(executable: Path, tmp_path: Path) -> None:
    """Keeping this machine's platform and swapping the version gives what that Python reports."""
    from bale.python.probe import probe

    real = probe(executable, cache_dir=tmp_path).target()
    if real.markers["implementation_name"] != "cpython" or str(real.tags[0].abi).endswith("t"):
        pytest.skip("not a GIL CPython")
    target = synthetic_target(real.python_version, None, host_target())
    assert tag_strings(target.tags) == tag_strings(real.tags)
    for key in (
        "python_version",
        "python_full_version",
        "implementation_version",
        "sys_platform",
        "platform_machine",
    ):
        assert target.markers[key] == real.markers[key], key
