"""Runs inside a target interpreter (CPython 3.8+, stdlib only) and prints its facts as one JSON line.

bale runs this file with ``python -I`` in the interpreter it wants to know about. It must not import
bale or packaging (packaging 26.3 needs Python 3.9), so the marker environment and the wheel tags are
computed here with the same rules as ``packaging.markers.default_environment()`` and
``packaging.tags.sys_tags()`` (the tests compare both on every interpreter that can import packaging).
Keep the syntax and the stdlib calls valid on Python 3.8.
"""

from __future__ import annotations

import json
import os
import platform
import re
import struct
import sys
import sysconfig
from collections.abc import Iterator
from importlib.machinery import EXTENSION_SUFFIXES

_SHORT_NAMES = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
_IS_32BIT = struct.calcsize("P") == 4
# Architectures whose manylinux wheels need no ELF check of the interpreter.
_MANYLINUX_ARCHS = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def _nodot(version: tuple[int, ...]) -> str:
    return "".join(str(part) for part in version)


def _clean(text: str) -> str:
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")


def _full_version(info: object) -> str:
    major, minor, micro = info.major, info.minor, info.micro  # type: ignore[attr-defined]
    text = f"{major}.{minor}.{micro}"
    level = info.releaselevel  # type: ignore[attr-defined]
    if level != "final":
        text += level[0] + str(info.serial)  # type: ignore[attr-defined]
    return text


def markers() -> dict[str, str]:
    """The PEP 508 marker environment of this interpreter."""
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


# ---- ELF header (Linux): which dynamic loader, which ABI -------------------------------------------


class _Elf:
    """The few ELF header fields the platform tags depend on, or ``ok = False`` if unreadable."""

    def __init__(self, path: str) -> None:
        self.ok = False
        self.bits = self.order = self.machine = self.flags = 0
        self.loader: str | None = None
        try:
            with open(path, "rb") as handle:
                self._read(handle)
        except (OSError, ValueError, struct.error):
            self.ok = False

    def _read(self, handle: object) -> None:
        read = handle.read  # type: ignore[attr-defined]
        seek = handle.seek  # type: ignore[attr-defined]
        ident = read(16)
        if len(ident) < 16 or ident[:4] != b"\x7fELF":
            return
        self.bits, self.order = ident[4], ident[5]
        endian = {1: "<", 2: ">"}.get(self.order)
        if endian is None or self.bits not in (1, 2):
            return
        if self.bits == 1:
            header, program = endian + "HHIIIIIHHH", endian + "IIIIIIII"
            type_at, offset_at, size_at = 0, 1, 4
        else:
            header, program = endian + "HHIQQQIHHH", endian + "IIQQQQQQ"
            type_at, offset_at, size_at = 0, 2, 5
        fields = struct.unpack(header, read(struct.calcsize(header)))
        self.machine, phoff, self.flags, phentsize, phnum = (
            fields[1],
            fields[4],
            fields[6],
            fields[8],
            fields[9],
        )
        self.ok = True
        entry_size = struct.calcsize(program)
        for index in range(phnum):
            seek(phoff + phentsize * index)
            raw = read(entry_size)
            if len(raw) < entry_size:
                continue
            entry = struct.unpack(program, raw)
            if entry[type_at] == 3:  # PT_INTERP: the dynamic loader's path
                seek(entry[offset_at])
                self.loader = os.fsdecode(read(entry[size_at])).strip("\0")
                return


def _glibc_version() -> tuple[int, int]:
    text: str | None = None
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
        if value is not None:
            text = value.rsplit()[1]
    except (AttributeError, OSError, ValueError, IndexError):
        text = None
    if not text:
        text = _glibc_version_ctypes()
    if not text:
        return (-1, -1)
    match = re.match(r"([0-9]+)\.([0-9]+)", text)
    if not match:
        return (-1, -1)
    return (int(match.group(1)), int(match.group(2)))


def _glibc_version_ctypes() -> str | None:
    try:
        import ctypes
    except ImportError:
        return None
    try:
        function = ctypes.CDLL(None).gnu_get_libc_version
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_char_p
    value = function()
    return value.decode("ascii") if isinstance(value, bytes) else value


def _manylinux_module() -> object:
    try:
        return __import__("_manylinux")
    except ImportError:
        return None


def _glibc_allows(arch: str, version: tuple[int, int], system: tuple[int, int], module: object) -> bool:
    if system < version:
        return False
    if module is None:
        return True
    if hasattr(module, "manylinux_compatible"):
        answer = module.manylinux_compatible(version[0], version[1], arch)
        return True if answer is None else bool(answer)
    legacy_flags = {(2, 5): "manylinux1_compatible", (2, 12): "manylinux2010_compatible"}
    legacy_flags[(2, 17)] = "manylinux2014_compatible"
    flag = legacy_flags.get(version)
    if flag is not None and hasattr(module, flag):
        return bool(getattr(module, flag))
    return True


def _abi_fits_manylinux(elf: _Elf, archs: list[str]) -> bool:
    if "armv7l" in archs:
        # 32-bit little-endian ARM, EABI version 5, hard-float.
        return (
            elf.ok
            and elf.bits == 1
            and elf.order == 1
            and elf.machine == 40
            and elf.flags & 0xFF000000 == 0x05000000
            and elf.flags & 0x400 == 0x400
        )
    if "i686" in archs:
        return elf.ok and elf.bits == 1 and elf.order == 1 and elf.machine == 3
    return any(arch in _MANYLINUX_ARCHS for arch in archs)


def _manylinux(elf: _Elf, archs: list[str]) -> Iterator[str]:
    if not _abi_fits_manylinux(elf, archs):
        return
    system = _glibc_version()
    # glibc 2.17 is the oldest any manylinux wheel targets, except on x86 where PEP 513 starts at 2.5.
    oldest = (2, 5) if set(archs) & {"x86_64", "i686"} else (2, 17)
    ceilings = [system]
    # glibc promises compatibility across major versions; assume 50 minors for a past major.
    ceilings.extend((major, 50) for major in range(system[0] - 1, 1, -1))
    module = _manylinux_module()
    for arch in archs:
        for major, top in ceilings:
            bottom = oldest[1] if major == oldest[0] else 0
            for minor in range(top, bottom - 1, -1):
                if not _glibc_allows(arch, (major, minor), system, module):
                    continue
                yield f"manylinux_{major}_{minor}_{arch}"
                legacy = _LEGACY_MANYLINUX.get((major, minor))
                if legacy:
                    yield f"{legacy}_{arch}"


def _musllinux(elf: _Elf, archs: list[str]) -> Iterator[str]:
    if not elf.loader or "musl" not in elf.loader:
        return
    import subprocess  # here, not above: bale imports this module for itself, and needs no process (~2 ms)

    # The musl loader run without arguments prints "musl libc (arch)\nVersion 1.2.3\n..." on stderr.
    run = subprocess.run([elf.loader], check=False, stderr=subprocess.PIPE, text=True)
    lines = [line.strip() for line in run.stderr.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl"):
        return
    match = re.match(r"Version (\d+)\.(\d+)", lines[1])
    if not match:
        return
    major, newest = int(match.group(1)), int(match.group(2))
    for arch in archs:
        for minor in range(newest, -1, -1):
            yield f"musllinux_{major}_{minor}_{arch}"


def _linux_platforms() -> Iterator[str]:
    native = _clean(sysconfig.get_platform())
    if not native.startswith("linux_"):
        yield native
        return
    if _IS_32BIT:
        native = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(native, native)
    arch = native.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    for each in archs:
        yield "linux_" + each
    elf = _Elf(sys.executable)
    for tag in _manylinux(elf, archs):
        yield tag
    for tag in _musllinux(elf, archs):
        yield tag


# ---- Apple, Android and the rest -------------------------------------------------------------------


def _mac_formats(version: tuple[int, int], arch: str) -> list[str]:
    formats = [arch]
    if arch == "x86_64":
        if version < (10, 4):
            return []
        formats += ["intel", "fat64", "fat3"]
    elif arch == "i386":
        if version < (10, 4):
            return []
        formats += ["intel", "fat3", "fat"]
    elif arch == "ppc64":
        if version > (10, 5) or version < (10, 4):
            return []
        formats.append("fat64")
    elif arch == "ppc":
        if version > (10, 6):
            return []
        formats += ["fat3", "fat"]
    if arch in ("arm64", "x86_64"):
        formats.append("universal2")
    if arch in ("x86_64", "i386", "ppc64", "ppc", "intel"):
        formats.append("universal")
    return formats


def _mac_version() -> tuple[tuple[int, int], str]:
    release, _, machine = platform.mac_ver()
    version = tuple(int(part) for part in release.split(".")[:2])
    if version == (10, 16):
        import subprocess

        # An interpreter built against an old SDK sees 10.16; ask again without the compatibility shim.
        release = subprocess.run(
            [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
            check=True,
            env={"SYSTEM_VERSION_COMPAT": "0"},
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        version = tuple(int(part) for part in release.split(".")[:2])
    if _IS_32BIT:
        machine = "ppc" if machine.startswith("ppc") else "i386"
    return (version[0], version[1]), machine


def _mac_platforms(version: tuple[int, int], arch: str) -> Iterator[str]:
    if (10, 0) <= version < (11, 0):
        for minor in range(version[1], -1, -1):
            for form in _mac_formats((10, minor), arch):
                yield f"macosx_10_{minor}_{form}"
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            for form in _mac_formats((major, 0), arch):
                yield f"macosx_{major}_0_{form}"
        # x86_64 on macOS 11+ still runs 10.x binaries; arm64 only runs universal2 ones built for 10.x.
        for minor in range(16, 3, -1):
            if arch == "x86_64":
                for form in _mac_formats((10, minor), arch):
                    yield f"macosx_10_{minor}_{form}"
            else:
                yield f"macosx_10_{minor}_universal2"


def _ios_platforms() -> Iterator[str]:
    release = platform.ios_ver()[1]  # type: ignore[attr-defined, unused-ignore]
    major, minor = (int(part) for part in release.split(".")[:2])
    multiarch = sys.implementation._multiarch.replace("-", "_")  # type: ignore[attr-defined, unused-ignore]
    if major < 12:
        return
    for each in range(minor, -1, -1):
        yield f"ios_{major}_{each}_{multiarch}"
    for older in range(major - 1, 11, -1):
        for each in range(9, -1, -1):
            yield f"ios_{older}_{each}_{multiarch}"


def _android_platforms() -> Iterator[str]:
    level = platform.android_ver().api_level  # type: ignore[attr-defined]
    abi = _clean(sysconfig.get_platform().split("-")[-1])
    for each in range(level, 15, -1):
        yield f"android_{each}_{abi}"


def platforms() -> list[str]:
    """Platform tags of this interpreter, most specific first."""
    system = platform.system()
    if system == "Darwin":
        return list(_mac_platforms(*_mac_version()))
    if system == "iOS":
        return list(_ios_platforms())
    if system == "Android":
        return list(_android_platforms())
    if system == "Linux":
        return list(_linux_platforms())
    generic = [_clean(sysconfig.get_platform())]
    if system == "Emscripten":
        emscripten = sysconfig.get_config_var("PYEMSCRIPTEN_PLATFORM_VERSION")
        if emscripten:
            generic.insert(0, f"pyemscripten_{emscripten}_wasm32")
    return generic


# ---- interpreter and ABI tags ----------------------------------------------------------------------


def _cpython_abis(version: tuple[int, int]) -> list[str]:
    nodot = _nodot(version)
    debug_var = sysconfig.get_config_var("Py_DEBUG")
    debug_build = debug_var or (
        debug_var is None and (hasattr(sys, "gettotalrefcount") or "_d.pyd" in EXTENSION_SUFFIXES)
    )
    threading = "t" if version >= (3, 13) and sysconfig.get_config_var("Py_GIL_DISABLED") else ""
    if debug_build:
        # A debug build also loads regular extension modules.
        return [f"cp{nodot}{threading}d", f"cp{nodot}{threading}"]
    return [f"cp{nodot}{threading}"]


def _generic_abis() -> list[str]:
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not isinstance(suffix, str) or not suffix.startswith("."):
        raise SystemError("invalid sysconfig.get_config_var('EXT_SUFFIX')")
    parts = suffix.split(".")
    if len(parts) < 3:
        return _cpython_abis((sys.version_info[0], sys.version_info[1]))
    soabi = parts[1]
    if soabi.startswith("cpython"):
        pieces = soabi.split("-")
        if len(pieces) < 2 or not pieces[1]:
            raise SystemError("invalid sysconfig.get_config_var('EXT_SUFFIX')")
        abi = "cp" + pieces[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [_clean(abi)]


def _interpreter_version() -> str:
    value = sysconfig.get_config_var("py_version_nodot")
    return str(value) if value else _nodot(tuple(sys.version_info[:2]))


def tags(platform_tags: list[str]) -> list[str]:
    """Every wheel tag this interpreter accepts, most preferred first (``packaging.tags.sys_tags``)."""
    out: list[str] = []
    version = (sys.version_info[0], sys.version_info[1])
    short = _SHORT_NAMES.get(sys.implementation.name) or sys.implementation.name
    if short == "cp":
        interpreter = "cp" + _nodot(version)
        abis = _cpython_abis(version)
        threaded = bool(re.match(r"cp\d+.*t", abis[0]))
        stable = "abi3t" if threaded else "abi3"
        abis = [abi for abi in abis if abi not in ("abi3", "abi3t", "none")]
        for abi in abis:
            out.extend(f"{interpreter}-{abi}-{plat}" for plat in platform_tags)
        out.extend(f"{interpreter}-{stable}-{plat}" for plat in platform_tags)
        out.extend(f"{interpreter}-none-{plat}" for plat in platform_tags)
        for minor in range(version[1] - 1, 1, -1):
            older = "cp" + _nodot((version[0], minor))
            out.extend(f"{older}-{stable}-{plat}" for plat in platform_tags)
        compatible_interpreter: str | None = "cp" + _interpreter_version()
    else:
        interpreter = short + _interpreter_version()
        abis = _generic_abis()
        if "none" not in abis:
            abis.append("none")
        for abi in abis:
            out.extend(f"{interpreter}-{abi}-{plat}" for plat in platform_tags)
        compatible_interpreter = "pp3" if short == "pp" else None
    pythons = ["py" + _nodot(version), f"py{version[0]}"]
    pythons.extend("py" + _nodot((version[0], minor)) for minor in range(version[1] - 1, -1, -1))
    for python in pythons:
        out.extend(f"{python}-none-{plat}" for plat in platform_tags)
    if compatible_interpreter:
        out.append(f"{compatible_interpreter}-none-any")
    out.extend(f"{python}-none-any" for python in pythons)
    return out


# ---- locations -------------------------------------------------------------------------------------

_PLACEHOLDER = "BALE-PREFIX"


def scheme_paths() -> dict[str, str]:
    """The install scheme a virtual environment uses, relative to its prefix ("lib/python3.12/...")."""
    names = sysconfig.get_scheme_names()
    scheme = "venv" if "venv" in names else "nt" if os.name == "nt" else "posix_prefix"
    values = {key: _PLACEHOLDER for key in ("base", "platbase", "installed_base", "installed_platbase")}
    relative = {}
    for key, value in sysconfig.get_paths(scheme, vars=values).items():
        if value == _PLACEHOLDER:
            relative[key] = "."
        elif value.startswith(_PLACEHOLDER):
            relative[key] = value[len(_PLACEHOLDER) + 1 :].replace("\\", "/")
    return relative


def _venv_config(prefix: str) -> dict[str, str]:
    config = {}
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    config[key.strip().lower()] = value.strip()
    except OSError:
        pass
    return config


def _inside(path: str, directory: str) -> bool:
    path, directory = os.path.normcase(os.path.abspath(path)), os.path.normcase(os.path.abspath(directory))
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def base_executable(is_venv: bool) -> str:
    """The interpreter a virtual environment was made from (``sys.executable`` outside one)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    if not is_venv or not _inside(base, sys.prefix):
        return base
    # Python < 3.11 reports the venv's own executable here; pyvenv.cfg knows the base.
    config = _venv_config(sys.prefix)
    recorded = config.get("executable") or config.get("base-executable")
    if recorded and os.path.isfile(recorded):
        return recorded
    home = config.get("home")
    if home:
        suffix = ".exe" if os.name == "nt" else ""
        major, minor = sys.version_info[:2]
        names = [os.path.basename(sys.executable), f"python{major}.{minor}{suffix}"]
        names += [f"python{major}{suffix}", "python" + suffix]
        for name in names:
            candidate = os.path.join(home, name)
            if os.path.isfile(candidate):
                return candidate
    return base


def facts() -> dict[str, object]:
    """Everything bale records about this interpreter (``Interpreter.from_json`` reads it).

    bale also calls this in its own process for the interpreter it runs on, replacing the fields that
    depend on how the process was started (``probe._facts_in_process``): keep those the only ones.
    """
    is_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    platform_tags = platforms()
    return {
        "sys_executable": sys.executable,
        "base_executable": base_executable(is_venv),
        "version": _full_version(sys.version_info),
        "implementation": sys.implementation.name,
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "is_venv": is_venv,
        "markers": markers(),
        "tags": tags(platform_tags),
        "scheme": scheme_paths(),
        "pointer_size": struct.calcsize("P"),
        "platform": sysconfig.get_platform(),
        "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    }


def main() -> None:
    # A marker line lets the caller ignore anything a .pth file printed before it.
    sys.stdout.write("\n@bale-probe@" + json.dumps(facts()) + "\n")


if __name__ == "__main__":
    main()
