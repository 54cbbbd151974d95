"""A repeated ``bale venv --python PATH`` writes the same environment from the kept interpreter facts,
without argparse or the probe, and goes back to the full command whenever those facts may be stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.python.conftest import find_real_python
from tests.support.cli import bale_env

# Imported by the full command, never by the replay.
_HEAVY = {"argparse", "bale.cli.main", "bale.python.probe", "packaging.version", "dataclasses"}


def _venv(
    home: Path,
    cwd: Path,
    *args: str,
    env: dict[str, str | None] | None = None,
    prefix: tuple[str, ...] = (),
) -> tuple[int, str, set[str]]:
    """``bale PREFIX venv ARGS`` in a fresh interpreter: its exit status, stderr and the modules it
    imported."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"sys.argv = ['bale', *{list(prefix)!r}, 'venv', *{list(args)!r}]\n"
        "from bale.cli.entry import entry\n"
        "try:\n"
        "    entry()\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print(code); print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=bale_env(home, extra=env), capture_output=True, text=True
    )
    status, modules = done.stdout.splitlines()[-2:]
    return int(status), done.stderr, set(modules.split())


def _same_tree(left: Path, right: Path) -> None:
    """Both environments hold the same names, link targets and file contents, up to their own paths."""
    for folder, _dirs, files in os.walk(left):
        relative = Path(folder).relative_to(left)
        assert sorted(os.listdir(folder)) == sorted(os.listdir(right / relative)), relative
        for name in files:
            a, b = Path(folder, name), right / relative / name
            if a.is_symlink():
                assert os.readlink(a) == os.readlink(b), a
            else:
                assert a.read_text().replace(str(left), "ENV") == b.read_text().replace(str(right), "ENV"), a


def _prefix(venv: Path) -> str:
    done = subprocess.run(
        [venv / "bin" / "python", "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def python311() -> Path:
    found = find_real_python("3.11") or find_real_python("3.12")
    if found is None:
        pytest.skip("no real Python 3.11 or 3.12 on this machine")
    return found


@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_a_repeated_venv_is_written_from_the_kept_facts_the_same_as_the_full_command(
    python311: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    status, full_err, modules = _venv(home, first, "env", "--python", str(python311), "--prompt", "demo")
    assert status == 0 and modules >= _HEAVY
    # Another folder, the same command: the replay, and the same words as the full command.
    status, err, modules = _venv(home, second, "env", "--python", str(python311), "--prompt", "demo")
    assert status == 0
    assert not modules & _HEAVY, modules & _HEAVY
    assert err == full_err
    assert "Activate with: source env/bin/activate" in err
    assert _prefix(second / "env") == str(second / "env")
    _same_tree(first / "env", second / "env")
    assert not list(second.glob(".env.bale-*")), "no staging folder left behind"


@pytest.mark.skipif(os.name == "nt", reason="symlinked interpreters")
def test_the_replay_follows_the_interpreter_a_link_leads_to_and_leaves_the_rest_to_the_full_command(
    python311: Path, tmp_path: Path
) -> None:
    other = find_real_python("3.12") if "3.11" in str(python311) else find_real_python("3.11")
    if other is None:
        pytest.skip("needs two Python versions")
    home = tmp_path / "home"
    link = tmp_path / "python"
    link.symlink_to(python311)
    assert _venv(home, tmp_path, "a", "--python", str(link))[0] == 0
    status, _, modules = _venv(home, tmp_path, "b", "--python", str(link))
    assert status == 0 and not modules & _HEAVY

    # The link now leads to another interpreter: the kept facts are not used.
    link.unlink()
    link.symlink_to(other)
    status, err, modules = _venv(home, tmp_path, "c", "--python", str(link))
    assert status == 0 and "bale.python.probe" in modules
    version = subprocess.run(
        [tmp_path / "c" / "bin" / "python", "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.strip() != str(tuple(int(p) for p in python311.parent.parent.name.split(".")[:2]))

    # An existing target, a version request and the cache turned off all go to the full command.
    status, err, modules = _venv(home, tmp_path, "c", "--python", str(link))
    assert status != 0 and "already exists" in err and "bale.cli.main" in modules
    status, _, modules = _venv(home, tmp_path, "d", "--python", other.parent.parent.name)
    assert "bale.cli.main" in modules
    status, _, modules = _venv(home, tmp_path, "e", "--python", str(link), env={"BALE_NO_CACHE": "1"})
    assert status == 0 and "bale.cli.main" in modules
    assert (tmp_path / "e" / "pyvenv.cfg").is_file()


@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_a_cache_named_on_the_command_line_holds_the_facts_before_or_after_the_command(
    python311: Path, tmp_path: Path
) -> None:
    home, cache = tmp_path / "home", tmp_path / "elsewhere"
    assert (
        _venv(home, tmp_path, "a", "--python", str(python311), "--cache-dir", str(cache), prefix=())[0] == 0
    )
    assert list((cache / "venv-replays-v1").iterdir())
    status, _, modules = _venv(
        home, tmp_path, "b", "--python", str(python311), prefix=("--cache-dir", str(cache))
    )
    assert status == 0 and not modules & _HEAVY
    assert _prefix(tmp_path / "b") == str(tmp_path / "b")
    # The default cache holds nothing: there the command runs in full.
    status, _, modules = _venv(home, tmp_path, "c", "--python", str(python311))
    assert status == 0 and "bale.cli.main" in modules


@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
@pytest.mark.parametrize("damage", ["truncated", "facts-leave-the-venv", "facts-of-another-shape"])
def test_a_damaged_kept_entry_goes_to_the_full_command(damage: str, python311: Path, tmp_path: Path) -> None:
    import marshal

    home = tmp_path / "home"
    assert _venv(home, tmp_path, "a", "--python", str(python311))[0] == 0
    (entry,) = (home / "cache" / "venv-replays-v1").iterdir()
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:40])
    else:
        fields = list(marshal.loads(entry.read_bytes()))
        facts = fields[5]
        if damage == "facts-leave-the-venv":
            facts["site_packages"] = ["../../outside"]
        else:
            facts["site_packages"] = 7
        entry.write_bytes(marshal.dumps(tuple(fields)))
    status, err, modules = _venv(home, tmp_path, "b", "--python", str(python311))
    assert status == 0 and "bale.cli.main" in modules and "Traceback" not in err
    assert _prefix(tmp_path / "b") == str(tmp_path / "b")
    assert not (tmp_path / "outside").exists()
