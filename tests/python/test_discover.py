"""PythonRequest parsing; find_interpreter and list_interpreters over a PATH and pyenv built per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from bale.errors import BaleError
from bale.python import discover
from bale.python.discover import (
    PythonRequest,
    find_interpreter,
    find_python_version_file,
    list_interpreters,
    read_python_version_file,
)
from bale.python.probe import Interpreter, probe
from tests.python.conftest import find_real_python


@pytest.mark.parametrize(
    ("text", "kind", "implementation", "version", "shown"),
    [
        (None, "any", None, (), "Python"),
        ("", "any", None, (), "Python"),
        ("3", "version", None, (3,), "Python 3"),
        ("3.12", "version", None, (3, 12), "Python 3.12"),
        ("3.12.1", "version", None, (3, 12, 1), "Python 3.12.1"),
        ("cpython3.12", "version", "cpython", (3, 12), "CPython 3.12"),
        ("cpython@3.12", "version", "cpython", (3, 12), "CPython 3.12"),
        ("cp312", "version", "cpython", (3, 12), "CPython 3.12"),
        ("cp38", "version", "cpython", (3, 8), "CPython 3.8"),
        ("python3.12", "version", None, (3, 12), "Python 3.12"),
        ("pypy3.10", "version", "pypy", (3, 10), "PyPy 3.10"),
        ("312", "version", None, (3, 12), "Python 3.12"),
        ("3.13t", "version", None, (3, 13), "Python 3.13t"),
        ("python3.12-dbg", "name", None, (), "python3.12-dbg"),
        ("/usr/bin/python3", "path", None, (), "/usr/bin/python3"),
        (".venv", "path", None, (), ".venv"),
        ("~/envs/x", "path", None, (), "~/envs/x"),
    ],
)
def test_parse(
    text: str | None, kind: str, implementation: str | None, version: tuple[int, ...], shown: str
) -> None:
    request = PythonRequest.parse(text)
    assert (request.kind, request.implementation, request.version, str(request)) == (
        kind,
        implementation,
        version,
        shown,
    )


def test_parse_specifier_and_path_details() -> None:
    request = PythonRequest.parse(">=3.11,<3.13")
    assert request.kind == "specifier"
    assert request.specifier == SpecifierSet(">=3.11,<3.13")
    assert request.prefers_newest
    assert PythonRequest.parse("3").prefers_newest
    assert not PythonRequest.parse("3.12").prefers_newest
    assert PythonRequest.parse("3.13t").free_threaded
    assert PythonRequest.parse("~/envs/x").path == Path.home() / "envs" / "x"
    with pytest.raises(BaleError, match=r"Invalid Python request '>=3.x'"):
        PythonRequest.parse(">=3.x")
    with pytest.raises(BaleError, match=r"Invalid Python request 'python 3'"):
        PythonRequest.parse("python 3")


def test_could_match_uses_file_name_versions() -> None:
    assert PythonRequest.parse("3.12").could_match((3, 12))
    assert PythonRequest.parse("3.12.1").could_match((3, 12))
    assert not PythonRequest.parse("3.12.1").could_match((3, 12, 2))
    assert not PythonRequest.parse("3.12").could_match((3, 11))
    assert not PythonRequest.parse("").could_match((3, 7))  # older than bale supports
    specifier = PythonRequest.parse(">=3.11.4,<3.13")
    assert specifier.could_match((3, 11))
    assert specifier.could_match((3, 12))
    assert not specifier.could_match((3, 13))
    assert not specifier.could_match((3, 11, 2))


def test_python_version_file(tmp_path: Path) -> None:
    (tmp_path / ".python-version").write_text("# pinned for CI\n\n3.12\n3.11\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    found = find_python_version_file(nested)
    assert found == tmp_path / ".python-version"
    assert read_python_version_file(found) == PythonRequest.parse("3.12")
    (tmp_path / ".python-version").write_text("system\n")
    assert read_python_version_file(found).kind == "any"
    (tmp_path / ".python-version").write_text(">=3.x\n")
    with pytest.raises(BaleError, match=r"Invalid Python version in .*\.python-version: '>=3.x'"):
        read_python_version_file(found)


class Machine:
    """A PATH folder and a pyenv root holding links to this machine's real interpreters, and their env."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        self.home = root / "home"
        self.home.mkdir()
        self.env = {"PATH": os.fspath(self.bin), "HOME": os.fspath(self.home)}

    def on_path(self, name: str, minor: str, directory: Path | None = None) -> Path:
        real = find_real_python(minor)
        if real is None:
            pytest.skip(f"no Python {minor} on this machine")
        link = (directory or self.bin) / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(real)
        return link

    def in_pyenv(self, folder: str, minor: str) -> Path:
        self.env["PYENV_ROOT"] = os.fspath(self.root / "pyenv")
        return self.on_path("python3", minor, self.root / "pyenv" / "versions" / folder / "bin")


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


class CountingProbe:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        real = probe

        def counting(executable: Path, cache_dir: Path | None = None) -> Interpreter:
            self.paths.append(executable)
            return real(executable, cache_dir)

        monkeypatch.setattr(discover, "probe", counting)


def test_exact_request_probes_only_the_chosen_interpreter(
    machine: Machine, probe_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine.on_path("python3.13", "3.13")
    wanted = machine.on_path("python3.12", "3.12")
    machine.on_path("python3.11", "3.11")
    probes = CountingProbe(monkeypatch)
    for text in ("3.12", "cp312", "cpython3.12", "python3.12"):
        found = find_interpreter(text, cwd=machine.root, cache_dir=probe_cache, env=machine.env)
        assert found.executable == wanted
        assert found.version.release[:2] == (3, 12)
    assert probes.paths == [wanted] * 4


def test_ranges_and_major_version_pick_the_newest_match(machine: Machine, probe_cache: Path) -> None:
    machine.on_path("python3.11", "3.11")
    newest_in_range = machine.on_path("python3.12", "3.12")
    newest = machine.on_path("python3.13", "3.13")
    found = find_interpreter(">=3.11,<3.13", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == newest_in_range
    found = find_interpreter("3", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == newest


def test_no_request_takes_the_first_on_path(machine: Machine, probe_cache: Path) -> None:
    first = machine.on_path("python3", "3.11")
    machine.on_path("python3.12", "3.12")
    found = find_interpreter(None, cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == first


def test_python_version_file_is_the_request_when_none_is_given(machine: Machine, probe_cache: Path) -> None:
    machine.on_path("python3", "3.11")
    wanted = machine.on_path("python3.12", "3.12")
    project = machine.root / "project"
    (project / "src").mkdir(parents=True)
    (project / ".python-version").write_text("3.12\n")
    found = find_interpreter(None, cwd=project / "src", cache_dir=probe_cache, env=machine.env)
    assert found.executable == wanted
    # An explicit request wins over the file.
    found = find_interpreter("3.11", cwd=project / "src", cache_dir=probe_cache, env=machine.env)
    assert found.version.release[:2] == (3, 11)


def test_pyenv_versions_are_searched_and_shims_replaced_by_the_global_version(
    machine: Machine, probe_cache: Path
) -> None:
    in_pyenv_312 = machine.in_pyenv("3.12.1", "3.12")
    in_pyenv_311 = machine.in_pyenv("3.11.7", "3.11")
    shims = machine.root / "pyenv" / "shims"
    shims.mkdir()
    # A shim that would fail the test if run: bale must never execute pyenv shims.
    (shims / "python3").write_text("#!/bin/sh\nexit 99\n")
    (shims / "python3").chmod(0o755)
    (machine.root / "pyenv" / "version").write_text("3.11.7\n")
    machine.env["PATH"] = os.pathsep.join([os.fspath(shims), machine.env["PATH"]])
    found = find_interpreter("3.12", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == in_pyenv_312
    found = find_interpreter(None, cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == in_pyenv_311


def test_uv_managed_pythons_are_searched(machine: Machine, probe_cache: Path) -> None:
    uv_dir = machine.root / "uv-pythons"
    wanted = machine.on_path("python3", "3.12", uv_dir / "cpython-3.12.1-linux-x86_64-gnu" / "bin")
    machine.env["UV_PYTHON_INSTALL_DIR"] = os.fspath(uv_dir)
    found = find_interpreter("3.12", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == wanted


def test_path_requests(machine: Machine, probe_cache: Path, tmp_path: Path) -> None:
    python = machine.on_path("python3.12", "3.12")
    found = find_interpreter(os.fspath(python), cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == python
    found = find_interpreter("./bin/python3.12", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == python
    # A prefix directory: its bin/python3.
    prefix = Path(os.path.realpath(python)).parent.parent
    found = find_interpreter(os.fspath(prefix), cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.version.release[:2] == (3, 12)
    with pytest.raises(BaleError, match=r"No Python interpreter in .*empty") as caught:
        (tmp_path / "empty").mkdir()
        find_interpreter(os.fspath(tmp_path / "empty"), cwd=tmp_path, cache_dir=probe_cache, env=machine.env)
    assert caught.value.context == (
        f"looked for {tmp_path / 'empty/bin/python3'}, {tmp_path / 'empty/bin/python'}",
    )
    with pytest.raises(BaleError, match=r"No Python interpreter at .*missing: the path does not exist"):
        find_interpreter("./missing", cwd=tmp_path, cache_dir=probe_cache, env=machine.env)


def test_executable_name_request(machine: Machine, probe_cache: Path) -> None:
    python = machine.on_path("python3.12-custom", "3.12")
    found = find_interpreter("python3.12-custom", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == python
    with pytest.raises(BaleError, match=r"No executable named 'python9-custom' on PATH"):
        find_interpreter("python9-custom", cwd=machine.root, cache_dir=probe_cache, env=machine.env)


def test_not_found_error_lists_what_was_found(machine: Machine, probe_cache: Path) -> None:
    python312 = machine.on_path("python3.12", "3.12")
    python311 = machine.on_path("python3.11", "3.11")
    with pytest.raises(BaleError) as caught:
        find_interpreter("3.14", cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    error = caught.value
    assert error.message == "No interpreter found for Python 3.14 in PATH"
    assert error.context == (f"found 3.12 at {python312}", f"found 3.11 at {python311}")
    assert error.hint == (
        "install Python 3.14 (for example with `pyenv install 3.14`), or pass the path of an interpreter "
        "with --python"
    )


def test_not_found_names_the_python_version_file(machine: Machine, probe_cache: Path) -> None:
    (machine.root / ".python-version").write_text("3.14\n")
    with pytest.raises(BaleError) as caught:
        find_interpreter(None, cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert caught.value.message == (
        f"No interpreter found for Python 3.14 (requested by {machine.root / '.python-version'}) in PATH"
    )
    assert caught.value.context == ("found no Python executables",)


def test_broken_candidates_are_skipped(machine: Machine, probe_cache: Path) -> None:
    fake = machine.bin / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    wanted = machine.on_path("python3.12", "3.12")
    found = find_interpreter(None, cwd=machine.root, cache_dir=probe_cache, env=machine.env)
    assert found.executable == wanted


def test_list_interpreters_dedupes_and_sorts_newest_first(machine: Machine, probe_cache: Path) -> None:
    machine.on_path("python3.11", "3.11")
    python312 = machine.on_path("python3.12", "3.12")
    machine.on_path("python3", "3.12")  # the same file as python3.12
    python313 = machine.on_path("python3.13", "3.13")
    found = list_interpreters(cache_dir=probe_cache, env=machine.env)
    assert [interpreter.major_minor for interpreter in found] == ["3.13", "3.12", "3.11"]
    assert found[0].executable == python313
    assert found[1].executable in (python312, machine.bin / "python3")
    only = list_interpreters(cache_dir=probe_cache, env=machine.env, request=PythonRequest.parse(">=3.12"))
    assert [interpreter.major_minor for interpreter in only] == ["3.13", "3.12"]
