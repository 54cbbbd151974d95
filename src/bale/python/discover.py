"""Find the Python interpreter a request names, on PATH and in pyenv's and uv's version folders."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bale.errors import BaleError
from bale.model.record import record
from bale.python.layout import PREFIX_EXECUTABLES, WINDOWS, executable_in
from bale.python.probe import Interpreter, probe

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

RequestKind = Literal["any", "version", "specifier", "path", "name"]

# Oldest interpreter the probe supports; older ones found by name are skipped without running them.
_MINIMUM = (3, 8)
_IMPLEMENTATIONS = {
    "cpython": "cpython",
    "cp": "cpython",
    "pypy": "pypy",
    "pp": "pypy",
    "python": None,
    "py": None,
}
_VERSION_REQUEST = re.compile(
    r"^(?:(?P<impl>cpython|pypy|python|cp|pp|py)[-@]?)?(?P<version>\d+(?:\.\d+){0,2})(?P<t>t)?$", re.I
)
_SPECIFIER_REQUEST = re.compile(r"^(?:(?P<impl>cpython|pypy|python|cp|pp|py)@?)?(?P<spec>[<>=!~].*)$", re.I)
_EXECUTABLE_NAME = re.compile(
    r"^(?:python|pypy)(?:(?P<major>\d+)(?:\.(?P<minor>\d+))?)?(?P<t>t)?(?:\.exe)?$", re.I
)
_VERSION_PREFIX = re.compile(r"^(?:c?python-?|pypy-?|graalpy-?)?(\d+)\.(\d+)(?:\.(\d+))?")


@record(frozen=True, slots=True)
class PythonRequest:
    """What ``--python`` (or a ``.python-version`` file) asked for.

    ``kind`` is ``any`` (nothing asked), ``version`` (``3``, ``3.12``, ``3.12.1``, ``cp312``,
    ``cpython3.12``, ``python3.12``), ``specifier`` (``>=3.11,<3.13``), ``path`` (an executable,
    a venv or an installation prefix) or ``name`` (an executable looked up on PATH).
    """

    kind: RequestKind
    text: str = ""
    implementation: str | None = None
    version: tuple[int, ...] = ()
    specifier: SpecifierSet | None = None
    path: Path | None = None
    free_threaded: bool = False

    @classmethod
    def parse(cls, text: str | None) -> PythonRequest:
        """Read a request; raises BaleError for a malformed version specifier."""
        text = (text or "").strip()
        if not text:
            return cls("any")
        separators = {"/", os.sep, os.altsep or "/"}
        if any(sep in text for sep in separators) or text.startswith((".", "~")):
            return cls("path", text, path=Path(text).expanduser())
        match = _VERSION_REQUEST.match(text)
        if match:
            digits = match.group("version")
            if "." in digits:
                version = tuple(int(part) for part in digits.split("."))
            elif len(digits) > 1 and digits[0] in "23":
                # cp312, py38, 312: one digit of major version, the rest is the minor.
                version = (int(digits[0]), int(digits[1:]))
            else:
                version = (int(digits),)
            implementation = _IMPLEMENTATIONS[match.group("impl").lower()] if match.group("impl") else None
            return cls("version", text, implementation, version, free_threaded=bool(match.group("t")))
        match = _SPECIFIER_REQUEST.match(text)
        if match:
            from packaging.specifiers import InvalidSpecifier, SpecifierSet

            try:
                specifier = SpecifierSet(match.group("spec"))
            except InvalidSpecifier as err:
                raise BaleError(
                    f"Invalid Python request {text!r}",
                    context=[_specifier_reason(err)],
                    hint="use a version (3.12), a range (>=3.11,<3.13), or a path to an interpreter",
                ) from err
            implementation = _IMPLEMENTATIONS[match.group("impl").lower()] if match.group("impl") else None
            return cls("specifier", text, implementation, specifier=specifier)
        if any(char.isspace() for char in text):
            raise BaleError(
                f"Invalid Python request {text!r}",
                hint="use a version (3.12), a range (>=3.11,<3.13), or a path to an interpreter",
            )
        return cls("name", text)

    def __str__(self) -> str:
        """The request as an error message names it: "Python 3.12", "CPython >=3.11"."""
        name = {"cpython": "CPython", "pypy": "PyPy"}.get(self.implementation or "", "Python")
        if self.kind == "version":
            return f"{name} {'.'.join(map(str, self.version))}{'t' if self.free_threaded else ''}"
        if self.kind == "specifier":
            return f"{name} {self.specifier}"
        if self.kind in ("path", "name"):
            return self.text
        return "Python"

    @property
    def prefers_newest(self) -> bool:
        """Ranges and a bare major version take the newest match; other requests the first one found."""
        return self.kind == "specifier" or (self.kind == "version" and len(self.version) == 1)

    def matches(self, interpreter: Interpreter) -> bool:
        """Whether a probed interpreter satisfies this request."""
        if self.kind in ("path", "name"):
            return True
        if self.implementation and self.implementation != interpreter.implementation:
            return False
        if self.free_threaded != interpreter.gil_disabled:
            return False
        if self.kind == "version":
            return interpreter.version.release[: len(self.version)] == self.version
        if self.specifier is not None:
            return self.specifier.contains(interpreter.version, prereleases=True)
        return True

    def could_match(self, hint: tuple[int, ...]) -> bool:
        """Whether an interpreter whose file name says version ``hint`` (``(3, 12)``) may match."""
        if hint[:2] < _MINIMUM:
            return False
        if self.kind == "version":
            return all(a == b for a, b in zip(hint, self.version, strict=False))
        if self.kind == "specifier" and self.specifier is not None:
            from packaging.specifiers import SpecifierSet

            if len(hint) >= 3:
                return self.specifier.contains(".".join(map(str, hint)), prereleases=True)
            family = SpecifierSet(f"=={'.'.join(map(str, hint))}.*", prereleases=True).to_range()
            wanted = SpecifierSet(str(self.specifier), prereleases=True).to_range()
            return not family.is_disjoint(wanted)
        return True


@record(frozen=True, slots=True)
class _Candidate:
    """An executable that may be a Python; ``hint`` is the version its name or folder tells, if any."""

    path: Path
    hint: tuple[int, ...] | None


VERSION_FILE_NAMES = (".python-version", ".python-versions")


def find_python_version_file(start: Path, *, stop: Path | None = None) -> Path | None:
    """The nearest ``.python-version`` (else ``.python-versions``, as uv) in ``start`` or a parent.

    ``stop`` (a project's workspace root) is the last directory looked in: a pin above the project
    is not the project's.
    """
    for directory in (start, *start.parents):
        for name in VERSION_FILE_NAMES:
            candidate = directory / name
            if _is_file(candidate):
                return candidate
        if stop is not None and directory == stop:
            break
    return None


def read_python_version_file(path: Path) -> PythonRequest:
    """The request in a ``.python-version`` file: its first line that is not blank or a comment.

    A ``.python-versions`` file lists several; the first one is the request, as in uv.
    """
    from bale.python.pin import pinned_text

    line = pinned_text(path)
    if line is None or line == "system":  # pyenv's name for "whatever is on PATH"
        return PythonRequest("any")
    try:
        return PythonRequest.parse(line)
    except BaleError as err:
        raise BaleError(f"Invalid Python version in {path}: {line!r}", hint=err.hint) from err


def find_interpreter(
    request: PythonRequest | str | None,
    *,
    cwd: Path,
    cache_dir: Path | None,
    env: Mapping[str, str] = os.environ,
    requested_by: str | None = None,
    read_version_file: bool = True,
    note: Callable[[str], None] | None = None,
) -> Interpreter:
    """The interpreter ``request`` names, else raises BaleError listing what was found.

    With no request, the nearest ``.python-version`` is the request. Otherwise the search visits PATH
    (pyenv's shims replaced by the versions pyenv selects), pyenv's versions, then uv's managed
    Pythons. File names tell most versions, so usually only the chosen interpreter is probed.
    ``requested_by`` names where the request came from in the not-found error; ``read_version_file``
    False leaves ``.python-version`` to the caller (a project reads its own); ``note`` receives the
    places skipped because they could not be read (for ``-v``).
    """
    if not isinstance(request, PythonRequest):
        request = PythonRequest.parse(request)
    request = resolve_request(request, cwd)
    origin = f" (requested by {requested_by})" if requested_by else ""
    if request.kind == "any" and read_version_file:
        version_file = find_python_version_file(cwd)
        if version_file is not None:
            request = resolve_request(read_python_version_file(version_file), version_file.parent)
            origin = f" (requested by {version_file})"
    if request.kind == "path":
        return _find_by_path(request, cwd, cache_dir)
    if request.kind == "name":
        return _find_by_name(request, cache_dir, env)
    return _search(request, origin, cache_dir, env, note or _ignore)


def resolve_request(request: PythonRequest, cwd: Path) -> PythonRequest:
    """``request`` with a bare name that is a file or folder in ``cwd`` (``--python myenv``, a venv
    named without ``./``) taken as that path, as uv does; anything else unchanged."""
    if request.kind != "name":
        return request
    path = cwd / request.text
    try:
        exists = path.exists()
    except OSError:
        return request
    return PythonRequest("path", request.text, path=path) if exists else request


def _ignore(message: str) -> None:
    """The default ``note``: skipped places are not worth a word without ``-v``."""


def list_interpreters(
    *,
    cache_dir: Path | None,
    env: Mapping[str, str] = os.environ,
    request: PythonRequest | None = None,
    note: Callable[[str], None] | None = None,
) -> list[Interpreter]:
    """Every interpreter the search can see (matching ``request`` if given), newest first.

    Probes each one (cached); executables that are not Python 3.8+ are left out. Two paths to the
    same file count once.
    """
    found: list[Interpreter] = []
    seen: set[tuple[str, str]] = set()
    for candidate in _unique(_candidates(env, note or _ignore)):
        if candidate.hint is not None and (
            candidate.hint[:2] < _MINIMUM or (request is not None and not request.could_match(candidate.hint))
        ):
            continue
        try:
            interpreter = probe(candidate.path, cache_dir)
        except BaleError:
            continue
        key = (os.path.realpath(candidate.path), os.fspath(interpreter.prefix))
        if key in seen or (request is not None and not request.matches(interpreter)):
            continue
        seen.add(key)
        found.append(interpreter)
    found.sort(key=lambda interpreter: interpreter.version, reverse=True)
    return found


# ---- explicit paths and names ----------------------------------------------------------------------


def _find_by_path(request: PythonRequest, cwd: Path, cache_dir: Path | None) -> Interpreter:
    assert request.path is not None
    path = request.path if request.path.is_absolute() else cwd / request.path
    try:
        is_dir = path.is_dir()
    except OSError as err:
        raise BaleError(
            f"Cannot use {path} as a Python interpreter: {_reason(err)}",
            hint="pass a path bale can read, or a Python version (3.12)",
        ) from err
    if is_dir:
        executable = executable_in(path)
        if executable is None:
            raise BaleError(
                f"No Python interpreter in {path}",
                context=["looked for " + ", ".join(os.fspath(path / name) for name in PREFIX_EXECUTABLES)],
                hint="pass a virtual environment, an installation prefix, or the interpreter itself",
            )
        return probe(executable, cache_dir)
    if not path.exists() and not path.is_symlink():
        raise BaleError(f"No Python interpreter at {path}: the path does not exist")
    return probe(path, cache_dir)


def _find_by_name(request: PythonRequest, cache_dir: Path | None, env: Mapping[str, str]) -> Interpreter:
    import shutil

    directories = [entry for entry in _path_entries(env) if not _is_pyenv_shims(Path(entry), env)]
    found = shutil.which(request.text, path=os.pathsep.join(directories))
    if found is None:
        raise BaleError(
            f"No executable named {request.text!r} on PATH, nor a file or folder of that name here",
            context=_found_lines(_unique(_candidates(env, _ignore)), {}),
            hint="pass a Python version (3.12), a range (>=3.11), or the path of an interpreter or venv",
        )
    return probe(Path(found), cache_dir)


# ---- the search ------------------------------------------------------------------------------------


def _search(
    request: PythonRequest,
    origin: str,
    cache_dir: Path | None,
    env: Mapping[str, str],
    note: Callable[[str], None],
) -> Interpreter:
    candidates = _unique(_candidates(env, note))
    probed: dict[Path, Interpreter | BaleError] = {}

    def probe_once(candidate: _Candidate) -> Interpreter | None:
        if candidate.path not in probed:
            try:
                probed[candidate.path] = probe(candidate.path, cache_dir)
            except BaleError as err:
                probed[candidate.path] = err
        result = probed[candidate.path]
        return result if isinstance(result, Interpreter) else None

    possible = [c for c in candidates if c.hint is None or request.could_match(c.hint)]
    if not request.prefers_newest:
        for candidate in possible:
            interpreter = probe_once(candidate)
            if interpreter is not None and request.matches(interpreter):
                return interpreter
    else:
        chosen = _newest(request, possible, probe_once)
        if chosen is not None:
            return chosen
    raise _not_found(request, origin, candidates, probed, env)


def _newest(
    request: PythonRequest,
    candidates: list[_Candidate],
    probe_once: Callable[[_Candidate], Interpreter | None],
) -> Interpreter | None:
    # Names give major.minor at best, so probe whole minor-version families, newest family first,
    # and stop at the first family holding a match: typically one or two probes, not one per file.
    families: dict[tuple[int, ...], list[_Candidate]] = {}
    for candidate in candidates:
        hint = candidate.hint
        if hint is None or len(hint) < 2:
            interpreter = probe_once(candidate)
            if interpreter is None:
                continue
            hint = interpreter.version.release[:2]
        families.setdefault(hint[:2], []).append(candidate)
    for family in sorted(families, reverse=True):
        matching = [
            interpreter
            for interpreter in map(probe_once, families[family])
            if interpreter is not None and request.matches(interpreter)
        ]
        if matching:
            # max() keeps the first of equal versions, so PATH order breaks ties.
            return max(matching, key=lambda interpreter: interpreter.version)
    return None


def _not_found(
    request: PythonRequest,
    origin: str,
    candidates: list[_Candidate],
    probed: Mapping[Path, Interpreter | BaleError],
    env: Mapping[str, str],
) -> BaleError:
    places = ["PATH"]
    managed = _managed_dir(env)
    if managed is not None:
        places.append(f"bale-managed Pythons ({managed})")
    pyenv = _pyenv_root(env)
    if pyenv is not None:
        places.append(f"pyenv versions ({pyenv / 'versions'})")
    uv = _uv_python_dir(env)
    if uv is not None:
        places.append(f"uv-managed Pythons ({uv})")
    wanted = str(request)
    how = ""
    if request.kind == "version" and request.implementation in (None, "cpython"):
        version = ".".join(map(str, request.version)) + ("t" if request.free_threaded else "")
        how = f" (for example with `pyenv install {version}`)"
        if env.get("BALE_PYTHON_INSTALL_MIRROR"):
            how = f" (for example with `bale python install {version}`)"
    return BaleError(
        f"No interpreter found for {wanted}{origin} in {', '.join(places)}",
        context=_found_lines(candidates, probed),
        hint=f"install {wanted}{how}, or pass the path of an interpreter with --python",
    )


def _found_lines(candidates: list[_Candidate], probed: Mapping[Path, Interpreter | BaleError]) -> list[str]:
    """One "found 3.12 at PATH" line per candidate, with what its probe (if any) told."""
    context: list[str] = []
    for candidate in candidates:
        result = probed.get(candidate.path)
        if isinstance(result, Interpreter):
            label = (
                str(result.version)
                if result.implementation == "cpython"
                else (f"{result.implementation} {result.version}")
            )
            label += " (free-threaded)" if result.gil_disabled else ""
        elif isinstance(result, BaleError):
            label = f"an unusable interpreter ({result.message})"
        elif candidate.hint is not None:
            label = ".".join(map(str, candidate.hint))
            label += " (unsupported)" if candidate.hint[:2] < _MINIMUM else ""
        else:
            label = "an unchecked executable"
        context.append(f"found {label} at {candidate.path}")
    return context or ["found no Python executables"]


# ---- where candidates come from --------------------------------------------------------------------


def _unique(candidates: Iterator[_Candidate]) -> list[_Candidate]:
    """Drop later paths to an already seen file (``python3`` and ``python3.12`` are often one file)."""
    seen: set[tuple[str, bool]] = set()
    unique = []
    for candidate in candidates:
        # A venv's python links to its base interpreter's file but is another environment.
        in_venv = _is_file(candidate.path.parent.parent / "pyvenv.cfg")
        key = (os.path.realpath(candidate.path), in_venv)
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def _candidates(env: Mapping[str, str], note: Callable[[str], None]) -> Iterator[_Candidate]:
    """Possible interpreters in search order: PATH, bale-managed Pythons (``bale python install``),
    pyenv versions, uv-managed Pythons.

    A place that cannot be read (permission denied, a file where a folder should be) is skipped and
    told to ``note``: one bad PATH entry must not stop a command that does not need it.
    """
    shims_done = False
    for entry in _path_entries(env):
        directory = Path(entry)
        if _is_pyenv_shims(directory, env):
            # Shims cost ~50 ms per call and hide which version runs; take the versions pyenv selects.
            if not shims_done:
                shims_done = True
                yield from _pyenv_selected(env)
            continue
        yield from _in_directory(directory, note)
    yield from _managed_pythons(env)
    yield from _pyenv_versions(env, note)
    yield from _uv_pythons(env, note)


def _path_entries(env: Mapping[str, str]) -> list[str]:
    entries: list[str] = []
    for entry in env.get("PATH", "").split(os.pathsep):
        if entry and entry not in entries:
            entries.append(entry)
    return entries


def _hint_from_name(name: str) -> tuple[int, ...] | None:
    match = _EXECUTABLE_NAME.match(name)
    if not match or not match.group("major"):
        return None
    if match.group("minor"):
        return (int(match.group("major")), int(match.group("minor")))
    return (int(match.group("major")),)


def _in_directory(directory: Path, note: Callable[[str], None]) -> Iterator[_Candidate]:
    try:
        with os.scandir(directory) as entries:
            names = [entry.name for entry in entries if _EXECUTABLE_NAME.match(entry.name)]
    except FileNotFoundError:
        return  # a PATH entry for a folder not made yet is common and harmless
    except OSError as err:
        note(f"Skipped {directory} while looking for Python interpreters: {_reason(err)}")
        return

    # python3 and python first (what a user typing "python" gets), then versioned names newest first.
    def order(name: str) -> tuple[int, tuple[int, ...]]:
        hint = _hint_from_name(name) or ()
        return (0 if len(hint) < 2 else 1, tuple(-part for part in hint))

    for name in sorted(names, key=order):
        path = directory / name
        hint = _hint_from_name(name)
        if hint is None or len(hint) < 2:
            # /usr/bin/python3 -> python3.11: the link's target names the version.
            hint = _hint_from_name(os.path.basename(os.path.realpath(path))) or hint
        yield _Candidate(path, hint)


def _pyenv_root(env: Mapping[str, str]) -> Path | None:
    root = Path(env["PYENV_ROOT"]) if env.get("PYENV_ROOT") else _home(env) / ".pyenv"
    return root if _is_dir(root / "versions") else None


def _is_dir(path: Path) -> bool:
    """``path.is_dir()`` that says False where the answer cannot be read (Path.is_dir raises
    PermissionError before Python 3.14)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _is_file(path: Path) -> bool:
    """``path.is_file()`` that says False where the answer cannot be read."""
    try:
        return path.is_file()
    except OSError:
        return False


def _reason(err: OSError) -> str:
    return err.strerror.lower() if err.strerror else str(err)


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or env.get("USERPROFILE")
    return Path(home) if home else Path.home()


def _is_pyenv_shims(directory: Path, env: Mapping[str, str]) -> bool:
    if directory.name != "shims":
        return False
    root = _pyenv_root(env)
    return ".pyenv" in directory.parts or (root is not None and root in directory.parents)


def _pyenv_executable(version_dir: Path) -> Path | None:
    for name in ("bin/python3", "bin/python", "python.exe"):
        candidate = version_dir / name
        if _is_file(candidate):
            return candidate
    return None


def _version_dir_hint(name: str) -> tuple[int, ...] | None:
    match = _VERSION_PREFIX.match(name)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def _pyenv_selected(env: Mapping[str, str]) -> Iterator[_Candidate]:
    """The versions pyenv's shims would run: PYENV_VERSION, else the global version file."""
    root = _pyenv_root(env)
    if root is None:
        return
    selected = env.get("PYENV_VERSION", "").split(":")
    if not any(selected):
        try:
            selected = (root / "version").read_text(encoding="utf-8").split()
        except OSError:
            return
    for name in selected:
        executable = _pyenv_executable(root / "versions" / name) if name and name != "system" else None
        if executable is not None:
            yield _Candidate(executable, _version_dir_hint(name))


def _sorted_version_dirs(
    parent: Path, note: Callable[[str], None]
) -> list[tuple[Path, tuple[int, ...] | None]]:
    try:
        entries = [entry for entry in parent.iterdir() if _is_dir(entry)]
    except OSError as err:
        note(f"Skipped {parent} while looking for Python interpreters: {_reason(err)}")
        return []
    hinted = [(entry, _version_dir_hint(entry.name)) for entry in entries]
    # Newest first; folders whose name tells no version (conda, custom builds) last, by name.
    hinted.sort(key=lambda item: (item[1] is None, tuple(-part for part in item[1] or ()), item[0].name))
    return hinted


def _pyenv_versions(env: Mapping[str, str], note: Callable[[str], None]) -> Iterator[_Candidate]:
    root = _pyenv_root(env)
    if root is None:
        return
    for directory, hint in _sorted_version_dirs(root / "versions", note):
        executable = _pyenv_executable(directory)
        if executable is not None:
            yield _Candidate(executable, hint)


def _managed_dir(env: Mapping[str, str]) -> Path | None:
    from bale.python.managed import install_dir

    directory = install_dir(env)
    return directory if _is_dir(directory) else None


def _managed_pythons(env: Mapping[str, str]) -> Iterator[_Candidate]:
    """The Pythons ``bale python install`` put in its install dir, newest first, for this platform."""
    directory = _managed_dir(env)
    if directory is None:
        return
    from bale.python.managed import host_platform, installed_pythons

    key = host_platform().key
    for python in installed_pythons(directory):
        if python.platform_key == key and _is_file(python.executable):
            yield _Candidate(python.executable, python.version.release)


def _uv_python_dir(env: Mapping[str, str]) -> Path | None:
    if env.get("UV_PYTHON_INSTALL_DIR"):
        directory = Path(env["UV_PYTHON_INSTALL_DIR"])
    elif WINDOWS and env.get("APPDATA"):
        directory = Path(env["APPDATA"]) / "uv" / "python"
    elif env.get("XDG_DATA_HOME"):
        directory = Path(env["XDG_DATA_HOME"]) / "uv" / "python"
    else:
        directory = _home(env) / ".local" / "share" / "uv" / "python"
    return directory if _is_dir(directory) else None


def _uv_pythons(env: Mapping[str, str], note: Callable[[str], None]) -> Iterator[_Candidate]:
    directory = _uv_python_dir(env)
    if directory is None:
        return
    for install, hint in _sorted_version_dirs(directory, note):
        executable = _pyenv_executable(install)
        if executable is not None:
            yield _Candidate(executable, hint)


def _specifier_reason(err: Exception) -> str:
    from bale.model.requirement_errors import plain_reason

    return plain_reason(err)
