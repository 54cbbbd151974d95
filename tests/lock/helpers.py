"""Lock-file test values: fake wheels with stable hashes, a multi-platform lock, target environments."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from packaging.pylock import PackageSdist, PackageWheel, Pylock
from packaging.tags import Tag, compatible_tags, cpython_tags

from bale.lock.pylock import DependencyRef, LockedPackage, LockInput, write_pylock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FILES = "https://files.example.org/packages"
INDEX = "https://pypi.example.org/simple"
UPLOADED = datetime(2025, 1, 25, 11, 30, 10, 164985, tzinfo=timezone.utc)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def wheel(filename: str, *, base: str = FILES, size: int = 1000, **fields: Any) -> PackageWheel:
    return PackageWheel(
        name=filename,
        url=f"{base}/{filename}",
        size=size,
        upload_time=fields.pop("upload_time", UPLOADED),
        hashes=fields.pop("hashes", {"sha256": digest(filename)}),
        **fields,
    )


def sdist(filename: str, *, base: str = FILES) -> PackageSdist:
    return PackageSdist(
        name=filename, url=f"{base}/{filename}", size=500, hashes={"sha256": digest(filename)}
    )


def pure(name: str, version: str, marker: str | None = None, **fields: Any) -> LockedPackage:
    """A package with one pure-Python wheel and its sdist."""
    stem = f"{name.replace('-', '_')}-{version}"
    return LockedPackage(
        name,
        version,
        marker=marker,
        index=fields.pop("index", INDEX),
        wheels=(wheel(f"{stem}-py3-none-any.whl"),),
        sdist=fields.pop("sdist", sdist(f"{stem}.tar.gz")),
        **fields,
    )


NUMPY_WHEELS = (
    wheel("numpy-2.2.3-cp312-cp312-win_amd64.whl"),
    wheel("numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
    wheel("numpy-2.2.3-cp312-cp312-macosx_14_0_arm64.whl"),
)


def sample_packages() -> list[LockedPackage]:
    """A universal, multi-use lock: platform wheels, a Windows-only package, a Python fork, an extra
    and a dependency group."""
    return [
        pure("app-lib", "1.0", dependencies=(DependencyRef("numpy"), DependencyRef("colorama"))),
        LockedPackage(
            "numpy",
            "2.2.3",
            marker="python_full_version >= '3.10'",
            requires_python=">=3.10",
            index=INDEX,
            wheels=NUMPY_WHEELS,
        ),
        LockedPackage(
            "numpy",
            "1.26.4",
            marker="python_full_version < '3.10'",
            index=INDEX,
            wheels=(wheel("numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),),
            sdist=sdist("numpy-1.26.4.tar.gz"),
        ),
        pure("colorama", "0.4.6", marker="sys_platform == 'win32'"),
        pure("orjson", "3.10.0", marker="'fast' in extras"),
        pure("pytest", "8.3.0", marker="'dev' in dependency_groups"),
        pure("pywin32-ctypes", "0.2.3", marker="sys_platform == 'win32' and 'dev' in dependency_groups"),
    ]


def sample_input(**fields: Any) -> LockInput:
    values: dict[str, Any] = {
        "packages": tuple(sample_packages()),
        "requires_python": ">=3.9",
        "extras": ("fast",),
        "dependency_groups": ("dev",),
        "default_groups": (),
        "project_name": "demo",
        "project_version": "0.1.0",
    }
    values.update(fields)
    return LockInput(**values)


def load(text: str) -> Pylock:
    """Validate as any PEP 751 reader would: TOML, then packaging's model."""
    return Pylock.from_dict(tomllib.loads(text))


def write_and_load(lock: LockInput, tool_bale: Mapping[str, Any] | None = None) -> Pylock:
    return load(write_pylock(lock, tool_bale=tool_bale))


def environment(system: str, python: str = "3.12.4") -> dict[str, str]:
    """A complete marker environment for ``linux``, ``windows`` or ``mac`` (x86_64, x86_64, arm64)."""
    platform = {
        "linux": ("linux", "Linux", "posix", "x86_64"),
        "windows": ("win32", "Windows", "nt", "AMD64"),
        "mac": ("darwin", "Darwin", "posix", "arm64"),
    }[system]
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": platform[2],
        "platform_machine": platform[3],
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": platform[1],
        "platform_version": "",
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": platform[0],
    }


def tags(system: str, python: str = "3.12") -> list[Tag]:
    version = tuple(int(part) for part in python.split("."))
    abi = f"cp{version[0]}{version[1]}"
    platforms: Sequence[str] = {
        "linux": ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"],
        "windows": ["win_amd64"],
        "mac": ["macosx_14_0_arm64", "macosx_11_0_arm64"],
    }[system]
    return [
        *cpython_tags(version, abis=[abi], platforms=platforms),
        *compatible_tags(version, abi, platforms=platforms),
    ]
