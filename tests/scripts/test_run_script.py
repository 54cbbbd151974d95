"""`bale run script.py`: PEP 723 scripts in cached environments, outside and inside projects."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

SHOW = "import app, lib; print('app', app.__version__, 'lib', lib.__version__)\n"


def _script(folder: Path, dependencies: str, body: str = SHOW, name: str = "script.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    major, minor = sys.version_info[:2]
    path = folder / name
    path.write_text(
        "# /// script\n"
        f'# requires-python = ">={major}.{minor}"\n'
        f"# dependencies = [{dependencies}]\n"
        "# ///\n" + body
    )
    return path


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib"]),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
    ]


def test_run_builds_a_cached_environment_and_reuses_it_without_the_network(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    script = _script(tmp_path / "work", '"app"')
    first = run_bale("run", "-i", server.url, "script.py", cwd=script.parent)
    assert first.code == 0, first
    assert first.stdout == "app 1.0 lib 2.0\n"
    assert "Reading inline script metadata from `script.py`" in first.stderr
    assert "Installed 2 packages" in first.stderr
    before = len(server.requests)
    assert before > 0

    started = time.perf_counter()
    second = run_bale("run", "-i", server.url, "script.py", "a", "b", cwd=script.parent)
    took = time.perf_counter() - started
    assert second.code == 0, second
    assert second.stdout == "app 1.0 lib 2.0\n"
    assert "Installed" not in second.stderr
    assert len(server.requests) == before, server.requests[before:]  # not one request
    assert took < 5  # a Python start-up or two, a read and a few stats (~0.15 s here)


def test_arguments_pass_through_and_the_exit_code_comes_back(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    body = "import sys\nprint(sys.argv[1:])\nsys.exit(4)\n"
    script = _script(tmp_path / "work", "", body)
    result = run_bale("run", "-i", server.url, script, "--flag", "x")
    assert result.code == 4, result
    assert result.stdout == "['--flag', 'x']\n"


def test_a_script_with_a_block_ignores_the_project_around_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = tmp_path / "demo"
    root.mkdir()
    # A project bale could not even lock: the script must not look at it.
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\ndependencies = ["missing"]\n'
    )
    _script(root, '"lib<2"', "import lib; print(lib.__version__)\n")
    result = run_bale("run", "-i", server.url, "script.py", cwd=root)
    assert result.code == 0, result
    assert result.stdout == "1.0\n"
    assert not (root / ".venv").exists()
    assert not (root / "pylock.toml").exists()


def test_a_py_file_without_a_block_runs_with_a_bare_interpreter_outside_a_project(
    run_bale, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "plain.py").write_text("import sys\nprint('plain', sys.argv[1:])\n")
    result = run_bale("run", "plain.py", "1", cwd=work)
    assert result.code == 0, result
    assert result.stdout == "plain ['1']\n"


def test_the_block_s_index_and_exclude_newer_are_used(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    body = "import lib; print(lib.__version__)\n"
    script = _script(tmp_path / "work", '"lib"', body)
    text = script.read_text().replace("# ///\n", f'# [tool.bale]\n# index = "{server.url}"\n# ///\n', 1)
    script.write_text(text)
    result = run_bale("run", script)  # no -i: the block names the index
    assert result.code == 0, result
    assert result.stdout == "2.0\n"


def test_the_block_s_exclude_newer_ignores_later_uploads(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    old, new = make_pkg("lib", "1.0"), make_pkg("lib", "2.0")
    times = {
        old.name: datetime(2024, 1, 1, tzinfo=timezone.utc),
        new.name: datetime(2024, 6, 1, tzinfo=timezone.utc),
    }
    server = static_index([old, new], upload_times=times)
    script = _script(tmp_path / "work", '"lib"', "import lib; print(lib.__version__)\n")
    block = '# [tool.bale]\n# exclude-newer = "2024-03-01T00:00:00Z"\n# ///\n'
    script.write_text(script.read_text().replace("# ///\n", block, 1))
    result = run_bale("run", "-i", server.url, script)
    assert result.code == 0, result
    assert result.stdout == "1.0\n"
