"""A command line without traps: exact option names, uv's wording for mistakes, uv's spellings, global options
before or after the command, and help that documents every command and option."""

from __future__ import annotations

import argparse
import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
from tests.cli.conftest import make_stdlib_venv
from tests.support.cli import scrub

from bale.cli.main import build_parser

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = ["alpha"]

[project.optional-dependencies]
dev = ["extra-pkg"]
"""


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(PYPROJECT.format(major=major, minor=minor))
    return root


def _index(make_pkg, file_index) -> str:
    return file_index(
        [
            make_pkg("alpha", "1.0"),
            make_pkg("beta", "1.0"),
            make_pkg("beta", "2.0"),
            make_pkg("extra-pkg", "1.0"),
        ]
    )


def _site_packages(root: Path) -> list[str]:
    site = next((root / ".venv" / "lib").glob("python3*/site-packages"))
    return sorted(p.name for p in site.glob("*.dist-info"))


def _usage_error(message: str, command: str, usage: str) -> str:
    return f"error: {message}\n  usage: {usage}\nhint: run `{command} --help` for the options\n"


# --- every parser, walked --------------------------------------------------------------------------------


def _parsers() -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the full command line, with the words that select it (``("pip", "install")``)."""
    pending: list[tuple[tuple[str, ...], argparse.ArgumentParser]] = [((), build_parser())]
    while pending:
        words, parser = pending.pop()
        yield words, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(((*words, name), sub) for name, sub in action.choices.items())


def _command_names(words: tuple[str, ...]) -> list[str]:
    parser = dict(_parsers())[words]
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def _required_positionals(parser: argparse.ArgumentParser) -> list[str]:
    return [
        "x"
        for action in parser._actions
        if not action.option_strings
        and not isinstance(action, argparse._SubParsersAction)
        and action.nargs not in ("?", "*", argparse.REMAINDER)
    ]


def test_the_walk_reaches_every_command() -> None:
    names = {" ".join(words) for words, _ in _parsers()}
    assert {"", "sync", "add", "pip install", "pip compile", "cache clean", "python find"} <= names
    assert len(names) > 30


def test_no_long_option_is_taken_for_an_abbreviation_of_another(capsys: pytest.CaptureFixture[str]) -> None:
    checked = 0
    whole = build_parser()
    for words, parser in _parsers():
        options = {s for action in parser._actions for s in action.option_strings}
        for option in sorted(o for o in options if o.startswith("--")):
            abbreviation = option[:-1]
            if abbreviation in options or len(abbreviation) < 4:
                continue
            argv = [*words, abbreviation, *_required_positionals(parser)]
            with pytest.raises(SystemExit) as stopped:
                whole.parse_args(argv)
            err = capsys.readouterr().err
            assert stopped.value.code == 2, argv
            assert err.startswith(f"error: unexpected argument '{abbreviation}' found"), (argv, err)
            checked += 1
    assert checked > 300  # every command's every long option, not a sample


def test_every_command_says_what_it_does_shows_an_example_and_documents_every_option() -> None:
    undocumented = []
    for words, parser in _parsers():
        command = " ".join(("bale", *words))
        if not (parser.description or "").strip():
            undocumented.append(f"{command}: no description")
        if "example:\n  bale" not in (parser.epilog or ""):
            undocumented.append(f"{command}: no example")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                undocumented.extend(
                    f"{command} {choice.dest}: no help"
                    for choice in action._choices_actions
                    if not choice.help
                )
            elif action.help != argparse.SUPPRESS and not (action.help or "").strip():
                undocumented.append(f"{command} {'/'.join(action.option_strings) or action.dest}: no help")
    assert undocumented == []


def test_help_shows_the_description_example_and_global_options(run_bale) -> None:
    helped = run_bale("add", "--help")
    assert helped.code == 0, helped
    assert helped.stdout.startswith(
        "usage: bale add [OPTIONS] PACKAGE...\n\nAdd dependencies to pyproject.toml"
    )
    assert "example:\n  bale add 'requests>=2.31' httpx\n  bale add --dev pytest ruff\n" in helped.stdout
    for option in (
        "--dev",
        "--optional EXTRA",
        "--directory DIR",
        "--project DIR",
        "--color WHEN",
        "--no-progress",
    ):
        assert option in helped.stdout


# --- mistakes: uv's wording, a did-you-mean, the usage of the command at fault, exit 2 ------------------


@pytest.mark.parametrize(
    ("args", "message", "command", "usage"),
    [
        (
            ("sync", "--frozn"),
            "unexpected argument '--frozn' found; did you mean '--frozen'?",
            "bale sync",
            "bale sync [OPTIONS]",
        ),
        (
            ("pip", "install", "--extra-ind", "https://example.invalid/simple", "alpha"),
            "unexpected argument '--extra-ind' found; did you mean '--extra-index-url'?",
            "bale pip install",
            "bale pip install [OPTIONS] [PACKAGE]...",
        ),
        (
            ("pip", "install", "--extra", "dev", "alpha"),
            "unexpected argument '--extra' found; did you mean '--extra-index-url'?",
            "bale pip install",
            "bale pip install [OPTIONS] [PACKAGE]...",
        ),
        (
            ("pip", "isntall", "x"),
            "unrecognized subcommand 'isntall'; did you mean 'install'?\n  commands: {commands}",
            "bale pip",
            "bale pip [OPTIONS] COMMAND",
        ),
        (
            ("lock", "--resolution", "lowst"),
            "invalid value 'lowst' for '--resolution <RESOLUTION>'; did you mean 'lowest'?\n"
            "  possible values: highest, lowest, lowest-direct",
            "bale lock",
            "bale lock [OPTIONS]",
        ),
        (
            ("add", "alpha", "--dev", "--frozn", "beta"),
            "unexpected argument '--frozn' found; did you mean '--frozen'?",
            "bale add",
            "bale add [OPTIONS] PACKAGE...",
        ),
        (("sync", "stray"), "unexpected argument 'stray' found", "bale sync", "bale sync [OPTIONS]"),
        (
            ("--frozen", "sync"),
            "unexpected argument '--frozen' found; it is an option of `bale sync`: put it after the command",
            "bale",
            "bale [OPTIONS] COMMAND",
        ),
        (
            ("sync", "--extra"),
            "a value is required for '--extra <EXTRA>' but none was supplied",
            "bale sync",
            "bale sync [OPTIONS]",
        ),
        (
            ("install", "alpha"),
            "unrecognized subcommand 'install'; did you mean 'pip install'?\n  commands: {commands}",
            "bale",
            "bale [OPTIONS] COMMAND",
        ),
    ],
)
def test_a_mistake_is_named_with_a_suggestion_and_the_commands_usage(
    run_bale, tmp_path: Path, args: tuple[str, ...], message: str, command: str, usage: str
) -> None:
    root = _project(tmp_path / "demo")
    result = run_bale(*args, cwd=root)
    assert (result.code, result.stdout) == (2, ""), result
    if "{commands}" in message:  # other commands may come: the list of valid ones is the parser's
        message = message.format(commands=", ".join(_command_names(tuple(command.split()[1:]))))
    assert result.stderr == _usage_error(message, command, usage)
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]  # nothing locked, no .venv


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sync", "--locked", "--frozen"), "the argument '--locked' cannot be used with '--frozen'"),
        (("sync", "--frozen", "--locked"), "the argument '--frozen' cannot be used with '--locked'"),
        (("run", "--locked", "--frozen", "python"), "the argument '--locked' cannot be used with '--frozen'"),
        (("sync", "--frozen", "-U"), "the argument '--frozen' cannot be used with '--upgrade'"),
        (
            ("add", "--dev", "--optional", "docs", "a"),
            "the argument '--dev' cannot be used with '--optional <EXTRA>'",
        ),
        (
            ("remove", "a", "--optional", "docs", "--dev"),
            "the argument '--optional <EXTRA>' cannot be used with '--dev'",
        ),
        (("add", "--dev", "--group", "g", "a"), "the argument '--dev' cannot be used with '--group <GROUP>'"),
        (
            ("sync", "--all-extras", "--extra", "x"),
            "the argument '--all-extras' cannot be used with '--extra <EXTRA>'",
        ),
        (
            ("export", "--only-group", "g", "--group", "h"),
            "the argument '--only-group <GROUP>' cannot be used with '--group <GROUP>'",
        ),
        (
            ("tree", "--all-groups", "--only-group", "g"),
            "the argument '--all-groups' cannot be used with '--only-group <GROUP>'",
        ),
        (
            ("sync", "--all-packages", "--package", "p"),
            "the argument '--all-packages' cannot be used with '--package <NAME>'",
        ),
        (
            ("add", "--tag", "v1", "--branch", "main", "git+https://x.invalid/r"),
            "the argument '--tag <TAG>' cannot be used with '--branch <BRANCH>'",
        ),
        (("init", "--app", "--lib"), "the argument '--app' cannot be used with '--lib'"),
        (
            ("pip", "compile", "--universal", "--python-platform", "linux", "r.in"),
            "the argument '--universal' cannot be used with '--python-platform <PYTHON_PLATFORM>'",
        ),
    ],
)
def test_options_that_conflict_are_refused_in_uvs_words(
    run_bale, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    root = _project(tmp_path / "demo")
    result = run_bale(*args, cwd=root)
    words = args[:2] if args[0] == "pip" else args[:1]
    command = " ".join(("bale", *words))
    usage = {"run": " [COMMAND]...", "add": " PACKAGE...", "remove": " PACKAGE...", "init": " [PATH]"}
    shown = f"{command} [OPTIONS]{usage.get(args[0], '')}" + (
        " SRC_FILE..." if args[:2] == ("pip", "compile") else ""
    )
    assert (result.code, result.stdout) == (2, ""), result
    assert result.stderr == _usage_error(message, command, shown)
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]


def test_options_uv_allows_together_are_accepted() -> None:
    parser = build_parser()
    parsed = parser.parse_args(["sync", "--no-dev", "--only-group", "test"])
    assert (parsed.no_dev, parsed.only_group) == (True, ["test"])
    parsed = parser.parse_args(["sync", "--no-dev", "--all-groups", "--extra", "a", "--extra", "b"])
    assert (parsed.no_dev, parsed.all_groups, parsed.extra) == (True, True, ["a", "b"])


# --- uv's spellings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uv_spelling", "bale_spelling"),
    [
        (["pip", "install", "--constraints", "c.txt"], ["pip", "install", "-c", "c.txt"]),
        (
            ["pip", "sync", "--constraints", "c.txt", "r.txt"],
            ["pip", "sync", "--constraint", "c.txt", "r.txt"],
        ),
        (
            ["pip", "compile", "--constraints", "c.txt", "r.in"],
            ["pip", "compile", "--constraint", "c.txt", "r.in"],
        ),
        (["pip", "install", "--requirements", "r.txt"], ["pip", "install", "-r", "r.txt"]),
        (["pip", "uninstall", "--requirements", "r.txt"], ["pip", "uninstall", "--requirement", "r.txt"]),
        (["pip", "download", "--requirements", "r.txt"], ["pip", "download", "-r", "r.txt"]),
        (
            ["pip", "compile", "--overrides", "o.txt", "r.in"],
            ["pip", "compile", "--override", "o.txt", "r.in"],
        ),
        (["pip", "install", "--build-constraints", "b.txt"], ["pip", "install", "-b", "b.txt"]),
        (["sync", "--build-constraints", "b.txt"], ["sync", "--build-constraint", "b.txt"]),
        (["lock", "--locked"], ["lock", "--check"]),
        (["sync", "--colour", "never"], ["sync", "--color", "never"]),
    ],
)
def test_uvs_spellings_mean_the_same(uv_spelling: list[str], bale_spelling: list[str]) -> None:
    assert build_parser().parse_args(uv_spelling) == build_parser().parse_args(bale_spelling)


def test_pip_install_takes_uvs_requirements_and_constraints_spellings(
    make_pkg, file_index, run_bale, tmp_path: Path
) -> None:
    index = _index(make_pkg, file_index)
    venv = make_stdlib_venv(tmp_path / "venv")
    (tmp_path / "r.txt").write_text("beta\n")
    (tmp_path / "c.txt").write_text("beta<2\n")
    result = run_bale(
        "pip",
        "install",
        "--requirements",
        "r.txt",
        "--constraints",
        "c.txt",
        "-i",
        index,
        "--python",
        venv.root,
    )
    assert result.code == 0, result
    assert venv.dist_infos() == ["beta-1.0.dist-info"]


def test_lock_locked_checks_the_lock_like_uv_lock_locked(
    make_pkg, file_index, run_bale, tmp_path: Path
) -> None:
    index = _index(make_pkg, file_index)
    root = _project(tmp_path / "demo")
    assert run_bale("lock", "-i", index, cwd=root).code == 0
    fresh = run_bale("lock", "--locked", cwd=root)
    assert (fresh.code, fresh.stderr) == (0, f"{root / 'pylock.toml'} is up to date\n"), fresh
    before = (root / "pylock.toml").read_text()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["alpha"]', '["alpha", "beta"]'))
    stale = run_bale("lock", "--locked", "-i", index, cwd=root)
    assert stale.code == 1, stale
    assert scrub(stale.stderr, {root: "[ROOT]"}) == (
        "error: The lock file [ROOT]/pylock.toml needs to be updated\n"
        "  project.dependencies: added beta\n"
        "hint: run `bale lock`\n"
    )
    assert (root / "pylock.toml").read_text() == before


# --- add A --dev B ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("alpha", "--dev", "beta"), ("--dev", "alpha", "beta")])
def test_dev_is_a_flag_wherever_it_stands(
    make_pkg, file_index, run_bale, tmp_path: Path, args: tuple[str, ...]
) -> None:
    index = _index(make_pkg, file_index)
    root = _project(tmp_path / "demo")
    result = run_bale("add", *args, "-i", index, cwd=root)
    assert result.code == 0, result
    text = (root / "pyproject.toml").read_text()
    assert text.endswith('\n[dependency-groups]\ndev = [\n    "alpha>=1.0",\n    "beta>=2.0",\n]\n'), text
    assert 'dependencies = ["alpha"]' in text  # the project's own dependencies are untouched
    assert _site_packages(root) == ["alpha-1.0.dist-info", "beta-2.0.dist-info"]


# --- global options ---------------------------------------------------------------------------------------


def test_extra_means_extra_and_directory_works_before_the_command(
    make_pkg, file_index, run_bale, tmp_path: Path
) -> None:
    index = _index(make_pkg, file_index)
    root = _project(tmp_path / "demo")
    # The requirements file and the output are relative to --directory, as if bale was started there.
    (root / "requirements.in").write_text("beta<2\n")
    compiled = run_bale(
        "--directory", "demo", "pip", "compile", "requirements.in", "-o", "out.txt", "-i", index, cwd=tmp_path
    )
    assert compiled.code == 0, compiled
    assert "beta==1.0" in (root / "out.txt").read_text()
    assert not (tmp_path / "out.txt").exists()
    synced = run_bale("--directory", "demo", "sync", "--extra", "dev", "-i", index, cwd=tmp_path)
    assert synced.code == 0, synced
    assert _site_packages(root) == ["alpha-1.0.dist-info", "extra_pkg-1.0.dist-info"]


def test_directory_and_project_work_after_the_command(make_pkg, file_index, run_bale, tmp_path: Path) -> None:
    index = _index(make_pkg, file_index)
    root = _project(tmp_path / "demo")
    synced = run_bale("sync", "--extra", "dev", "-i", index, "--directory", "demo", cwd=tmp_path)
    assert synced.code == 0, synced
    # --project finds the project in DIR; other relative paths (here the export's output) stay relative
    # to the working directory, and the sync is exact: the extra is gone without --extra.
    synced = run_bale("sync", "--project", "demo", "-i", index, cwd=tmp_path)
    assert synced.code == 0, synced
    assert _site_packages(root) == ["alpha-1.0.dist-info"]
    exported = run_bale(
        "export", "--frozen", "--project", "demo", "-o", "reqs.txt", "--no-hashes", cwd=tmp_path
    )
    assert exported.code == 0, exported
    assert "alpha==1.0" in (tmp_path / "reqs.txt").read_text()
    assert not (root / "reqs.txt").exists()
    before = run_bale("--project", "demo", "lock", "--locked", cwd=tmp_path)
    assert before.code == 0, before


def test_directory_and_project_that_do_not_exist_are_errors(run_bale, tmp_path: Path) -> None:
    moved = run_bale("--directory", "nowhere", "sync", cwd=tmp_path)
    assert (moved.code, moved.stderr) == (
        1,
        "error: The directory nowhere given to --directory does not exist\n",
    )
    project = run_bale("sync", "--project", "nowhere", cwd=tmp_path)
    assert (project.code, project.stderr) == (
        1,
        "error: The project directory nowhere does not exist\nhint: --project names a project's folder\n",
    )
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / ".venv").exists()


def test_config_file_options_are_accepted_and_a_missing_file_is_an_error(run_bale, tmp_path: Path) -> None:
    (tmp_path / "bale.toml").write_text("")
    for args in (("--config-file", "bale.toml", "cache", "dir"), ("cache", "dir", "--no-config")):
        result = run_bale(*args, cwd=tmp_path)
        assert (result.code, result.stdout) == (0, f"{run_bale.cache_dir}\n"), result
    missing = run_bale("cache", "dir", "--config-file", "missing.toml", cwd=tmp_path)
    assert (missing.code, missing.stdout, missing.stderr) == (
        1,
        "",
        "error: The config file missing.toml does not exist\nhint: --config-file names a bale.toml\n",
    )


def test_native_tls_is_accepted_anywhere(run_bale, tmp_path: Path) -> None:
    for args in (("--native-tls", "cache", "dir"), ("cache", "dir", "--native-tls")):
        result = run_bale(*args, cwd=tmp_path)
        assert (result.code, result.stdout) == (0, f"{run_bale.cache_dir}\n"), result


def test_color_always_and_never_override_the_environment(run_bale, tmp_path: Path) -> None:
    args = ("sync", "--project", "nowhere")
    always = run_bale("--color", "always", *args, cwd=tmp_path)  # the test environment sets NO_COLOR=1
    assert always.stderr.startswith("\x1b[1;31merror\x1b[0m: The project directory nowhere"), always
    never = run_bale(*args, "--color", "never", cwd=tmp_path, env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    assert never.stderr.startswith("error: The project directory nowhere"), never
    auto = run_bale(*args, "--color", "auto", cwd=tmp_path, env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    assert auto.stderr.startswith("\x1b[1;31merror"), auto


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "bale", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=terminal,
        timeout=60,
        check=False,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    return done.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_no_progress_draws_no_live_line_on_a_terminal(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(
        [make_pkg("big", "1.0", files={"big/__init__.py": "x = 1\n", "big/blob.bin": os.urandom(600_000)})]
    )
    shown = {}
    for label, extra in (("plain", []), ("no-progress", ["--no-progress"])):
        venv = make_stdlib_venv(tmp_path / label)
        env = run_bale.env({"NO_COLOR": None, "CI": None, "BALE_CACHE_DIR": str(tmp_path / f"cache-{label}")})
        args = ["pip", "install", "--no-deps", "big", "-i", server.url, "--python", str(venv.root), *extra]
        code, shown[label] = _on_a_terminal(args, env)
        assert code == 0, shown[label]
        assert re.sub(r"\x1b\[[0-9;]*m", "", shown[label]).endswith(" + big==1.0\r\n"), shown[label]
    assert "Downloading 1" in shown["plain"] and "\x1b[2K" in shown["plain"]  # what --no-progress turns off
    assert "Downloading" not in shown["no-progress"] and "\x1b[2K" not in shown["no-progress"]
    assert "\x1b[32m+\x1b[0m" in shown["no-progress"]  # still a terminal: colour stays


def test_build_finds_the_project_through_project_but_writes_where_o_says(
    run_bale, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backends: Path = request.getfixturevalue("wheelhouse")  # real build backends; skips without them
    project = tmp_path / "eggs"
    (project / "eggs").mkdir(parents=True)
    (project / "eggs" / "__init__.py").write_text("VALUE = 1\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "eggs"\nversion = "2.0"\ndescription = "Eggs for tests"\n'
    )
    args = (
        "build",
        "--project",
        "eggs",
        "--wheel",
        "-o",
        "out",
        "--no-index",
        "-f",
        backends,
        "-p",
        sys.executable,
    )
    built = run_bale(*args, cwd=tmp_path)
    assert built.code == 0, built
    assert built.stderr.splitlines()[-1] == "Successfully built out/eggs-2.0-py2.py3-none-any.whl"
    assert (tmp_path / "out" / "eggs-2.0-py2.py3-none-any.whl").is_file()
    assert not (project / "out").exists() and not (project / "dist").exists()
