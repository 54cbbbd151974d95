"""Targets for another Python version or platform: ``--python-version``, ``--python-platform``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.version import Version

from bale.errors import BaleError
from bale.model.record import record
from bale.model.target import TargetEnv

__all__ = [
    "DEFAULT_MACOS",
    "PLATFORM_NAMES",
    "Platform",
    "parse_platform",
    "synthetic_target",
]

# Like uv: an unqualified macOS target assumes the oldest macOS release still supported by Apple.
DEFAULT_MACOS = (13, 0)
# Like uv: "x86_64-unknown-linux-gnu" means a glibc 2.28 system (manylinux_2_28, RHEL 8 and later).
_DEFAULT_GLIBC = (2, 28)
_DEFAULT_MUSL = (1, 2)
# The last manylinux_2_N accepted in a target triple; newer glibcs are accepted as raw tags.
_MAX_TRIPLE_GLIBC = 40
# PEP 600's legacy names, listed right after the manylinux_2_N tag they alias.
_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}

# Windows architectures: their wheel platform tag and their platform_machine marker value.
_WINDOWS_TAGS = {"amd64": "win_amd64", "x86": "win32", "arm64": "win_arm64"}
_WINDOWS_MACHINES = {"amd64": "AMD64", "x86": "x86", "arm64": "ARM64"}


@record(frozen=True, slots=True)
class Platform:
    """An operating system and CPU, as much as wheel tags and markers need to know.

    ``os`` is ``linux`` (glibc ``libc_version`` for manylinux), ``musllinux``, ``macos`` or ``windows``;
    ``arch`` is the wheel tag's architecture (``x86_64``, ``aarch64``, ``arm64``, ``amd64``...).
    """

    os: str
    arch: str
    libc_version: tuple[int, int] = (0, 0)
    macos_version: tuple[int, int] = DEFAULT_MACOS

    def platform_tags(self) -> list[str]:
        """Compatible platform tags, most preferred first (in ``packaging.tags.platform_tags``'s order)."""
        # packaging (26+) ranks a plain linux_ARCH wheel first: on a real machine it was built there.
        if self.os == "linux":
            return [f"linux_{self.arch}", *_manylinux_tags(self.arch, self.libc_version)]
        if self.os == "musllinux":
            major, minor = self.libc_version
            musl = [f"musllinux_{major}_{m}_{self.arch}" for m in range(minor, -1, -1)]
            return [f"linux_{self.arch}", *musl]
        if self.os == "macos":
            return list(mac_platforms(self.macos_version, self.arch))
        return [_WINDOWS_TAGS[self.arch]]

    def markers(self) -> dict[str, str]:
        """The platform half of a marker environment."""
        if self.os in ("linux", "musllinux"):
            return _os_markers("posix", "linux", "Linux", self.arch)
        if self.os == "macos":
            return _os_markers("posix", "darwin", "Darwin", self.arch)
        return _os_markers("nt", "win32", "Windows", _WINDOWS_MACHINES[self.arch])


def _os_markers(os_name: str, sys_platform: str, system: str, machine: str) -> dict[str, str]:
    # A synthetic target has no kernel release or build string: markers on them evaluate against "".
    return {
        "os_name": os_name,
        "sys_platform": sys_platform,
        "platform_system": system,
        "platform_machine": machine,
        "platform_release": "",
        "platform_version": "",
    }


def _manylinux_tags(arch: str, glibc: tuple[int, int]) -> Iterator[str]:
    # glibc 2.5 is the oldest manylinux baseline on x86; the other architectures start at 2.17 (PEP 599).
    oldest = 5 if arch in ("x86_64", "i686") else 17
    major, newest = glibc
    for minor in range(newest, oldest - 1, -1):
        yield f"manylinux_{major}_{minor}_{arch}"
        legacy = _LEGACY_MANYLINUX.get(minor)
        if legacy is not None and major == 2:
            yield f"{legacy}_{arch}"


_TRIPLES: dict[str, Platform] = {
    "x86_64-pc-windows-msvc": Platform("windows", "amd64"),
    "i686-pc-windows-msvc": Platform("windows", "x86"),
    "aarch64-pc-windows-msvc": Platform("windows", "arm64"),
    "x86_64-unknown-linux-gnu": Platform("linux", "x86_64", _DEFAULT_GLIBC),
    "aarch64-unknown-linux-gnu": Platform("linux", "aarch64", _DEFAULT_GLIBC),
    "x86_64-unknown-linux-musl": Platform("musllinux", "x86_64", _DEFAULT_MUSL),
    "aarch64-unknown-linux-musl": Platform("musllinux", "aarch64", _DEFAULT_MUSL),
    "aarch64-apple-darwin": Platform("macos", "arm64"),
    "x86_64-apple-darwin": Platform("macos", "x86_64"),
}
_ALIASES = {
    "linux": "x86_64-unknown-linux-gnu",
    "macos": "aarch64-apple-darwin",
    "windows": "x86_64-pc-windows-msvc",
}
for _arch in ("x86_64", "aarch64"):
    _TRIPLES[f"{_arch}-manylinux2014"] = Platform("linux", _arch, (2, 17))
    for _minor in range(17, _MAX_TRIPLE_GLIBC + 1):
        _TRIPLES[f"{_arch}-manylinux_2_{_minor}"] = Platform("linux", _arch, (2, _minor))

PLATFORM_NAMES: tuple[str, ...] = (
    *_ALIASES,
    *(name for name in _TRIPLES if "-manylinux" not in name),
    "x86_64-manylinux2014",
    f"x86_64-manylinux_2_17 ... x86_64-manylinux_2_{_MAX_TRIPLE_GLIBC}",
    "aarch64-manylinux2014",
    f"aarch64-manylinux_2_17 ... aarch64-manylinux_2_{_MAX_TRIPLE_GLIBC}",
)
"""What ``--python-platform`` accepts, for help and error texts (ranges written with "...")."""

_MANYLINUX_TAG = re.compile(r"manylinux_(\d+)_(\d+)_(\w+)")
_LEGACY_TAG = re.compile(r"(manylinux2014|manylinux2010|manylinux1)_(\w+)")
_MUSL_TAG = re.compile(r"musllinux_(\d+)_(\d+)_(\w+)")
_MACOS_TAG = re.compile(r"macosx_(\d+)_(\d+)_(arm64|x86_64)")
_LINUX_ARCHS = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64"})
_LEGACY_GLIBC = {"manylinux2014": 17, "manylinux2010": 12, "manylinux1": 5}


def parse_platform(name: str, *, macos_version: tuple[int, int] | None = None) -> Platform:
    """The platform a ``--python-platform`` value names: a target triple, an alias or a platform tag.

    ``macos_version`` replaces the default macOS release of a triple (``MACOSX_DEPLOYMENT_TARGET``).
    Raises BaleError listing the accepted names.
    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    found = _TRIPLES.get(key)
    if found is None:
        found = _from_tag(key)
    elif found.os == "macos" and macos_version is not None:
        found = Platform("macos", found.arch, macos_version=macos_version)
    if found is None:
        raise BaleError(
            f"Unknown Python platform {name!r}",
            context=[f"accepted: {', '.join(PLATFORM_NAMES)}"],
            hint="A platform tag such as manylinux_2_28_x86_64, macosx_14_0_arm64 or win_amd64 works too.",
        )
    return found


def _from_tag(tag: str) -> Platform | None:
    for arch, windows_tag in _WINDOWS_TAGS.items():
        if tag == windows_tag:
            return Platform("windows", arch)
    match = _MANYLINUX_TAG.fullmatch(tag)
    if match and match.group(3) in _LINUX_ARCHS and match.group(1) == "2":
        return Platform("linux", match.group(3), (2, int(match.group(2))))
    match = _LEGACY_TAG.fullmatch(tag)
    if match and match.group(2) in _LINUX_ARCHS:
        return Platform("linux", match.group(2), (2, _LEGACY_GLIBC[match.group(1)]))
    match = _MUSL_TAG.fullmatch(tag)
    if match and match.group(3) in _LINUX_ARCHS:
        return Platform("musllinux", match.group(3), (int(match.group(1)), int(match.group(2))))
    match = _MACOS_TAG.fullmatch(tag)
    if match:
        return Platform("macos", match.group(3), macos_version=(int(match.group(1)), int(match.group(2))))
    if tag.startswith("linux_") and tag[len("linux_") :] in _LINUX_ARCHS:
        # A bare linux_ARCH tag: no manylinux promise at all, so only linux_ARCH wheels fit.
        return Platform("linux", tag[len("linux_") :], (2, 0))
    return None


def _release(version: Version) -> tuple[int, int, int]:
    parts = (*version.release, 0, 0)
    return parts[0], parts[1], parts[2]


def _full_version(version: Version) -> str:
    """``3.11`` -> ``3.11.0`` (a missing patch means the oldest), pre-release suffixes kept."""
    major, minor, micro = _release(version)
    text = f"{major}.{minor}.{micro}"
    if version.pre is not None:
        text += f"{version.pre[0]}{version.pre[1]}"
    return text


def _cpython_tags(python: Version, platforms: Iterable[str], free_threaded: bool = False) -> tuple[Tag, ...]:
    major, minor, _ = _release(python)
    platform_list = list(platforms)
    abi = f"cp{major}{minor}{'t' if free_threaded else ''}"
    return (
        *cpython_tags((major, minor), [abi], platform_list),
        *compatible_tags((major, minor), f"cp{major}{minor}", platform_list),
    )


def _python_markers(python: Version) -> dict[str, str]:
    major, minor, _ = _release(python)
    full = _full_version(python)
    return {
        "python_version": f"{major}.{minor}",
        "python_full_version": full,
        "implementation_name": "cpython",
        "implementation_version": full,
        "platform_python_implementation": "CPython",
    }


def _unique_platforms(tags: Iterable[Tag]) -> list[str]:
    """The platform tags of ``tags`` in their order of preference, ``any`` left out."""
    return list(dict.fromkeys(tag.platform for tag in tags if tag.platform != "any"))


def synthetic_target(
    python_version: Version,
    platform: str | None,
    base: TargetEnv | None,
    *,
    macos_version: tuple[int, int] | None = None,
) -> TargetEnv:
    """A CPython ``python_version`` target on ``platform`` (see :func:`parse_platform`).

    Without ``platform`` the platform of ``base`` (the running interpreter's target) is kept and only
    the Python version changes: its markers are kept but the Python ones, its platform tags are
    regenerated for the new ``cpXY``. A version without a patch number means ``.0`` in markers, as
    ``Requires-Python`` lower bounds read it. Raises BaleError for an unknown platform, or when
    neither ``platform`` nor ``base`` is given.
    """
    python = Version(_full_version(python_version))
    if platform is not None:
        chosen = parse_platform(platform, macos_version=macos_version)
        markers = {**chosen.markers(), **_python_markers(python)}
        tags = _cpython_tags(python, chosen.platform_tags())
        return TargetEnv(python_version=python, markers=markers, tags=tags)
    if base is None:
        raise BaleError("A synthetic target needs a platform or a base interpreter to take it from")
    platforms = _unique_platforms(base.tags) or ["any"]
    major, minor, _ = _release(python)
    # A free-threaded base keeps its ABI where one exists (3.13 and later).
    base_major, base_minor, _ = _release(base.python_version)
    free_threaded = (major, minor) >= (3, 13) and any(
        tag.abi == f"cp{base_major}{base_minor}t" for tag in base.tags[:1]
    )
    markers = {**_platform_markers(base.markers), **_python_markers(python)}
    tags = _cpython_tags(python, platforms, free_threaded)
    return TargetEnv(python_version=python, markers=markers, tags=tags)


def _platform_markers(markers: Mapping[str, str]) -> dict[str, str]:
    keys = (
        "os_name",
        "sys_platform",
        "platform_system",
        "platform_machine",
        "platform_release",
        "platform_version",
    )
    return {key: markers.get(key, "") for key in keys}
