"""User and system bale.toml files (and --config-file), through the CLI: what they set, what beats
them, how their mistakes are reported, and ``bale config show``.

Every test points HOME, XDG_CONFIG_HOME and XDG_CONFIG_DIRS into its tmp_path: never the machine's
own configuration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tests.cli.conftest import Venv
from tests.support.cli import BaleRunner, scrub

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class Configs:
    """Where a test's user and system bale.toml live, and the environment that makes bale see them."""

    def __init__(self, runner: BaleRunner, tmp_path: Path) -> None:
        self.user = runner.home / "home" / ".config" / "bale" / "bale.toml"
        self.system_dir = tmp_path / "xdg-system"
        self.system = self.system_dir / "bale" / "bale.toml"
        self.env: dict[str, str | None] = {"XDG_CONFIG_DIRS": str(self.system_dir)}

    def write_user(self, text: str) -> Path:
        self.user.parent.mkdir(parents=True, exist_ok=True)
        self.user.write_text(text)
        return self.user

    def write_system(self, text: str) -> Path:
        self.system.parent.mkdir(parents=True, exist_ok=True)
        self.system.write_text(text)
        return self.system


@pytest.fixture
def configs(run_bale: BaleRunner, tmp_path: Path) -> Configs:
    return Configs(run_bale, tmp_path)


def _pins(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line and not line.startswith(("#", " "))]


# ---------------------------------------------------------------------------------------------- pip


def test_a_user_index_url_is_used_by_pip_install_and_the_environment_beats_it(
    make_pkg, static_index, bale, venv: Venv, configs: Configs
) -> None:
    ours = static_index([make_pkg("alpha", "1.0")])
    other = static_index([make_pkg("alpha", "2.0")])
    configs.write_user(f'index-url = "{ours.url}"\n')
    result = bale("pip", "install", "--no-deps", "alpha", env=configs.env)
    assert result.code == 0, result
    assert venv.imports("alpha") == "1.0"
    assert any(r.path.startswith("/simple/alpha") for r in ours.requests)
    # BALE_INDEX_URL (and so --index-url) wins over the file; the file's server is not asked again.
    asked = len(ours.requests)
    env = {**configs.env, "BALE_INDEX_URL": other.url}
    upgraded = bale("pip", "install", "--no-deps", "-U", "alpha", env=env)
    assert upgraded.code == 0, upgraded
    assert venv.imports("alpha") == "2.0"
    assert len(ours.requests) == asked


def test_no_config_and_bale_no_config_ignore_the_files(
    make_pkg, static_index, bale, venv: Venv, configs: Configs
) -> None:
    server = static_index([make_pkg("alpha", "1.0"), make_pkg("alpha", "2.0b1")])
    configs.write_user('prerelease = "allow"\n')
    with_file = bale("pip", "install", "--dry-run", "--no-deps", "alpha", "-i", server.url, env=configs.env)
    assert with_file.code == 0, with_file
    assert " + alpha==2.0b1" in with_file.stderr
    for args, env in (
        (("--no-config",), configs.env),
        ((), {**configs.env, "BALE_NO_CONFIG": "1"}),
    ):
        without = bale("pip", "install", *args, "--dry-run", "--no-deps", "alpha", "-i", server.url, env=env)
        assert without.code == 0, without
        assert " + alpha==1.0" in without.stderr, without
    assert venv.dist_infos() == []


def test_config_file_replaces_the_user_and_system_files(
    make_pkg, static_index, bale, venv: Venv, configs: Configs, tmp_path: Path
) -> None:
    server = static_index([make_pkg("alpha", "1.0"), make_pkg("alpha", "2.0b1")])
    configs.write_user('prerelease = "allow"\n')
    configs.write_system('prerelease = "allow"\n')
    named = tmp_path / "team.toml"
    named.write_text(f'index-url = "{server.url}"\n')
    for args, env in (
        (("--config-file", str(named)), configs.env),
        ((), {**configs.env, "BALE_CONFIG_FILE": str(named)}),
    ):
        result = bale("pip", "install", *args, "--dry-run", "--no-deps", "alpha", env=env)
        assert result.code == 0, result
        assert " + alpha==1.0" in result.stderr, result  # the user's prerelease = "allow" is not read
    missing = bale("pip", "install", "--config-file", str(tmp_path / "nope.toml"), "alpha", env=configs.env)
    assert missing.code == 1, missing
    assert f"error: The config file {tmp_path / 'nope.toml'} does not exist" in missing.stderr


def test_the_user_file_beats_the_system_file_and_arrays_are_joined(
    make_pkg, static_index, find_links_dir, bale, venv: Venv, configs: Configs
) -> None:
    server = static_index([make_pkg("alpha", "1.0"), make_pkg("alpha", "2.0b1")])
    links = find_links_dir([make_pkg("beta", "3.0")])
    configs.write_user(f'index-url = "{server.url}"\nprerelease = "allow"\n')
    configs.write_system(
        f'prerelease = "disallow"\nindex-url = "http://127.0.0.1:9/simple"\nfind-links = ["{links}"]\n'
    )
    result = bale("pip", "install", "--no-deps", "alpha", "beta", env=configs.env)
    assert result.code == 0, result
    assert venv.imports("alpha") == "2.0b1"
    assert venv.imports("beta") == "3.0"


def test_relative_find_links_are_relative_to_the_file(
    make_pkg, bale, venv: Venv, configs: Configs, run_bale: BaleRunner
) -> None:
    folder = configs.user.parent / "wheels"
    folder.mkdir(parents=True)
    wheel = make_pkg("gamma", "1.5")
    (folder / wheel.name).write_bytes(wheel.read_bytes())
    configs.write_user('find-links = ["wheels"]\nno-index = true\n')
    result = bale("pip", "install", "gamma", env=configs.env, cwd=run_bale.home / "elsewhere")
    assert result.code == 0, result
    assert venv.imports("gamma") == "1.5"


# ---------------------------------------------------------------------------------------------- projects

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = ["lib"]
"""


def _project(tmp_path: Path, extra: str = "") -> Path:
    root = tmp_path / "demo"
    root.mkdir(exist_ok=True)
    major, minor = sys.version_info[:2]
    text = PYPROJECT.replace("{major}", str(major)).replace("{minor}", str(minor))
    (root / "pyproject.toml").write_text(text + extra)
    return root


def _locked(root: Path) -> dict[str, dict[str, object]]:
    data = tomllib.loads((root / "pylock.toml").read_text())
    return {p["name"]: p for p in data["packages"]}


def test_the_project_beats_the_user_file_and_both_go_into_the_lock(
    make_pkg, static_index, run_bale: BaleRunner, configs: Configs, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0rc1")])
    configs.write_user(f'prerelease = "allow"\nindex-url = "{server.url}"\n')
    root = _project(tmp_path)
    allowed = run_bale("lock", cwd=root, env=configs.env)
    assert allowed.code == 0, allowed
    assert _locked(root)["lib"]["version"] == "2.0rc1"
    # The project's [tool.bale] value wins; the file's prerelease made the lock stale, so it is redone.
    _project(tmp_path, '\n[tool.bale]\nprerelease = "disallow"\n')
    disallowed = run_bale("lock", cwd=root, env=configs.env)
    assert disallowed.code == 0, disallowed
    assert _locked(root)["lib"]["version"] == "1.0"
    # And the environment wins over the project (uv's order: command line > environment > project).
    env = run_bale("lock", "-U", cwd=root, env={**configs.env, "BALE_PRERELEASE": "allow"})
    assert env.code == 0, env
    assert _locked(root)["lib"]["version"] == "2.0rc1"


def test_a_project_default_index_beats_the_user_index_url(
    make_pkg, static_index, run_bale: BaleRunner, configs: Configs, tmp_path: Path
) -> None:
    theirs = static_index([make_pkg("lib", "1.0")])
    ours = static_index([make_pkg("lib", "2.0")])
    configs.write_user(f'index-url = "{theirs.url}"\n')
    index = f'\n[[tool.bale.index]]\nname = "ours"\nurl = "{ours.url}"\ndefault = true\n'
    root = _project(tmp_path, index)
    result = run_bale("lock", cwd=root, env=configs.env)
    assert result.code == 0, result
    assert _locked(root)["lib"]["version"] == "2.0"
    assert not any(r.path.startswith("/simple/lib") for r in theirs.requests)


def test_indexes_of_a_user_file_serve_a_project(
    make_pkg, static_index, run_bale: BaleRunner, configs: Configs, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.5")])
    configs.write_user(f'[[index]]\nname = "corp"\nurl = "{server.url}"\ndefault = true\n')
    root = _project(tmp_path, '\n[tool.bale.sources]\nlib = { index = "corp" }\n')
    result = run_bale("lock", cwd=root, env=configs.env)
    assert result.code == 0, result
    assert _locked(root)["lib"]["version"] == "1.5"


# ---------------------------------------------------------------------------------------------- mistakes


def test_a_toml_syntax_error_names_the_file_line_and_column(
    make_pkg, bale, venv: Venv, configs: Configs
) -> None:
    path = configs.write_user('prerelease = "allow"\nindex-url = \n')
    result = bale("pip", "install", "--no-index", "alpha", env=configs.env)
    assert result.code == 1, result
    assert result.stderr.startswith(f"error: {path}:2:13: invalid TOML: "), result
    assert "Traceback" not in result.stderr
    assert venv.dist_infos() == []


def test_unknown_keys_are_warned_about_with_a_did_you_mean(
    make_pkg, static_index, bale, venv: Venv, configs: Configs
) -> None:
    server = static_index([make_pkg("alpha", "1.0")])
    path = configs.write_user(f'index-url = "{server.url}"\nprerelase = "allow"\nfrobnicate = 1\n')
    result = bale("pip", "install", "--no-deps", "alpha", env=configs.env)
    assert result.code == 0, result
    assert f"warning: unknown key 'prerelase' in {path}; did you mean 'prerelease'?" in result.stderr
    assert f"warning: unknown key 'frobnicate' in {path} (ignored)" in result.stderr
    assert venv.imports("alpha") == "1.0"


def test_project_only_keys_and_bad_values_are_errors_naming_the_file(
    bale, venv: Venv, configs: Configs
) -> None:
    path = configs.write_user('prerelease = "sometimes"\n\n[sources]\nlib = { path = "../lib" }\n')
    result = bale("pip", "install", "--no-index", "alpha", env=configs.env)
    assert result.code == 1, result
    assert scrub(result.stderr, {path: "[FILE]"}) == (
        "error: [FILE]: 2 problems\n"
        "  line 3: sources: only a project can set this key, in [tool.bale] of its pyproject.toml; "
        "a bale.toml holds settings for every project\n"
        "  line 1: prerelease: expected one of disallow, allow, if-necessary, explicit, "
        "if-necessary-or-explicit, got 'sometimes'\n"
    )


# ---------------------------------------------------------------------------------------------- show


def test_config_show_names_where_each_value_comes_from(
    run_bale: BaleRunner, configs: Configs, tmp_path: Path
) -> None:
    user = configs.write_user('prerelease = "allow"\nextra-index-url = ["https://user.example/simple"]\n')
    system = configs.write_system(
        'prerelease = "disallow"\nresolution = "lowest"\nextra-index-url = ["https://sys.example/simple"]\n'
    )
    root = _project(tmp_path, '\n[tool.bale]\nresolution = "lowest-direct"\n')
    env = {**configs.env, "BALE_OFFLINE": "1"}
    result = run_bale("config", "show", "--index-url", "https://cli.example/simple", cwd=root, env=env)
    assert result.code == 0, result
    out = scrub(
        result.stdout,
        {user: "[USER]", system: "[SYSTEM]", root: "[PROJECT]", run_bale.cache_dir: "[CACHE]"},
    )
    assert out == (
        "# user bale.toml: [USER]\n"
        "# system bale.toml: [SYSTEM]\n"
        "# project: [PROJECT]/pyproject.toml [tool.bale] (applies to project commands)\n"
        'index-url = "https://cli.example/simple"  # --index-url\n'
        'extra-index-url = ["https://user.example/simple", "https://sys.example/simple"]  '
        "# user bale.toml [USER], system bale.toml [SYSTEM]\n"
        "find-links = []  # default\n"
        "no-index = false  # default\n"
        'index-strategy = "first-index"  # default\n'
        'resolution = "lowest-direct"  # [PROJECT]/pyproject.toml [tool.bale]\n'
        'prerelease = "allow"  # user bale.toml [USER]\n'
        "prerelease-package = {}  # default\n"
        'fork-strategy = "requires-python"  # default\n'
        "exclude-newer-package = {}  # default\n"
        "constraint-dependencies = []  # default\n"
        "override-dependencies = []  # default\n"
        'cache-dir = "[CACHE]"  # env BALE_CACHE_DIR\n'
        "no-cache = false  # default\n"
        "offline = true  # env BALE_OFFLINE\n"
        'link-mode = "hardlink"  # default\n'
        "compile-bytecode = false  # default\n"
        "no-build-isolation = false  # default\n"
    )
    assert result.stderr == ""

    data = run_bale("config", "show", "--output-format", "json", cwd=root, env=env)
    assert data.code == 0, data
    payload = json.loads(data.stdout)
    assert payload["files"] == [
        {"scope": "user", "path": str(user), "found": True},
        {"scope": "system", "path": str(system), "found": True},
    ]
    assert payload["settings"]["prerelease"] == {
        "value": "allow",
        "source": "user",
        "origins": [f"user bale.toml {user}"],
    }
    assert payload["settings"]["resolution"]["source"] == "project"
    assert payload["settings"]["offline"] == {
        "value": True,
        "source": "environment",
        "origins": ["env BALE_OFFLINE"],
    }
    assert payload["settings"]["index-url"]["source"] == "default"

    none = run_bale("config", "show", "--no-config", cwd=tmp_path, env=configs.env)
    assert none.code == 0, none
    assert none.stdout.splitlines()[0] == "# bale.toml files: --no-config or BALE_NO_CONFIG"
    assert 'prerelease = "if-necessary"  # default' in none.stdout


# ---------------------------------------------------------------------------------------------- replay, memo


def test_editing_a_config_file_changes_a_repeated_compile_and_lock(
    make_pkg, static_index, run_bale: BaleRunner, configs: Configs, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0rc1")])
    work = tmp_path / "work"
    work.mkdir()
    (work / "requirements.in").write_text("lib\n")
    configs.write_user(f'index-url = "{server.url}"\nprerelease = "allow"\n')
    # Plain runs go through the replay; -v runs skip it (never recorded) and meet the memo.
    for verbose in ((), ("-v",)):
        first = run_bale("pip", "compile", *verbose, "requirements.in", cwd=work, env=configs.env)
        again = run_bale("pip", "compile", *verbose, "requirements.in", cwd=work, env=configs.env)
        assert first.code == 0 and again.code == 0, (first, again)
        assert _pins(first.stdout) == _pins(again.stdout) == ["lib==2.0rc1"]
    configs.write_user(f'index-url = "{server.url}"\nprerelease = "disallow"\n')
    for verbose in ((), ("-v",)):
        changed = run_bale("pip", "compile", *verbose, "requirements.in", cwd=work, env=configs.env)
        assert changed.code == 0, changed
        assert _pins(changed.stdout) == ["lib==1.0"], changed

    root = _project(tmp_path)
    configs.write_user(f'index-url = "{server.url}"\nprerelease = "allow"\n')
    for _ in range(2):
        locked = run_bale("lock", cwd=root, env=configs.env)
        assert locked.code == 0, locked
        assert _locked(root)["lib"]["version"] == "2.0rc1"
    configs.write_user(f'index-url = "{server.url}"\nprerelease = "disallow"\n')
    relocked = run_bale("lock", cwd=root, env=configs.env)
    assert relocked.code == 0, relocked
    assert _locked(root)["lib"]["version"] == "1.0"


def test_per_package_tables_apply_and_the_command_line_beats_them(
    make_pkg, static_index, bale, venv: Venv, configs: Configs
) -> None:
    server = static_index(
        [make_pkg(name, version) for name in ("alpha", "beta") for version in ("1.0", "2.0b1")]
    )
    configs.write_user(
        f'index-url = "{server.url}"\nprerelease-package = {{ alpha = "allow", beta = "allow" }}\n'
    )
    result = bale(
        "pip", "install", "--dry-run", "--no-deps", "alpha", "beta", "--prerelease-package", "beta=disallow",
        env=configs.env,
    )  # fmt: skip
    assert result.code == 0, result
    assert " + alpha==2.0b1" in result.stderr, result
    assert " + beta==1.0" in result.stderr, result


def test_a_constraint_in_a_user_file_makes_the_lock_stale(
    make_pkg, static_index, run_bale: BaleRunner, configs: Configs, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0")])
    configs.write_user(f'index-url = "{server.url}"\n')
    root = _project(tmp_path)
    assert run_bale("lock", cwd=root, env=configs.env).code == 0
    assert _locked(root)["lib"]["version"] == "2.0"
    configs.write_user(f'index-url = "{server.url}"\nconstraint-dependencies = ["lib<2"]\n')
    check = run_bale("lock", "--check", cwd=root, env=configs.env)
    assert check.code == 1, check
    relocked = run_bale("lock", cwd=root, env=configs.env)
    assert relocked.code == 0, relocked
    assert _locked(root)["lib"]["version"] == "1.0"
