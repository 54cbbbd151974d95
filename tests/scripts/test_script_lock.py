"""`bale lock --script`: pylock.<stem>.toml beside the script; `run` installs exactly it; `export`."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.pylock import Pylock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _script(folder: Path, dependencies: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "script.py"
    path.write_text(
        f"# /// script\n# dependencies = [{dependencies}]\n# ///\nimport lib\nprint(lib.__version__)\n"
    )
    return path


def test_lock_then_run_installs_the_lock_and_locked_refuses_a_stale_one(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    first = static_index([make_pkg("lib", "1.0")])
    script = _script(tmp_path / "work", '"lib"')
    work = script.parent
    locked = run_bale("lock", "--script", "script.py", "-i", first.url, cwd=work)
    assert locked.code == 0, locked
    assert locked.stderr == "Wrote pylock.script.toml\n"
    lock = work / "pylock.script.toml"
    data = tomllib.loads(lock.read_text())
    Pylock.from_dict(data)  # a valid PEP 751 lock
    assert [(p["name"], p["version"]) for p in data["packages"]] == [("lib", "1.0")]

    # A newer lib on another index: the lock, not a fresh resolution, decides what runs.
    newer = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0")])
    ran = run_bale("run", "-i", newer.url, "script.py", cwd=work)
    assert ran.code == 0, ran
    assert ran.stdout == "1.0\n"
    check = run_bale("lock", "--script", "script.py", "--check", cwd=work)
    assert check.code == 0, check

    script.write_text(script.read_text().replace('"lib"', '"lib>=2"'))
    stale = run_bale("run", "--locked", "-i", newer.url, "script.py", cwd=work)
    assert stale.code == 1, stale
    assert stale.stderr.endswith(
        "error: The lock file pylock.script.toml needs to be updated: script.py's metadata block changed\n"
        "hint: run `bale lock --script script.py`\n"
    )
    relocked = run_bale("run", "-i", newer.url, "script.py", cwd=work)  # without --locked: relocked
    assert relocked.code == 0, relocked
    assert relocked.stdout == "2.0\n"
    assert "Updated pylock.script.toml" in relocked.stderr
    assert '"2.0"' in lock.read_text()


def test_export_script_as_requirements_txt_and_pylock(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("dep", "3.0")])
    script = _script(tmp_path / "work", '"lib"')
    script.write_text(script.read_text().replace('"lib"', '"lib", "dep"'))
    exported = run_bale("export", "--script", "script.py", "-i", server.url, "--no-header", cwd=script.parent)
    assert exported.code == 0, exported
    lines = [line for line in exported.stdout.splitlines() if line and not line.startswith(" ")]
    assert [line.split(" ")[0] for line in lines] == ["dep==3.0", "lib==1.0"]
    assert "--hash=sha256:" in exported.stdout
    as_lock = run_bale("export", "--script", "script.py", "--format", "pylock.toml", cwd=script.parent)
    assert as_lock.code == 0, as_lock
    assert as_lock.stdout == (script.parent / "pylock.script.toml").read_text()
