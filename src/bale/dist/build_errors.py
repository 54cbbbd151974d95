"""Read a failed build's output: trim it to what a person needs and recognise causes that have a known fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from bale.model.record import record

TAIL_LINES = 20

_TRACEBACK_START = "Traceback (most recent call last):"
_CHAINED = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)

# gcc: "fatal error: Python.h: No such file or directory"; clang: "fatal error: 'Python.h' file not
# found"; MSVC: "Cannot open include file: 'Python.h'".
_PYTHON_H = re.compile(
    r"fatal error: ['\"]?Python\.h['\"]?:? (?:No such file or directory|file not found)"
    r"|Cannot open include file: '?Python\.h'?"
)
_MISSING_HEADER = re.compile(
    r"fatal error: ['\"]?(?P<header>[\w./+-]+\.h(?:pp)?)['\"]?:? (?:No such file or directory|file not found)"
    r"|Cannot open include file: '?(?P<msvc>[\w./+-]+\.h(?:pp)?)'?"
)
# "gcc: not found", "sh: 1: gcc: not found", "gcc: command not found", and the distutils/setuptools forms
# "error: command 'gcc' failed: No such file or directory" / "unable to execute 'gcc': No such file...".
_NO_COMPILER = (
    re.compile(
        r"\b(?P<cc>(?:[\w.+-]*-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|cl\.exe))(?:-[\d.]+)?: "
        r"(?:command )?not found"
    ),
    re.compile(r"command '(?P<cc>[^']+)' failed: No such file or directory"),
    re.compile(r"unable to execute '?(?P<cc>[^':]+)'?: No such file or directory"),
    re.compile(r"command '(?P<cc>[^']*(?:gcc|cc|clang|g\+\+|c\+\+))' failed with exit (?:code|status) 127"),
    re.compile(r"error: Microsoft Visual C\+\+ [\d.]+ or greater is required"),
    re.compile(r"No CMAKE_C_COMPILER could be found|No CMAKE_CXX_COMPILER could be found"),
)
_MISSING_PROGRAM = re.compile(r"\[Errno 2\] No such file or directory: '(?P<cc>[^']+)'")
_COMPILER_NAME = re.compile(r"(?:[\w.+-]*-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|cl\.exe)(?:-[\d.]+)?")
_PKG_CONFIG = re.compile(
    r"Package '?(?P<lib>[\w.+-]+)'?,? (?:was not found in the pkg-config search path|not found)"
)
_LINKER = re.compile(r"cannot find -l(?P<lib>[\w.+-]+)")
_RUST = re.compile(
    r"can't find Rust compiler|Cargo, the Rust package manager, is not installed", re.IGNORECASE
)


@record(frozen=True, slots=True)
class Diagnosis:
    """A recognised cause of a failed build: what it is (one context line) and what to do (the hint)."""

    cause: str
    hint: str


def diagnose(output: str, *, python_version: str = "3") -> Diagnosis | None:
    """The first known cause found in a backend's ``output``, most specific first; None when unknown.

    ``python_version`` (``"3.12"``) names the development headers to install. Pure and cheap: a
    handful of regular expressions over the text (a 10,000-line log takes ~5 ms).
    """
    for check in _CHECKS:
        found = check(output, python_version)
        if found is not None:
            return found
    return None


def _python_h(output: str, python_version: str) -> Diagnosis | None:
    if _PYTHON_H.search(output) is None:
        return None
    return Diagnosis(
        "the C compiler could not find Python.h (the Python development headers are not installed)",
        f"install the development headers of Python {python_version} (Debian/Ubuntu: "
        f"apt install python{python_version}-dev, or python3-dev; Fedora/RHEL: dnf install python3-devel), "
        "or use a version of the package that ships a wheel for this platform",
    )


def _no_compiler(output: str, python_version: str) -> Diagnosis | None:
    compiler = _missing_program_compiler(output)
    if compiler is None:
        for pattern in _NO_COMPILER:
            match = pattern.search(output)
            if match is not None:
                compiler = match.groupdict().get("cc") or ""
                break
        else:
            return None
    what = f"the C compiler '{compiler}' was not found" if compiler else "no C/C++ compiler was found"
    return Diagnosis(
        f"{what}: the package has extension modules to compile",
        "install a C compiler (Debian/Ubuntu: apt install build-essential; Fedora/RHEL: dnf install gcc; "
        "macOS: xcode-select --install; Windows: the Visual C++ Build Tools), check that CC names an "
        "existing compiler, or use a version of the package that ships a wheel for this platform",
    )


def _missing_program_compiler(output: str) -> str | None:
    """The compiler in setuptools' "[Errno 2] No such file or directory: 'gcc'" (it ran the program
    named in a compile command just above), or None when the missing file is something else."""
    for match in _MISSING_PROGRAM.finditer(output):
        program = match.group("cc")
        base = program.rsplit("/", 1)[-1]
        if _COMPILER_NAME.fullmatch(base):
            return program
        # CC=/some/path: the compile line starts with that program.
        if re.search(rf"^\s*{re.escape(program)}\s+.*\s-c\s", output, re.MULTILINE):
            return program
    return None


def _system_library(output: str, python_version: str) -> Diagnosis | None:
    match = _PKG_CONFIG.search(output)
    if match is not None:
        lib = match.group("lib")
        return Diagnosis(
            f"pkg-config could not find the system library '{lib}'",
            f"install the development package of '{lib}' (Debian/Ubuntu: lib{_bare(lib)}-dev or {lib}-dev; "
            f"Fedora/RHEL: {lib}-devel), or point PKG_CONFIG_PATH at its .pc file",
        )
    match = _LINKER.search(output)
    if match is not None:
        lib = match.group("lib")
        return Diagnosis(
            f"the linker could not find the library 'lib{lib}'",
            f"install the development package of lib{lib} (Debian/Ubuntu: lib{lib}-dev; "
            f"Fedora/RHEL: {lib}-devel), or add its folder to LIBRARY_PATH",
        )
    return None


def _missing_header(output: str, python_version: str) -> Diagnosis | None:
    match = _MISSING_HEADER.search(output)
    if match is None:
        return None
    header = match.group("header") or match.group("msvc")
    return Diagnosis(
        f"the C header '{header}' was not found",
        f"install the development package that provides {header} (on Debian/Ubuntu `apt-file search "
        f"{header}` names it; such packages end in -dev, on Fedora/RHEL in -devel)",
    )


def _rust(output: str, python_version: str) -> Diagnosis | None:
    if _RUST.search(output) is None:
        return None
    return Diagnosis(
        "the package needs a Rust compiler, and none was found",
        "install Rust (https://rustup.rs) and make sure `cargo` is on PATH, or use a version of the "
        "package that ships a wheel for this platform",
    )


def _bare(lib: str) -> str:
    return lib[3:] if lib.startswith("lib") else lib


# Order matters: a missing Python.h also makes "command 'gcc' failed" appear, and a missing library
# can follow a missing header in one log; the first match names the root cause.
_CHECKS: tuple[Callable[[str, str], Diagnosis | None], ...] = (
    _python_h,
    _no_compiler,
    _system_library,
    _missing_header,
    _rust,
)


def without_tracebacks(lines: Sequence[str]) -> list[str]:
    """``lines`` with Python tracebacks reduced to their final ``Error: message`` line.

    A backend that raises prints ~30 frames of the hook runner and the backend; the exception line
    at the end is what names the problem.
    """
    kept: list[str] = []
    inside = False
    for line in lines:
        stripped = line.strip()
        if stripped == _TRACEBACK_START:
            inside = True
            continue
        if stripped in _CHAINED:
            continue
        if inside:
            if not stripped or line[:1] in (" ", "\t", "^", "~"):
                continue
            inside = False
        kept.append(line.rstrip())
    return kept


def output_tail(output: str, count: int = TAIL_LINES) -> list[str]:
    """The last ``count`` non-blank lines of ``output``, tracebacks reduced to their message."""
    lines = [line for line in without_tracebacks(output.splitlines()) if line.strip()]
    return lines[-count:]
