"""Builds under limits, through the CLI: a build that runs too long is killed with its children, and a
failed build's whole output is kept in a log file that the error names, beside its last lines."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from tests.build.helpers import in_tree_files, tar_sdist
from tests.cli.conftest import Venv
from tests.support.cli import Result

Bale = Callable[..., Result]
_PLAIN_BUILD = """def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory)
"""


def _sdist(folder: Path, name: str, build_wheel: str) -> Path:
    """An sdist of the in-tree backend whose ``build_wheel`` is ``build_wheel`` (source text)."""
    files = in_tree_files(name)
    backend = files["bale_test_backend.py"]
    assert _PLAIN_BUILD in backend
    files["bale_test_backend.py"] = backend.replace(_PLAIN_BUILD, build_wheel)
    return tar_sdist(files, folder, f"{name}-1.0")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a parent that is not reaping it does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _log_path(lines: list[str]) -> Path:
    found = [line for line in lines if line.startswith("  whole build output: ")]
    assert len(found) == 1, lines
    return Path(found[0].removeprefix("  whole build output: "))


def test_a_build_that_runs_too_long_is_killed_with_its_children(
    bale: Bale, venv: Venv, tmp_path: Path
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    slow = f"""def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import subprocess, sys, time
    for step in range(1, 31):
        print("compiling step %d" % step)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open({str(pid_file)!r}, "w") as handle:
        handle.write(str(child.pid))
    time.sleep(300)
    return _write_wheel(wheel_directory)
"""
    folder = tmp_path / "links"
    _sdist(folder, "slow", slow)

    start = time.monotonic()
    result = bale("pip", "install", "slow", "--no-index", "-f", folder, env={"BALE_BUILD_TIMEOUT": "2"})
    elapsed = time.monotonic() - start

    assert result.code == 1, result
    assert elapsed < 60, f"the build was not stopped: {elapsed:.0f} s"
    lines = result.stderr.replace(str(tmp_path), "[TMP]").splitlines()
    # The progress line of the build (stderr is not a terminal here), then the error.
    assert lines[0] == "Building slow==1.0", result
    lines = lines[1:]
    assert lines[:3] == [
        "error: Failed to build slow-1.0.tar.gz: the build timed out after 2 s",
        "  bale_test_backend ran longer than 2 s in build_wheel and was stopped",
        "  last 20 lines of the build output:",
    ], result
    assert lines[3:23] == [f"    | compiling step {step}" for step in range(11, 31)], result
    assert re.fullmatch(
        r"  whole build output: \[TMP\]/bale-home/cache/build-logs/slow/"
        r"\d{8}T\d{6}-\d+-slow-1\.0\.tar\.gz-build_wheel\.log",
        lines[23],
    ), lines[23]
    assert lines[24].startswith("  to reproduce: ") and lines[24].endswith("slow-1.0.tar.gz"), lines[24]
    assert lines[25:] == [
        "hint: a build may run 2 s (BALE_BUILD_TIMEOUT); if it is only slow, raise the limit, e.g. "
        "BALE_BUILD_TIMEOUT=8, or set BALE_BUILD_TIMEOUT=0 for none"
    ]
    log = _log_path(result.stderr.splitlines()).read_text()
    assert "# bale_test_backend ran longer than 2 s in build_wheel and was stopped" in log
    assert [line for line in log.splitlines() if line.startswith("compiling")] == [
        f"compiling step {step}" for step in range(1, 31)
    ]
    # The backend's own child died with it: a killed build leaves nothing running.
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), f"process {grandchild} started by the build still runs"
    assert venv.dist_infos() == []
    assert not list((tmp_path / "bale-home" / "cache").glob("builds-v1/slow/*/*/*.whl"))


def test_a_failed_build_keeps_its_whole_output_in_a_log(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    failing = """def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    for line in range(1, 51):
        print("building part %d" % line)
    raise RuntimeError("the flux capacitor is missing")
"""
    folder = tmp_path / "links"
    _sdist(folder, "boom", failing)

    result = bale("pip", "install", "boom", "--no-index", "-f", folder)

    assert result.code == 1, result
    lines = result.stderr.replace(str(tmp_path), "[TMP]").splitlines()
    assert lines[0] == "Building boom==1.0", result
    lines = lines[1:]
    assert lines[:3] == [
        "error: Failed to build boom-1.0.tar.gz",
        "  bale_test_backend failed in build_wheel (exit status 1)",
        "  last 20 lines of the build output:",
    ], result
    # Tracebacks are reduced to their message in the tail: the last 19 prints, then the exception.
    assert lines[3:23] == [
        *(f"    | building part {part}" for part in range(32, 51)),
        "    | RuntimeError: the flux capacitor is missing",
    ], result
    assert lines[23].startswith("  whole build output: [TMP]/bale-home/cache/build-logs/boom/"), lines[23]
    assert lines[24].startswith("  to reproduce: ")
    assert lines[25:] == [
        "hint: the build failed inside the package's own build backend; see the log above, or run bale "
        "with -v"
    ]
    log = _log_path(result.stderr.splitlines()).read_text()
    assert [line for line in log.splitlines() if line.startswith("building part")] == [
        f"building part {part}" for part in range(1, 51)
    ]
    assert "Traceback (most recent call last):" in log
    assert venv.dist_infos() == []


def test_an_invalid_build_timeout_is_named(bale: Bale, venv: Venv, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    _sdist(folder, "plain", _PLAIN_BUILD)

    result = bale("pip", "install", "plain", "--no-index", "-f", folder, env={"BALE_BUILD_TIMEOUT": "soon"})

    assert result.code == 1, result
    assert result.stderr.splitlines() == [
        "error: BALE_BUILD_TIMEOUT must be a number of seconds (0 for no limit), not 'soon'"
    ]
    assert venv.dist_infos() == []
    ok = bale("pip", "install", "plain", "--no-index", "-f", folder, env={"BALE_BUILD_TIMEOUT": "600"})
    assert ok.code == 0, ok
    assert venv.dist_infos() == ["plain-1.0.dist-info"]
