"""`bale tool install / list / uninstall / dir` driven through the CLI against a local index."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.builders import make_bad_wheel
from tests.support.cli import scrub


@pytest.fixture
def tool_env(tmp_path: Path) -> dict[str, str]:
    return {
        "BALE_TOOL_DIR": str(tmp_path / "tools"),
        "BALE_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "PATH": os.environ["PATH"],
    }


def test_install_links_scripts_named_unlike_the_package(
    make_pkg, static_index, run_bale, tool_env, tmp_path: Path
) -> None:
    server = static_index(
        [make_pkg("fancy-tool", "1.0", entry_points={"console_scripts": {"fancy": "fancy_tool:main"}})]
    )
    result = run_bale("tool", "install", "fancy-tool", "--index-url", server.url, env=tool_env)
    assert result.code == 0, result
    out = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert "Installed fancy-tool 1.0: executables fancy in [TMP]/bin" in out
    assert "[TMP]/bin is not on your PATH; add it with `bale tool update-shell`" in out
    done = subprocess.run([str(tmp_path / "bin" / "fancy")], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "fancy-tool 1.0"
    receipt = (tmp_path / "tools" / "fancy-tool" / "bale-tool.toml").read_text()
    assert 'requirement = "fancy-tool"' in receipt
    listed = run_bale("tool", "list", env=tool_env)
    assert listed.stdout == "fancy-tool v1.0\n- fancy\n"
    again = run_bale("tool", "install", "fancy-tool", "--index-url", server.url, env=tool_env)
    assert again.code == 0 and "`fancy-tool` is already installed" in again.stderr
    assert run_bale("tool", "dir", env=tool_env).stdout.strip() == str(tmp_path / "tools")
    assert run_bale("tool", "dir", "--bin", env=tool_env).stdout.strip() == str(tmp_path / "bin")


def test_no_path_hint_when_bin_dir_is_on_path(make_pkg, static_index, run_bale, tool_env, tmp_path) -> None:
    server = static_index(
        [make_pkg("hello", "1.0", entry_points={"console_scripts": {"hello": "hello:main"}})]
    )
    env = {**tool_env, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = run_bale("tool", "install", "hello", "--index-url", server.url, env=env)
    assert result.code == 0, result
    assert "not on your PATH" not in result.stderr


def test_two_tools_share_a_dependency_file(make_pkg, static_index, run_bale, tool_env, tmp_path) -> None:
    files = [
        make_pkg("shared-lib", "1.0"),
        make_pkg(
            "one", "1.0", requires_dist=["shared-lib"], entry_points={"console_scripts": {"one": "one:main"}}
        ),
        make_pkg(
            "two", "1.0", requires_dist=["shared-lib"], entry_points={"console_scripts": {"two": "two:main"}}
        ),
    ]
    server = static_index(files)
    for name in ("one", "two"):
        result = run_bale("tool", "install", name, "--index-url", server.url, env=tool_env)
        assert result.code == 0, result
    found = [
        next((tmp_path / "tools" / n).glob("lib/python*/site-packages/shared_lib/__init__.py"))
        for n in ("one", "two")
    ]
    assert found[0].stat().st_ino == found[1].stat().st_ino


def test_uninstall_removes_links_and_environment(
    make_pkg, static_index, run_bale, tool_env, tmp_path
) -> None:
    server = static_index(
        [make_pkg("gone", "2.0", entry_points={"console_scripts": {"gone-cli": "gone:main"}})]
    )
    assert run_bale("tool", "install", "gone", "--index-url", server.url, env=tool_env).code == 0
    assert (tmp_path / "bin" / "gone-cli").is_symlink()
    result = run_bale("tool", "uninstall", "gone", env=tool_env)
    assert result.code == 0, result
    assert "Uninstalled gone 2.0 (gone-cli)" in result.stderr
    assert not (tmp_path / "bin" / "gone-cli").exists() and not (tmp_path / "bin" / "gone-cli").is_symlink()
    assert not (tmp_path / "tools" / "gone").exists()
    missing = run_bale("tool", "uninstall", "gone", env=tool_env)
    assert missing.code == 1 and "error: The tool gone is not installed" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_failed_reinstall_leaves_the_previous_tool_working(
    make_pkg, static_index, run_bale, tool_env, tmp_path
) -> None:
    good = make_pkg("keep", "1.0", entry_points={"console_scripts": {"keep": "keep:main"}})
    server = static_index([good])
    assert run_bale("tool", "install", "keep", "--index-url", server.url, env=tool_env).code == 0
    # A version that does not exist: nothing is replaced.
    result = run_bale("tool", "install", "keep==9", "--index-url", server.url, env=tool_env)
    assert result.code == 1 and "Traceback" not in result.stderr, result
    # A broken wheel: still nothing replaced.
    broken = make_bad_wheel(tmp_path / "bad", "traversal", "keep", "2.0")
    bad_server = static_index([good, broken])
    result = run_bale("tool", "install", "keep==2.0", "--index-url", bad_server.url, env=tool_env)
    assert result.code == 1 and "Traceback" not in result.stderr, result
    done = subprocess.run([str(tmp_path / "bin" / "keep")], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "keep 1.0"
    assert run_bale("tool", "list", env=tool_env).stdout == "keep v1.0\n- keep\n"
    assert not list((tmp_path / "tools").glob(".keep.*"))


def test_foreign_executable_is_refused_without_force(
    make_pkg, static_index, run_bale, tool_env, tmp_path
) -> None:
    server = static_index(
        [make_pkg("clash", "1.0", entry_points={"console_scripts": {"clash": "clash:main"}})]
    )
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "clash").write_text("#!/bin/sh\necho mine\n")
    result = run_bale("tool", "install", "clash", "--index-url", server.url, env=tool_env)
    assert result.code == 1, result
    out = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert "Cannot install the tool clash: its executables would replace files already there" in out
    assert "[TMP]/bin/clash exists and was not installed by bale" in out
    assert (tmp_path / "bin" / "clash").read_text().endswith("mine\n")
    assert not (tmp_path / "tools" / "clash").exists()
    forced = run_bale("tool", "install", "clash", "--force", "--index-url", server.url, env=tool_env)
    assert forced.code == 0, forced
    assert (tmp_path / "bin" / "clash").is_symlink()


def test_upgrade_keeps_extras_with_and_version_spec(
    make_pkg, pypiserver, run_bale, tool_env, tmp_path
) -> None:
    entry = {"console_scripts": {"up": "up:main"}}
    pypiserver.add(
        make_pkg("up", "1.0", requires_dist=["fx; extra == 'fancy'"], entry_points=entry),
        make_pkg("fx", "1.0"),
        make_pkg("helper", "1.0"),
    )
    url = pypiserver.url
    result = run_bale("tool", "install", "up[fancy]<3", "--with", "helper", "--index-url", url, env=tool_env)
    assert result.code == 0, result
    pypiserver.add(
        make_pkg("up", "2.0", requires_dist=["fx; extra == 'fancy'"], entry_points=entry),
        make_pkg("up", "3.0", requires_dist=["fx; extra == 'fancy'"], entry_points=entry),
        make_pkg("fx", "1.5"),
        make_pkg("helper", "1.1"),
    )
    # No --index-url: the receipt remembers where the tool came from.
    upgraded = run_bale("tool", "upgrade", "up", env=tool_env)
    assert upgraded.code == 0, upgraded
    assert "Upgraded up 1.0 -> 2.0" in upgraded.stderr
    site = next((tmp_path / "tools" / "up").glob("lib/python*/site-packages"))
    assert {p.name for p in site.glob("*.dist-info")} >= {
        "up-2.0.dist-info",
        "fx-1.5.dist-info",
        "helper-1.1.dist-info",
    }
    done = subprocess.run([str(tmp_path / "bin" / "up")], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "up 2.0"
    again = run_bale("tool", "upgrade", "--all", env=tool_env)
    assert again.code == 0 and "Nothing to upgrade: up 2.0 is the newest allowed" in again.stderr, again


def test_editable_tool_follows_its_source_tree(run_bale, tool_env, tmp_path) -> None:
    from tests.build.conftest import WHEELHOUSE

    if not any(WHEELHOUSE.glob("flit_core-*.whl")):
        pytest.skip(f"no flit_core wheel in {WHEELHOUSE}")
    tree = tmp_path / "src" / "edtool"
    (tree / "edtool").mkdir(parents=True)
    (tree / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n\n'
        '[project]\nname = "edtool"\nversion = "0.1"\ndescription = "an editable tool"\n\n'
        '[project.scripts]\nedtool-cli = "edtool:main"\n'
    )
    module = tree / "edtool" / "__init__.py"
    module.write_text("def main():\n    print('before')\n")
    flags = ("--no-index", "--find-links", str(WHEELHOUSE))
    result = run_bale("tool", "install", "--editable", "src/edtool", *flags, cwd=tmp_path, env=tool_env)
    assert result.code == 0, result
    assert "Installed edtool 0.1: executables edtool-cli in" in result.stderr
    cli = str(tmp_path / "bin" / "edtool-cli")
    assert subprocess.run([cli], capture_output=True, text=True, check=False).stdout == "before\n"
    module.write_text("def main():\n    print('after')\n")  # no reinstall: the environment reads the tree
    assert subprocess.run([cli], capture_output=True, text=True, check=False).stdout == "after\n"
    receipt = (tmp_path / "tools" / "edtool" / "bale-tool.toml").read_text()
    assert f'requirement = "{tree}"' in receipt and "editable = true" in receipt
    again = run_bale("tool", "install", "--editable", str(tree), *flags, env=tool_env)
    assert again.code == 0 and "`edtool` is already installed" in again.stderr, again
    # An upgrade keeps it editable: the tree's later edits still show.
    assert run_bale("tool", "upgrade", "edtool", env=tool_env).code == 0
    module.write_text("def main():\n    print('later on')\n")  # another size: no stale bytecode
    assert subprocess.run([cli], capture_output=True, text=True, check=False).stdout == "later on\n"
    missing = run_bale("tool", "install", "--editable", str(tmp_path / "nowhere"), *flags, env=tool_env)
    assert missing.code == 1 and "Traceback" not in missing.stderr, missing
    assert f"Cannot tell the name of the editable tool at {tmp_path / 'nowhere'}" in missing.stderr
