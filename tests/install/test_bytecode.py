"""compile_bytecode: one run of the environment's interpreter writes its own __pycache__ files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.install.bytecode import compile_bytecode

OTHER_PYTHON_VERSION = "3.12" if sys.version_info[:2] != (3, 12) else "3.11"


def _other_python() -> Path:
    """Another CPython than the one running the tests (pyenv's versions folder or PATH), if any."""
    import shutil

    wanted = OTHER_PYTHON_VERSION
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(root.glob(f"{wanted}*/bin/python3")):
        return candidate
    found = shutil.which(f"python{wanted}")
    return Path(found) if found else Path("/nonexistent")


OTHER_PYTHON = _other_python()


def test_compiles_every_file_with_the_interpreter_tag(tmp_path: Path) -> None:
    sources = [tmp_path / "pkg" / "a.py", tmp_path / "pkg" / "sub dir" / "b.py", tmp_path / "ünï.py"]
    for source in sources:
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("X = 1\n")
    failed = compile_bytecode(sources, Path(sys.executable))
    assert failed == []
    tag = sys.implementation.cache_tag
    for source in sources:
        assert (source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc").is_file()


@pytest.mark.skipif(not OTHER_PYTHON.exists(), reason="needs a second interpreter")
def test_uses_the_given_interpreter_not_bale_s(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("X = 1\n")
    assert compile_bytecode([source], OTHER_PYTHON) == []
    tag = "cpython-" + OTHER_PYTHON_VERSION.replace(".", "")
    assert [p.name for p in (tmp_path / "__pycache__").iterdir()] == [f"m.{tag}.pyc"]


def test_syntax_errors_are_returned_not_raised(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text("X = 1\n")
    bad.write_text("print 'python 2'\n")
    assert compile_bytecode([bad, good, tmp_path / "missing.py"], Path(sys.executable)) == [
        bad,
        tmp_path / "missing.py",
    ]
    assert (tmp_path / "__pycache__" / f"good.{sys.implementation.cache_tag}.pyc").exists()


def test_nothing_to_compile_runs_nothing(tmp_path: Path) -> None:
    assert compile_bytecode([], tmp_path / "no-python") == []


def test_missing_interpreter_is_a_bale_error(tmp_path: Path) -> None:
    with pytest.raises(BaleError, match=r"cannot run .*no-python to compile bytecode"):
        compile_bytecode([tmp_path / "a.py"], tmp_path / "no-python")


def test_crashing_interpreter_is_a_bale_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'Fatal Python error: init failed' >&2\nexit 7\n")
    os.chmod(fake, 0o755)
    with pytest.raises(BaleError, match="failed \\(exit status 7\\)") as caught:
        compile_bytecode([tmp_path / "a.py"], fake)
    assert caught.value.context == ("Fatal Python error: init failed",)
