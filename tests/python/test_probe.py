"""probe(): what an interpreter reports, the stdlib-only tag and marker code, and the probe cache."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import packaging
import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, mac_platforms, sys_tags
from packaging.version import Version

from bale.errors import BaleError
from bale.python import _probe_script
from bale.python import probe as probe_module
from bale.python.probe import Interpreter, probe
from tests.python.conftest import find_real_python


def test_probe_reports_a_real_interpreter(real_python: Callable[[str], Path], probe_cache: Path) -> None:
    executable = real_python("3.12")
    interpreter = probe(executable, probe_cache)
    assert interpreter.executable == executable
    assert interpreter.version.release[:2] == (3, 12)
    assert interpreter.major_minor == "3.12"
    assert interpreter.implementation == "cpython"
    assert not interpreter.is_venv
    assert interpreter.prefix == interpreter.base_prefix
    assert interpreter.base_executable.is_file()
    assert interpreter.pointer_size == 8
    assert interpreter.gil_disabled is False
    assert interpreter.markers["python_version"] == "3.12"
    assert interpreter.markers["python_full_version"] == str(interpreter.version)
    assert interpreter.scheme_paths["purelib"] == "lib/python3.12/site-packages"
    assert interpreter.scheme_paths["scripts"] == "bin"
    assert interpreter.tags[0].startswith("cp312-cp312-")
    assert interpreter.tags[-1] == "py30-none-any"


def test_target_parses_tags_and_markers(real_python: Callable[[str], Path], probe_cache: Path) -> None:
    interpreter = probe(real_python("3.12"), probe_cache)
    target = interpreter.target()
    assert target is interpreter.target()  # computed once
    assert target.python_version == interpreter.version
    assert [str(tag) for tag in target.tags] == list(interpreter.tags)
    assert target.supports(frozenset({Tag("py3", "none", "any")}))
    assert not target.supports(frozenset({Tag("cp311", "cp311", "win_amd64")}))
    assert target.tag_rank(frozenset({Tag("cp312", "abi3", target.tags[0].platform)})) is not None
    assert target.markers["sys_platform"] == sys.platform


def test_probe_works_on_python38_in_a_venv(
    real_python: Callable[[str], Path], probe_cache: Path, tmp_path: Path
) -> None:
    base = real_python("3.8")
    subprocess.run([base, "-m", "venv", "--without-pip", tmp_path / "v"], check=True)
    interpreter = probe(tmp_path / "v" / "bin" / "python", probe_cache)
    assert interpreter.is_venv
    assert interpreter.version.release[:2] == (3, 8)
    assert interpreter.prefix == tmp_path / "v"
    # Python 3.8 reports the venv's own path as sys._base_executable; the probe reads pyvenv.cfg instead.
    assert os.path.realpath(interpreter.base_executable) == os.path.realpath(base)
    assert interpreter.scheme_paths["purelib"] == "lib/python3.8/site-packages"
    assert interpreter.tags[0].startswith("cp38-cp38-")


def _packaging_answer(executable: Path, tmp_path: Path) -> dict[str, object]:
    """sys_tags() and default_environment() as packaging computes them inside ``executable``."""
    only_packaging = tmp_path / "only-packaging"
    only_packaging.mkdir(exist_ok=True)
    link = only_packaging / "packaging"
    if not link.exists():
        link.symlink_to(Path(packaging.__file__).parent)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1])\n"
        "from packaging.tags import sys_tags\n"
        "from packaging.markers import default_environment\n"
        "print(json.dumps({'tags': [str(t) for t in sys_tags()], 'markers': default_environment()}))\n"
    )
    done = subprocess.run([executable, "-I", "-c", code, only_packaging], capture_output=True, check=True)
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize("minor", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_stdlib_probe_agrees_with_packaging(minor: str, probe_cache: Path, tmp_path: Path) -> None:
    # The reference is the packaging installed here, run inside the other interpreter: newer releases drop
    # old Pythons, so only interpreters its Requires-Python admits can check it; 3.8 runs the same code.
    executable = find_real_python(minor)
    if executable is None:
        pytest.skip(f"no Python {minor} on this machine")
    interpreter = probe(executable, probe_cache)
    supported = importlib.metadata.metadata("packaging").get("Requires-Python") or ""
    if Version(interpreter.markers["python_full_version"]) not in SpecifierSet(supported):
        pytest.skip(f"the installed packaging needs Python {supported}; cannot check Python {minor}")
    expected = _packaging_answer(executable, tmp_path)
    assert list(interpreter.tags) == expected["tags"]
    assert dict(interpreter.markers) == expected["markers"]


def test_probe_tags_match_packaging_in_this_process() -> None:
    ours = _probe_script.tags(_probe_script.platforms())
    assert ours == [str(tag) for tag in sys_tags()]


@pytest.mark.parametrize(
    ("version", "arch"),
    [
        ((10, 9), "x86_64"),
        ((10, 15), "x86_64"),
        ((11, 0), "arm64"),
        ((14, 2), "x86_64"),
        ((15, 1), "arm64"),
        ((10, 5), "i386"),
        ((10, 5), "ppc64"),
        ((10, 6), "ppc"),
    ],
)
def test_mac_platforms_match_packaging(version: tuple[int, int], arch: str) -> None:
    assert list(_probe_script._mac_platforms(version, arch)) == list(mac_platforms(version, arch))


def test_second_probe_runs_no_subprocess(
    real_python: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "interpreters-v1"
    first = probe(real_python("3.12"), cache)
    assert len(list(cache.glob("*.json"))) == 1

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("the probe ran a subprocess despite a cache entry")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    second = probe(real_python("3.12"), cache)
    assert second == first
    assert second.tags == first.tags


def test_cache_entry_is_invalidated_by_pyvenv_cfg(real_python: Callable[[str], Path], tmp_path: Path) -> None:
    subprocess.run([real_python("3.12"), "-m", "venv", "--without-pip", tmp_path / "v"], check=True)
    cache = tmp_path / "interpreters-v1"
    python = tmp_path / "v" / "bin" / "python"
    assert probe(python, cache).is_venv
    config = tmp_path / "v" / "pyvenv.cfg"
    # Moving pyvenv.cfg away turns the "venv" back into its base interpreter; the cache must notice.
    config.rename(tmp_path / "saved.cfg")
    assert not probe(python, cache).is_venv


def test_cache_is_per_path_not_per_file(real_python: Callable[[str], Path], tmp_path: Path) -> None:
    # A venv's bin/python is a link to the base interpreter's file, but reports another prefix.
    base = real_python("3.12")
    subprocess.run([base, "-m", "venv", "--without-pip", tmp_path / "v"], check=True)
    cache = tmp_path / "interpreters-v1"
    assert not probe(base, cache).is_venv
    assert probe(tmp_path / "v" / "bin" / "python", cache).prefix == tmp_path / "v"


def test_probe_of_a_program_that_is_not_python_names_it_and_its_output(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho 'I am not Python' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(BaleError) as caught:
        probe(fake, tmp_path / "cache")
    assert caught.value.message == f"{fake} did not answer bale's query as a Python interpreter"
    assert caught.value.context == ("exit status 3", "I am not Python")


def test_probe_of_a_missing_or_non_executable_file(tmp_path: Path) -> None:
    with pytest.raises(BaleError, match=r"No Python interpreter at .*nothing-here"):
        probe(tmp_path / "nothing-here", None)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(BaleError, match=r"Could not run .*notes.txt as a Python interpreter"):
        probe(text, None)
    link = tmp_path / "python"
    link.symlink_to(tmp_path / "gone" / "python3")
    with pytest.raises(BaleError, match=r"link .*python is broken") as caught:
        probe(link, None)
    assert caught.value.context == (f"it points to {tmp_path / 'gone' / 'python3'}, which does not exist",)


def test_probe_refuses_python_older_than_38(tmp_path: Path) -> None:
    old = find_real_python("3.7")
    if old is None:
        pytest.skip("no Python 3.7 on this machine")
    with pytest.raises(BaleError) as caught:
        probe(old, None)
    assert caught.value.message.startswith("Python 3.7.")
    assert caught.value.message.endswith(f"at {old} is too old")
    assert caught.value.hint == "bale supports Python 3.8 and newer"


def test_corrupt_cache_entry_is_a_miss(real_python: Callable[[str], Path], tmp_path: Path) -> None:
    cache = tmp_path / "interpreters-v1"
    probe(real_python("3.12"), cache)
    (entry,) = cache.glob("*.json")
    entry.write_text("{not json")
    assert probe(real_python("3.12"), cache).version >= Version("3.12")
    assert json.loads(entry.read_text())["format"] == 1


def _running_base() -> Path:
    """The interpreter file this test process runs (the base of the venv pytest runs in)."""
    return Path(os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable))


def test_the_running_interpreter_is_described_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _running_base()
    # Started by another name (a link, as python3 -> python3.11 is), an interpreter reports that name.
    link = tmp_path / "bin" / "python3"
    link.parent.mkdir()
    link.symlink_to(base)
    expected = {path: probe_module._run_probe(path) for path in (base, link)}

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("the probe ran the interpreter this process runs on")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    for path, facts in expected.items():
        assert probe_module._facts_in_process(path) == facts
        cache = tmp_path / f"cache-{path.name}"
        assert probe(path, cache).to_json() == Interpreter.from_json(path, facts).to_json()
        assert json.loads(next(cache.glob("*.json")).read_text())["interpreter"] == facts


def test_the_probe_runs_any_other_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = _running_base()
    other = next(
        (found for minor in ("3.12", "3.13", "3.10") if (found := find_real_python(minor)) is not None), None
    )
    if other is not None and os.path.realpath(other) != str(base):
        assert probe_module._facts_in_process(other) is None
    # A venv made from it reports the venv's prefix: only running it (or its pyvenv.cfg) says so.
    subprocess.run([base, "-m", "venv", "--without-pip", tmp_path / "v"], check=True)
    assert probe_module._facts_in_process(tmp_path / "v" / "bin" / "python") is None
    # A probe ignores PYTHONHOME (-I); this process did not.
    monkeypatch.setenv("PYTHONHOME", str(tmp_path))
    assert probe_module._facts_in_process(base) is None
    monkeypatch.delenv("PYTHONHOME")
    # A _manylinux module can change the manylinux tags the interpreter accepts.
    (tmp_path / "_manylinux.py").write_text("manylinux_compatible = lambda *args: False\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert probe_module._facts_in_process(base) is None
