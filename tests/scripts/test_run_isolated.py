"""`bale run --isolated`, `--no-project`, `--directory` and `--project`, as uv has them."""

from __future__ import annotations

from pathlib import Path

from tests.scripts.projects import demo_project

SHOW = "import lib, os, sys; print('lib', lib.__version__, sys.prefix, os.getcwd())"


def _universe(make_pkg) -> list[Path]:
    return [make_pkg("lib", "1.0"), make_pkg("lib", "2.0"), make_pkg("tool", "1.0")]


def _listing(root: Path) -> list[str]:
    # Bytecode aside: running the environment's Python compiles what it imports (when writing it is on).
    return sorted(
        str(p.relative_to(root)) for p in (root / ".venv").rglob("*") if "__pycache__" not in p.parts
    )


def test_isolated_runs_in_a_fresh_environment_from_the_lock(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = demo_project(tmp_path)
    first = run_bale("run", "--isolated", "-i", server.url, "python", "-c", SHOW, cwd=root)
    assert first.code == 0, first
    lib, version, prefix, cwd = first.stdout.split()
    assert (lib, version, cwd) == ("lib", "1.0", str(root))
    assert not (root / ".venv").exists()  # the project's environment is not made
    assert (root / "pylock.toml").is_file()  # the lock is, as sync makes it
    assert not Path(prefix).exists()  # the fresh environment is removed after the run

    # A project environment with something extra in it: the isolated run does not see it, nor change it.
    assert run_bale("sync", "-i", server.url, cwd=root).code == 0
    extra = run_bale("pip", "install", "--python", root / ".venv", "-i", server.url, "tool", cwd=root)
    assert extra.code == 0, extra
    before = _listing(root)
    probe = "import tool"
    shared = run_bale("run", "--no-sync", "python", "-c", probe, cwd=root)  # (a sync would remove it)
    assert shared.code == 0, shared
    fresh = run_bale("run", "--isolated", "-i", server.url, "python", "-c", probe, cwd=root)
    assert fresh.code == 1 and "No module named 'tool'" in fresh.stderr, fresh
    assert _listing(root) == before

    # --with goes into the fresh environment too; the locked lib stays; the exit code passes through.
    code = "import lib, tool, sys; print(lib.__version__, tool.__version__); sys.exit(3)"
    withed = run_bale("run", "--isolated", "-i", server.url, "--with", "tool", "python", "-c", code, cwd=root)
    assert withed.code == 3, withed
    assert withed.stdout == "1.0 1.0\n"
    refused = run_bale("run", "--isolated", "--no-sync", "python", "-c", "1", cwd=root)
    assert refused.code == 1 and "--no-sync cannot apply" in refused.stderr, refused
    missing = run_bale("run", "--isolated", "-i", server.url, "no-such-command", cwd=root)
    assert missing.code == 1 and "Cannot run 'no-such-command': no such command" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_no_project_ignores_the_project(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(_universe(make_pkg))
    root = demo_project(tmp_path)
    result = run_bale("run", "--no-project", "-i", server.url, "python", "-c", "import lib", cwd=root)
    assert result.code == 1 and "No module named 'lib'" in result.stderr, result
    assert not (root / ".venv").exists() and not (root / "pylock.toml").exists()


def test_directory_moves_everything_and_project_only_the_project(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = demo_project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "show.py").write_text(f"{SHOW.replace('; ', chr(10))}\n")
    # --directory: as if started in demo: the project found there, the command run there.
    moved = run_bale("--directory", root, "run", "-i", server.url, "python", "-c", SHOW, cwd=elsewhere)
    assert moved.code == 0, moved
    assert moved.stdout.split()[1:] == ["1.0", str(root / ".venv"), str(root)]
    # --project: demo's environment, but the command runs here and relative paths stay relative to here.
    found = run_bale("run", "--project", root, "-i", server.url, "python", "show.py", cwd=elsewhere)
    assert found.code == 0, found
    assert found.stdout.split()[1:] == ["1.0", str(root / ".venv"), str(elsewhere)]
    # Without either, there is no project in elsewhere: the bare interpreter, no lib.
    bare = run_bale("run", "-i", server.url, "python", "show.py", cwd=elsewhere)
    assert bare.code == 1 and "No module named 'lib'" in bare.stderr, bare
    wrong = run_bale("run", "--project", tmp_path / "nowhere", "python", "-c", "1", cwd=elsewhere)
    assert wrong.code == 1 and f"The project directory {tmp_path / 'nowhere'} does not exist" in wrong.stderr
    gone = run_bale("--directory", tmp_path / "nowhere", "run", "python", "-c", "1", cwd=elsewhere)
    assert gone.code == 1 and "given to --directory does not exist" in gone.stderr, gone
