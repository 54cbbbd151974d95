"""Where bale's managed Pythons live, how their folders are named, and which ones are installed."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from packaging.version import InvalidVersion, Version

from bale.model.record import record
from bale.python.layout import WINDOWS

# ``cpython-3.12.1-linux-x86_64-gnu``: implementation, version, os, arch, libc (uv names its own so).
_INSTALL_NAME = re.compile(
    r"^(?P<impl>cpython)-(?P<version>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)-(?P<os>[a-z]+)-(?P<arch>[a-z0-9_]+)-(?P<libc>[a-z]+)$"
)


def install_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``BALE_PYTHON_INSTALL_DIR``, else ``python`` in bale's data dir (``$XDG_DATA_HOME/bale/python``)."""
    given = env.get("BALE_PYTHON_INSTALL_DIR")
    if given:
        return Path(given).expanduser().absolute()
    from bale.user_dirs import user_data_dir

    return Path(user_data_dir(env)) / "python"


@record(frozen=True, slots=True)
class Platform:
    """A python-build-standalone target: ``triple`` (``x86_64-unknown-linux-gnu``) and the short
    ``os``-``arch``-``libc`` a managed install's folder name carries (``linux-x86_64-gnu``)."""

    triple: str
    os: str
    arch: str
    libc: str

    @property
    def key(self) -> str:
        return f"{self.os}-{self.arch}-{self.libc}"


def parse_triple(triple: str) -> Platform | None:
    """The platform a python-build-standalone triple names, or None for one bale does not know."""
    parts = triple.split("-")
    if len(parts) < 3:
        return None
    arch = parts[0]
    if parts[1:] in (["unknown", "linux", "gnu"], ["unknown", "linux", "musl"]):
        return Platform(triple, "linux", arch, parts[3])
    if parts[1:] in (["unknown", "linux", "gnueabihf"], ["unknown", "linux", "gnueabi"]):
        return Platform(triple, "linux", arch, parts[3])
    if parts[1:] == ["apple", "darwin"]:
        return Platform(triple, "macos", arch, "none")
    if parts[1:] == ["pc", "windows", "msvc"]:
        return Platform(triple, "windows", arch, "none")
    return None


def host_platform() -> Platform:
    """The python-build-standalone target of this machine."""
    import platform

    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "i386": "i686", "x86": "i686"}.get(
        machine, machine
    )
    if sys.platform == "darwin":
        return Platform(f"{arch}-apple-darwin", "macos", arch, "none")
    if WINDOWS:
        return Platform(f"{arch}-pc-windows-msvc", "windows", arch, "none")
    libc = "gnu" if _glibc() else "musl"
    return Platform(f"{arch}-unknown-linux-{libc}", "linux", arch, libc)


def install_name(version: Version, target: Platform) -> str:
    """The folder a managed CPython ``version`` for ``target`` gets: ``cpython-3.12.1-linux-x86_64-gnu``."""
    return f"cpython-{version}-{target.key}"


@record(frozen=True, slots=True)
class ManagedPython:
    """One installed managed Python: its folder, version and platform key."""

    path: Path
    version: Version
    platform_key: str

    @property
    def executable(self) -> Path:
        if WINDOWS:
            return self.path / "python.exe"
        return self.path / "bin" / f"python{self.version.major}"

    @property
    def name(self) -> str:
        return self.path.name


def read_install_name(name: str) -> tuple[Version, str] | None:
    """(version, platform key) from a managed install's folder name, or None for anything else."""
    match = _INSTALL_NAME.match(name)
    if match is None:
        return None
    try:
        version = Version(match.group("version"))
    except InvalidVersion:
        return None
    return version, f"{match.group('os')}-{match.group('arch')}-{match.group('libc')}"


def installed_pythons(directory: Path) -> list[ManagedPython]:
    """The managed Pythons in ``directory``, newest first; temp folders and strangers are left out."""
    try:
        names = [
            entry.name for entry in os.scandir(directory) if entry.is_dir() and not entry.name.startswith(".")
        ]
    except OSError:
        return []
    found = []
    for name in names:
        parsed = read_install_name(name)
        if parsed is not None:
            found.append(ManagedPython(directory / name, *parsed))
    found.sort(key=lambda python: (python.version, python.name), reverse=True)
    return found


def _glibc() -> bool:
    # confstr answers in microseconds; platform.libc_ver() reads the interpreter's binary (~20 ms).
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):
        return False
