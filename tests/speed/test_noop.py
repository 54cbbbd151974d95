"""A repeated no-op sync is answered before anything heavy is imported (``bale.cli.noop``), and every
change that the full command would act on still reaches the full command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.cli import BaleRunner, Result, scrub

_PROBE = "import sys\nfrom bale.cli.noop import replay_noop\nprint(replay_noop(sys.argv[1:]))\n"


def _told_early(run_bale: BaleRunner, *argv: str, cwd: Path, env: dict[str, str] | None = None) -> bool:
    """Whether ``bale ARGV`` would be answered by the stamp (its answer printed, status 0)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=cwd,
        env=run_bale.env(env),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1] == "0"


def _site(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def _dists(venv: Path) -> list[str]:
    return sorted(p.name for p in _site(venv).glob("*.dist-info"))


def _ok(result: Result) -> Result:
    assert result.code == 0, result
    return result


def test_pip_sync_repeats_from_the_stamp_until_a_file_or_the_environment_changes(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index(
        [make_pkg("app", "1.0", requires_dist=["lib"]), make_pkg("lib", "1.0"), make_pkg("lib", "2.0")]
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "base.txt").write_text("lib==1.0\n")
    (work / "requirements.txt").write_text("-r base.txt\napp==1.0\n")
    venv = tmp_path / "venv"
    _ok(run_bale("venv", str(venv), cwd=work))
    argv = ("pip", "sync", "requirements.txt", "--python", str(venv), "-i", server.url)

    _ok(run_bale(*argv, cwd=work))
    assert _dists(venv) == ["app-1.0.dist-info", "lib-1.0.dist-info"]
    assert not _told_early(run_bale, *argv, cwd=work)  # a sync that installed leaves no stamp
    full = _ok(run_bale(*argv, cwd=work))
    assert (venv / ".bale-noop").is_file()
    assert _told_early(run_bale, *argv, cwd=work)
    early = _ok(run_bale(*argv, cwd=work))
    assert scrub(early.stderr, {tmp_path: "[TMP]"}) == scrub(full.stderr, {tmp_path: "[TMP]"})
    assert "Audited 2 packages" in early.stderr

    # Another folder with the same requirements.txt: its base.txt is another file.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(work / "requirements.txt", other / "requirements.txt")
    (other / "base.txt").write_text("lib==2.0\n")
    assert not _told_early(run_bale, *argv, cwd=other)

    # The included file changes: the full sync runs and installs what it now says.
    (work / "base.txt").write_text("lib==2.0\n")
    assert not _told_early(run_bale, *argv, cwd=work)
    changed = _ok(run_bale(*argv, cwd=work))
    assert "+ lib==2.0" in changed.stderr
    _ok(run_bale(*argv, cwd=work))
    assert _told_early(run_bale, *argv, cwd=work)

    # Another command removes a package from the environment: site-packages changed.
    _ok(run_bale("pip", "uninstall", "lib", "--python", str(venv), cwd=work))
    assert not _told_early(run_bale, *argv, cwd=work)
    repaired = _ok(run_bale(*argv, cwd=work))
    assert "+ lib==2.0" in repaired.stderr
    assert _dists(venv) == ["app-1.0.dist-info", "lib-2.0.dist-info"]

    # Other words are another command (-q prints nothing), and -v always runs the full command.
    assert not _told_early(run_bale, *argv, "-q", cwd=work)
    assert not _told_early(run_bale, *argv, "-v", cwd=work)


def test_pip_install_of_a_named_file_holds_in_any_folder_and_notices_its_edit(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0")])
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    venv = tmp_path / "venv"
    _ok(run_bale("venv", str(venv)))
    argv = ("pip", "install", "-r", str(requirements), "-i", server.url)
    env = {"VIRTUAL_ENV": str(venv)}
    _ok(run_bale(*argv, env=env))
    _ok(run_bale(*argv, env=env))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _told_early(run_bale, *argv, cwd=elsewhere, env=env)
    # Not with another environment active (its own stamp, if any, decides).
    assert not _told_early(run_bale, *argv, cwd=elsewhere, env={"VIRTUAL_ENV": str(tmp_path / "none")})
    requirements.write_text("lib==2.0\n")
    assert not _told_early(run_bale, *argv, cwd=elsewhere, env=env)
    upgraded = _ok(run_bale(*argv, cwd=elsewhere, env=env))
    assert "+ lib==2.0" in upgraded.stderr


PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.8"
dependencies = ["lib"]
"""


def test_project_sync_repeats_from_the_stamp_in_a_copy_and_notices_what_sync_reads(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("extra-pkg", "1.0")])
    first = tmp_path / "ci" / "checkout-1"
    first.mkdir(parents=True)
    (first / "pyproject.toml").write_text(PYPROJECT)
    env = {"BALE_PROJECT_ENVIRONMENT": str(tmp_path / "shared-env")}
    argv = ("sync", "-i", server.url)
    _ok(run_bale(*argv, cwd=first, env=env))
    _ok(run_bale(*argv, cwd=first, env=env))
    assert _told_early(run_bale, *argv, cwd=first, env=env)
    (first / "src").mkdir()
    assert _told_early(run_bale, *argv, cwd=first / "src", env=env)  # the project is found upwards

    # A fresh checkout (as CI makes one) of the same files, sharing the environment.
    second = tmp_path / "ci" / "checkout-2"
    shutil.copytree(first, second)
    assert _told_early(run_bale, *argv, cwd=second, env=env)
    early = _ok(run_bale(*argv, cwd=second, env=env))
    assert "Audited 1 package in" in early.stderr

    # A pyproject.toml above the project could make it a workspace member.
    above = tmp_path / "ci" / "pyproject.toml"
    above.write_text("[tool.other]\n")
    assert not _told_early(run_bale, *argv, cwd=second, env=env)
    above.unlink()
    assert _told_early(run_bale, *argv, cwd=second, env=env)

    # A pin of the interpreter and an edit of the lock are read by sync.
    (second / ".python-version").write_text(f"{sys.version_info[0]}.{sys.version_info[1]}\n")
    assert not _told_early(run_bale, *argv, cwd=second, env=env)
    (second / ".python-version").unlink()
    lock = second / "pylock.toml"
    lock.write_text(lock.read_text() + "\n# edited\n")
    assert not _told_early(run_bale, *argv, cwd=second, env=env)

    # A new dependency: the full sync relocks and installs it.
    (second / "pyproject.toml").write_text(PYPROJECT.replace('["lib"]', '["lib", "extra-pkg"]'))
    assert not _told_early(run_bale, *argv, cwd=second, env=env)
    added = _ok(run_bale(*argv, cwd=second, env=env))
    assert "+ extra-pkg==1.0" in added.stderr


def _probe_run(run_bale: BaleRunner, *argv: str, cwd: Path, env: dict[str, str]) -> str:
    """What the fast path does with ``bale run ARGV``: the command's output, or "None"."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], cwd=cwd, env=run_bale.env(env), capture_output=True, text=True
    )
    return done.stdout.strip()


def test_run_execs_from_the_stamp_and_leaves_tasks_and_changes_to_the_full_command(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("extra-pkg", "1.0")])
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        PYPROJECT + '\n[tool.bale.tasks]\nhello = "python -c \\"print(41 + 1)\\""\n'
    )
    env = {"BALE_NO_PROGRESS": "1"}
    show = ("python", "-c", "import os, sys; print('ran', os.environ['VIRTUAL_ENV'] == sys.prefix)")
    first = _ok(run_bale("run", "-i", server.url, *show, cwd=root, env=env))
    assert first.stdout.strip() == "ran True"
    assert not (root / ".venv" / ".bale-noop-run").exists()  # it created the environment
    _ok(run_bale("run", "-i", server.url, *show, cwd=root, env=env))
    assert (root / ".venv" / ".bale-noop-run").is_file()
    # The stamp holds the options: any command runs from it, in the project's environment.
    assert _probe_run(run_bale, "run", "-i", server.url, *show, cwd=root, env=env) == "ran True"
    # A task is no executable: the fast path gives way and the full command runs the task.
    assert _probe_run(run_bale, "run", "-i", server.url, "hello", cwd=root, env=env) == "None"
    assert _ok(run_bale("run", "-i", server.url, "hello", cwd=root, env=env)).stdout.strip() == "42"
    # Options a stamp does not carry, and a script file, are the full command's.
    assert (
        _probe_run(run_bale, "run", "--with", "extra-pkg", "-i", server.url, *show, cwd=root, env=env)
        == "None"
    )
    (root / "script.py").write_text("print('script')\n")
    assert _probe_run(run_bale, "run", "-i", server.url, "script.py", cwd=root, env=env) == "None"
    # A new dependency: the full command syncs it before running.
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace('["lib"]', '["lib", "extra-pkg"]')
    )
    assert _probe_run(run_bale, "run", "-i", server.url, *show, cwd=root, env=env) == "None"
    check = ("python", "-c", "import extra_pkg; print('imported')")
    assert _ok(run_bale("run", "-i", server.url, *check, cwd=root, env=env)).stdout.strip() == "imported"


def test_the_stamp_keeps_no_credentials(make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    venv = tmp_path / "venv"
    _ok(run_bale("venv", str(venv)))
    index = server.url.replace("http://", "http://someone:s3cret-word@")
    argv = ("pip", "install", "lib==1.0", "--python", str(venv), "-i", index)
    env = {"BALE_EXTRA_INDEX_URL": index}
    _ok(run_bale(*argv, cwd=tmp_path, env=env))
    _ok(run_bale(*argv, cwd=tmp_path, env=env))
    stamp = (venv / ".bale-noop").read_bytes()
    assert b"someone" not in stamp and b"s3cret-word" not in stamp
    assert _told_early(run_bale, *argv, cwd=tmp_path, env=env)
