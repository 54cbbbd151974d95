"""Replayed resolutions: a repeated ``bale pip compile`` or ``bale lock`` gives back its stored answer
only while the command line, every file it read and every index page it read are unchanged."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from tests.support.index import build_simple_tree

# The target named on the command line: with an interpreter to discover, the answer would depend on
# which one the search finds, and is then not replayed.
TARGET = ("--python-version", "3.11")
PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["app"]\n'


def _universe(make_pkg) -> list[Path]:
    return [make_pkg("app", "1.0", requires_dist=["lib>=1"]), make_pkg("lib", "1.0"), make_pkg("lib", "2.0")]


def _forget_all_but_replays(run_bale) -> None:
    """Without the memo and the metadata, only a replay answers with no request at all."""
    for bucket in ("resolutions-v1", "metadata-v1"):
        shutil.rmtree(run_bale.cache_dir / bucket, ignore_errors=True)


def test_a_repeated_compile_is_replayed_until_an_input_changes(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    args = ("pip", "compile", "requirements.in", "-i", server.url, "--no-header", *TARGET)
    first = run_bale(*args)
    assert first.code == 0, first
    assert first.stdout == "app==1.0\n    # via -r requirements.in\nlib==2.0\n    # via app\n"
    assert len(list((run_bale.cache_dir / "replays-v1").iterdir())) == 1

    _forget_all_but_replays(run_bale)
    server.requests.clear()
    again = run_bale(*args)
    assert (again.code, again.stdout) == (0, first.stdout)
    assert "Resolved 2 packages in" in again.stderr
    assert server.requests == []

    # BALE_NO_MEMO turns replays off too.
    off = run_bale(*args, env={"BALE_NO_MEMO": "1"})
    assert off.stdout == first.stdout
    assert any(r.path.endswith(".metadata") for r in server.requests)

    # Another command line is another answer.
    assert "lib==1.0" in run_bale(*args, "--resolution", "lowest").stdout

    # An edited input is read again.
    (tmp_path / "requirements.in").write_text("app\nlib<2\n")
    edited = run_bale(*args)
    assert edited.code == 0, edited
    assert "lib==1.0" in edited.stdout

    # A page cache entry replaced (here: a new release fetched after the page went stale) is a
    # different page: the answer is computed again and sees the release.
    (tmp_path / "requirements.in").write_text("app\n")
    assert "lib==2.0" in run_bale(*args).stdout
    build_simple_tree([make_pkg("lib", "3.0")], server.root)
    shutil.rmtree(run_bale.cache_dir / "simple-v1")
    assert "lib==3.0" in run_bale(*args).stdout


def test_the_output_file_is_a_preference_the_replay_honours(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    out = tmp_path / "requirements.txt"
    args = (
        "pip",
        "compile",
        "requirements.in",
        "-o",
        "requirements.txt",
        "-i",
        server.url,
        "--no-header",
        *TARGET,
    )
    assert run_bale(*args).code == 0
    assert "lib==2.0" in out.read_text()

    # Replayed with the output as written, and with no output at all (as on the first run).
    _forget_all_but_replays(run_bale)
    server.requests.clear()
    assert run_bale(*args).code == 0
    out.unlink()
    replayed = run_bale(*args)
    assert replayed.code == 0, replayed
    assert "lib==2.0" in out.read_text()
    assert server.requests == []

    # A pin the user wrote into the output is kept, as pip-compile does: no replay of the old answer.
    out.write_text("app==1.0\nlib==1.0\n")
    kept = run_bale(*args)
    assert kept.code == 0, kept
    assert "lib==1.0" in out.read_text()


def test_a_nested_include_pins_the_replay_to_its_directory(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    for name, extra in (("one", ""), ("two", "lib<2\n")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "requirements.in").write_text("-r base.in\n")
        (folder / "base.in").write_text("app\n" + extra)
    args = ("pip", "compile", "requirements.in", "-i", server.url, "--no-header", *TARGET)
    assert "lib==2.0" in run_bale(*args, cwd=tmp_path / "one").stdout
    # Same command line, same top file, another included file: not the first folder's answer.
    assert "lib==1.0" in run_bale(*args, cwd=tmp_path / "two").stdout
    assert "lib==2.0" in run_bale(*args, cwd=tmp_path / "one").stdout


def test_answers_that_rest_on_more_than_files_are_not_replayed(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    files = _universe(make_pkg)
    server = static_index(
        files, upload_times={f.name: datetime(2026, 1, 1, tzinfo=timezone.utc) for f in files}
    )
    (tmp_path / "requirements.in").write_text("app\n")
    base = ("pip", "compile", "-i", server.url, "--no-header", *TARGET)
    assert run_bale(*base, "-", input="app\n").code == 0  # standard input
    assert run_bale(*base, "requirements.in", "--exclude-newer", "1 day").code == 0  # moves with the clock
    assert run_bale(*base, "requirements.in", "-v").code == 0  # shows the resolver's work
    (tmp_path / "env.in").write_text("app\n# ${HOME}\n")
    assert run_bale(*base, "env.in").code == 0  # ${VAR} expansion
    assert not (run_bale.cache_dir / "replays-v1").exists()


def test_warnings_are_shown_again(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    files = [make_pkg("lib", "1.0"), make_pkg("lib", "2.0")]
    server = static_index(files, yanked={files[1].name: "broken build"})
    (tmp_path / "requirements.in").write_text("lib==2.0\n")
    args = ("pip", "compile", "requirements.in", "-i", server.url, "--no-header", *TARGET)
    first = run_bale(*args)
    assert first.code == 0, first
    assert "broken build" in first.stderr
    _forget_all_but_replays(run_bale)
    server.requests.clear()
    again = run_bale(*args)
    assert "broken build" in again.stderr
    assert server.requests == []


def test_a_repeated_lock_is_replayed_in_a_new_checkout_until_pyproject_changes(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    texts = []
    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        (root / "pyproject.toml").write_text(PYPROJECT)
        if name == "two":
            _forget_all_but_replays(run_bale)
            server.requests.clear()
        result = run_bale("lock", "-i", server.url, cwd=root)
        assert result.code == 0, result
        assert "Resolved 2 packages" in result.stderr
        texts.append((root / "pylock.toml").read_text())
    assert texts[0] == texts[1]
    assert server.requests == []

    # Run again where the lock now exists: the same answer, the file left alone.
    lock = tmp_path / "two" / "pylock.toml"
    before = lock.stat().st_mtime_ns
    assert run_bale("lock", "-i", server.url, cwd=tmp_path / "two").code == 0
    assert lock.stat().st_mtime_ns == before
    assert server.requests == []

    # A changed pyproject.toml is locked again.
    (tmp_path / "two" / "pyproject.toml").write_text(PYPROJECT.replace('["app"]', '["app", "lib<2"]'))
    relocked = run_bale("lock", "-i", server.url, cwd=tmp_path / "two")
    assert relocked.code == 0, relocked
    assert 'version = "1.0"' in lock.read_text() and 'version = "2.0"' not in lock.read_text()


def test_a_lock_run_from_a_subfolder_or_under_a_workspace_is_not_replayed_from_elsewhere(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = tmp_path / "plain" / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    assert run_bale("lock", "-i", server.url, cwd=root / "sub").code == 0
    assert not (run_bale.cache_dir / "replays-v1").exists()

    # Recorded at a project's root; then the same project appears, as deep, under a workspace root that
    # names it as a member: that is another project (its lock lives at the workspace root).
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    assert (run_bale.cache_dir / "replays-v1").exists()
    ws = tmp_path / "ws"
    member = ws / "proj"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text(PYPROJECT)
    (ws / "pyproject.toml").write_text('[tool.bale.workspace]\nmembers = ["proj"]\n')
    result = run_bale("lock", "-i", server.url, cwd=member)
    assert result.code == 0, result
    assert (ws / "pylock.toml").is_file()
    assert not (member / "pylock.toml").exists()


def test_a_replayed_compile_writes_nothing_when_the_cache_dir_is_elsewhere(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    other = tmp_path / "other-cache"
    result = run_bale(
        "pip", "compile", "requirements.in", "-i", server.url, "--cache-dir", os.fspath(other), *TARGET
    )
    assert result.code == 0, result
    assert not (other / "replays-v1").exists()
    assert not (run_bale.cache_dir / "replays-v1").exists()


def test_a_compile_for_a_discovered_interpreter_is_not_replayed(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    assert run_bale("pip", "compile", "requirements.in", "-i", server.url).code == 0
    assert not (run_bale.cache_dir / "replays-v1").exists()


def test_a_file_named_by_absolute_path_is_shown_as_a_fresh_run_would(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "one").mkdir()
    source = tmp_path / "one" / "requirements.in"
    source.write_text("app\n")
    args = ("pip", "compile", os.fspath(source), "-i", server.url, "--no-header", *TARGET)
    (tmp_path / "elsewhere").mkdir()
    for _ in range(2):  # computed, then replayed
        assert f"# via -r {source}" in run_bale(*args, cwd=tmp_path / "elsewhere").stdout
    # From a folder holding the file, the output names it relative to that folder.
    assert "# via -r requirements.in" in run_bale(*args, cwd=tmp_path / "one").stdout
    assert "# via -r one/requirements.in" in run_bale(*args, cwd=tmp_path).stdout
