"""Output a person can follow: uv's summaries, JSON documents on stdout, tree formats, live progress."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.cli.conftest import make_stdlib_venv
from tests.support.cli import scrub


def _project(tmp_path: Path, dependencies: list[str]) -> Path:
    root = tmp_path / "demo"
    root.mkdir(exist_ok=True)
    major, minor = sys.version_info[:2]
    listed = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "demo"
            version = "0.1.0"
            requires-python = ">={major}.{minor}"
            dependencies = [{listed}]
            """
        )
    )
    return root


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("app", "1.0", requires_dist=["lib"]),
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("gone", "1.0"),
        make_pkg("fresh", "1.0"),
    ]


def test_lock_reports_updated_added_and_removed_as_uv(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app", "lib<2", "gone"])
    first = run_bale("lock", "-i", server.url, cwd=root)
    assert first.code == 0, first
    assert scrub(first.stderr) == "Resolved 3 packages in [TIME]\n"  # a first lock lists no changes

    _project(tmp_path, ["app", "lib>=2", "fresh"])
    second = run_bale("lock", "-i", server.url, cwd=root)
    assert second.code == 0, second
    assert second.stdout == ""
    assert scrub(second.stderr) == (
        "Resolved 3 packages in [TIME]\nAdded fresh v1.0\nRemoved gone v1.0\nUpdated lib v1.0 -> v2.0\n"
    )
    # The next run changes nothing, says nothing more, and its replay (the same run again) neither.
    for _ in range(2):
        again = run_bale("lock", "-i", server.url, cwd=root)
        assert again.code == 0, again
        assert scrub(again.stderr) == "Resolved 3 packages in [TIME]\n"


def test_sync_summary_lists_removed_before_added_by_name(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app", "lib<2"])
    first = run_bale("sync", "-i", server.url, cwd=root)
    assert first.code == 0, first
    _project(tmp_path, ["app", "lib>=2"])
    second = run_bale("sync", "-i", server.url, cwd=root)
    assert second.code == 0, second
    assert scrub(second.stderr, {root: "[ROOT]"}) == (
        "Resolved 2 packages in [TIME]\n"
        "Updated lib v1.0 -> v2.0\n"
        "Uninstalled 1 package\n"
        "Installed 1 package in [TIME]\n"
        " - lib==1.0\n"
        " + lib==2.0\n"
    )
    noop = run_bale("sync", "-i", server.url, cwd=root)
    assert (noop.code, noop.stdout, scrub(noop.stderr)) == (0, "", "Audited 2 packages in [TIME]\n")


def test_sync_json_is_one_document_on_stdout(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app", "lib<2"])
    first = run_bale("sync", "-i", server.url, "--output-format", "json", cwd=root)
    assert first.code == 0, first
    document = json.loads(first.stdout)
    assert list(document) == ["environment", "created", "lock", "audited", "installed", "removed", "updated"]
    assert document["created"] is True
    assert document["lock"] == {
        "path": str(root / "pylock.toml"),
        "resolved": 2,
        "written": True,
        "changes": [],
    }
    names = [(item["name"], item["version"]) for item in document["installed"]]
    assert names == [("app", "1.0"), ("lib", "1.0")]
    assert " + lib==1.0" in first.stderr  # the human lines stay on stderr

    _project(tmp_path, ["app", "lib>=2"])
    second = run_bale("sync", "-i", server.url, "--output-format", "json", cwd=root)
    assert second.code == 0, second
    document = json.loads(second.stdout)
    assert document["lock"]["changes"] == [
        {"action": "updated", "name": "lib", "old": ["1.0"], "new": ["2.0"]}
    ]
    assert document["updated"] == [{"name": "lib", "old": "1.0", "new": "2.0"}]
    assert document["installed"] == [{"name": "lib", "version": "2.0"}]
    assert document["removed"] == [{"name": "lib", "version": "1.0"}]

    noop = run_bale("sync", "-i", server.url, "--output-format", "json", cwd=root)
    assert noop.code == 0, noop
    document = json.loads(noop.stdout)
    assert document["lock"] is None and document["installed"] == [] and document["audited"] == 2


def test_pip_install_json_and_uv_change_lines(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    venv = make_stdlib_venv(tmp_path / "venv")
    args = ("pip", "install", "-i", server.url, "--python", venv.root)
    first = run_bale(*args, "app", "lib==1.0", "--output-format", "json")
    assert first.code == 0, first
    assert json.loads(first.stdout) == {
        "environment": str(venv.root),
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "dry_run": False,
        "resolved": 2,
        "installed": [{"name": "app", "version": "1.0"}, {"name": "lib", "version": "1.0"}],
        "removed": [],
        "updated": [],
    }
    second = run_bale(*args, "lib==2.0")
    assert second.code == 0, second
    assert second.stdout == ""
    lines = scrub(second.stderr, {venv.root: "[VENV]"}).splitlines()
    assert lines[-4:] == [
        "Uninstalled 1 package",
        "Installed 1 package in [TIME]",
        " - lib==1.0",
        " + lib==2.0",
    ]
    dry = run_bale(*args, "lib==1.0", "--dry-run", "--output-format", "json")
    assert dry.code == 0, dry
    document = json.loads(dry.stdout)
    assert document["dry_run"] is True
    assert document["updated"] == [{"name": "lib", "old": "2.0", "new": "1.0"}]
    assert venv.dist_infos() == ["app-1.0.dist-info", "lib-2.0.dist-info"]  # a dry run changes nothing


def test_pip_show_and_list_outdated_json(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    venv = make_stdlib_venv(tmp_path / "venv")
    done = run_bale("pip", "install", "-i", server.url, "--python", venv.root, "app", "lib==1.0")
    assert done.code == 0, done
    shown = run_bale("pip", "show", "--python", venv.root, "lib", "app", "--output-format", "json")
    assert shown.code == 0, shown
    documents = json.loads(shown.stdout)
    assert [d["name"] for d in documents] == ["lib", "app"]
    assert list(documents[1])[:3] == ["name", "version", "summary"]
    assert documents[1]["requires"] == ["lib"] and documents[0]["required_by"] == ["app"]
    assert documents[0]["location"] == str(venv.site_packages())
    missing = run_bale("pip", "show", "--python", venv.root, "lib", "nothere", "--output-format", "json")
    assert missing.code == 1
    assert [d["name"] for d in json.loads(missing.stdout)] == ["lib"]
    assert missing.stderr == "warning: Package(s) not found: nothere\n"

    outdated = run_bale(
        "pip", "list", "--outdated", "-i", server.url, "--python", venv.root, "--output-format", "json"
    )
    assert outdated.code == 0, outdated
    assert json.loads(outdated.stdout) == [
        {"name": "lib", "version": "1.0", "latest_version": "2.0", "latest_filetype": "wheel"}
    ]
    same = run_bale("pip", "list", "--outdated", "-i", server.url, "--python", venv.root, "--format", "json")
    assert same.stdout == outdated.stdout


def test_python_list_json_matches_the_text(run_bale) -> None:
    text = run_bale("python", "list")
    assert text.code == 0, text
    found = run_bale("python", "list", "--output-format", "json")
    assert found.code == 0, found
    rows = json.loads(found.stdout)
    assert rows and all(list(row) == ["key", "version", "implementation", "path"] for row in rows)
    assert [f"{row['key']:<24} {row['path']}" for row in rows] == text.stdout.splitlines()


def _tree_project(make_pkg, static_index, run_bale, tmp_path):
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app"])
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('\n[dependency-groups]\ndev = ["fresh"]\n')
    locked = run_bale("lock", "-i", server.url, cwd=root)
    assert locked.code == 0, locked
    return root, server


def test_tree_formats(make_pkg, static_index, run_bale, tmp_path) -> None:
    root, _server = _tree_project(make_pkg, static_index, run_bale, tmp_path)
    text = run_bale("tree", "--frozen", cwd=root)
    assert text.code == 0, text
    assert text.stdout == ("demo v0.1.0\n├── app v1.0\n│   └── lib v2.0\n└── fresh v1.0 (group: dev)\n")
    as_json = run_bale("tree", "--frozen", "--format", "json", cwd=root)
    assert as_json.code == 0, as_json
    leaf = {"extras": [], "origin": None, "via": [], "latest": None, "repeated": False, "dependencies": []}
    assert json.loads(as_json.stdout) == [
        {
            "name": "demo",
            "version": "0.1.0",
            **leaf,
            "dependencies": [
                {
                    "name": "app",
                    "version": "1.0",
                    **leaf,
                    "dependencies": [{"name": "lib", "version": "2.0", **leaf}],
                },
                {"name": "fresh", "version": "1.0", **leaf, "origin": "group:dev"},
            ],
        }
    ]
    also = run_bale("tree", "--frozen", "--output-format", "json", cwd=root)
    assert also.stdout == as_json.stdout
    dot = run_bale("tree", "--frozen", "--format", "dot", cwd=root)
    assert dot.code == 0, dot
    assert dot.stdout == textwrap.dedent(
        """\
        digraph dependencies {
          rankdir=LR;
          node [shape=box];
          "demo==0.1.0" [label="demo v0.1.0"];
          "app==1.0" [label="app v1.0"];
          "lib==2.0" [label="lib v2.0"];
          "fresh==1.0" [label="fresh v1.0"];
          "demo==0.1.0" -> "app==1.0";
          "app==1.0" -> "lib==2.0";
          "demo==0.1.0" -> "fresh==1.0" [label="group:dev"];
        }
        """
    )
    mermaid = run_bale("tree", "--frozen", "--format", "mermaid", "--invert", cwd=root)
    assert mermaid.code == 0, mermaid
    assert mermaid.stdout == textwrap.dedent(
        """\
        flowchart LR
            n0["fresh v1.0"]
            n1["demo v0.1.0"]
            n2["lib v2.0"]
            n3["app v1.0"]
            n0 -->|"group:dev"| n1
            n2 --> n3
            n3 --> n1
        """
    )
    clash = run_bale("tree", "--frozen", "--format", "dot", "--output-format", "json", cwd=root)
    assert (clash.code, clash.stdout) == (1, "")
    assert clash.stderr == "error: --format dot and --output-format json ask for two different outputs\n"


def _read_terminal(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[int, str, str]:
    """Run bale with stderr on a pseudo-terminal: exit status, stdout and everything the terminal got."""
    controller, terminal = pty.openpty()
    done = subprocess.Popen(
        [sys.executable, "-m", "bale", *argv], env=env, stdout=subprocess.PIPE, stderr=terminal, cwd=cwd
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
    out = done.stdout.read().decode() if done.stdout else ""
    return done.wait(timeout=60), out, b"".join(chunks).decode("utf-8", "replace")


def _big(make_pkg) -> Path:
    # Random bytes do not compress: the wheel is over the 1 MiB a bar (or a line) needs.
    return make_pkg("big", "1.0", files={"big/__init__.py": "", "big/blob.bin": os.urandom(1_300_000)})


def _mib(path: Path) -> str:
    return f"{path.stat().st_size / 1048576:.1f}MiB"


def test_large_downloads_are_plain_lines_off_a_terminal(make_pkg, static_index, run_bale, tmp_path) -> None:
    big = _big(make_pkg)
    server = static_index([big, make_pkg("small", "1.0")])
    venv = make_stdlib_venv(tmp_path / "venv")
    result = run_bale("pip", "install", "big", "small", "-i", server.url, "--python", venv.root)
    assert result.code == 0, result
    assert scrub(result.stderr, {venv.root: "[VENV]"}) == (
        f"Downloading big==1.0 ({_mib(big)})\n"
        " Downloaded big==1.0\n"
        "Using Python {}.{}.{} environment at: [VENV]\n".format(*sys.version_info[:3])
        + "Resolved 2 packages in [TIME]\n"
        "Prepared 2 packages in [TIME]\n"
        "Installed 2 packages in [TIME]\n"
        " + big==1.0\n"
        " + small==1.0\n"
    )
    other = make_stdlib_venv(tmp_path / "other")
    quiet = run_bale(
        "pip", "install", "-q", "big", "-i", server.url, "--python", other.root,
        env={"BALE_CACHE_DIR": str(tmp_path / "cold")},
    )  # fmt: skip
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert other.dist_infos() == ["big-1.0.dist-info"]


def test_builds_are_announced_with_their_time(run_bale, tmp_path) -> None:
    from tests.build.helpers import in_tree_files, tar_sdist

    links = tmp_path / "links"
    links.mkdir()
    tar_sdist(in_tree_files("srcpkg"), links, "srcpkg-1.0")
    venv = make_stdlib_venv(tmp_path / "venv")
    result = run_bale("pip", "install", "srcpkg", "--no-index", "-f", links, "--python", venv.root)
    assert result.code == 0, result
    lines = scrub(result.stderr).splitlines()
    assert lines[:2] == ["Building srcpkg==1.0", "Built srcpkg==1.0 in [TIME]"], result
    assert lines[-1] == " + srcpkg==1.0"
    quiet = run_bale("pip", "install", "-q", "--reinstall", "srcpkg", "--no-index", "-f", links,
                     "--python", venv.root, env={"BALE_CACHE_DIR": str(tmp_path / "cold")})  # fmt: skip
    assert (quiet.code, quiet.stderr) == (0, "")


def test_a_terminal_gets_a_spinner_bars_and_a_clean_end(make_pkg, static_index, run_bale, tmp_path) -> None:
    big = _big(make_pkg)
    server = static_index([big, make_pkg("small", "1.0")])
    venv = make_stdlib_venv(tmp_path / "venv")
    env = run_bale.env({"NO_COLOR": None, "CI": None})
    argv = [
        "pip",
        "install",
        "--color",
        "never",
        "big",
        "small",
        "-i",
        server.url,
        "--python",
        str(venv.root),
    ]
    code, out, shown = _read_terminal(argv, env)
    assert code == 0, shown
    assert out == ""
    assert "Resolving dependencies..." in shown
    assert "big==1.0 [" in shown and f"/{_mib(big)}" in shown  # the large file's own bar
    assert "Downloading 1 (" in shown and "small==1.0" in shown  # the small ones share a line
    assert "Downloading big==1.0 (" not in shown  # no plain lines on a terminal
    # The live area is erased before the summary: the last lines are the summary, in order.
    tail = scrub(shown.rsplit("\x1b[2K", 1)[1].replace("\r\n", "\n"), {venv.root: "[VENV]"})
    assert tail == (
        "Using Python {}.{}.{} environment at: [VENV]\n".format(*sys.version_info[:3])
        + "Resolved 2 packages in [TIME]\n"
        "Prepared 2 packages in [TIME]\n"
        "Installed 2 packages in [TIME]\n"
        " + big==1.0\n"
        " + small==1.0\n"
    )
    again = make_stdlib_venv(tmp_path / "again")
    code, out, shown = _read_terminal([*argv[:-1], str(again.root), "--no-progress"], env)
    assert code == 0, shown
    assert "\x1b[" not in shown
    assert "Resolving dependencies" not in shown


def test_verbose_says_where_each_package_came_from_and_why_versions_were_rejected(
    make_pkg, static_index, run_bale, tmp_path
) -> None:
    server = static_index(
        [make_pkg("app", "1.0", requires_dist=["lib"]), make_pkg("lib", "1.0"),
         make_pkg("lib", "2.0", requires_python=">=4")]
    )  # fmt: skip
    venv = make_stdlib_venv(tmp_path / "venv")
    args = ("pip", "install", "app", "-i", server.url, "-v")
    first = run_bale(*args, "--python", venv.root)
    assert first.code == 0, first
    debug = [line for line in scrub(first.stderr).splitlines() if line.startswith("DEBUG ")]
    python = "{}.{}.{}".format(*sys.version_info[:3])
    url = scrub(server.url)
    assert f"DEBUG lib: 2 files from {url}" in debug
    assert f"DEBUG app 1.0: app-1.0-py3-none-any.whl from {url}" in debug
    assert f"DEBUG rejected lib 2.0: requires Python >=4, not {python}" in debug, "\n".join(debug)
    assert "DEBUG selecting lib==1.0 (decision level 3)" in debug
    other = make_stdlib_venv(tmp_path / "other")
    second = run_bale(*args, "--python", other.root)
    assert second.code == 0, second
    cached = [
        line for line in second.stderr.splitlines() if line.startswith("DEBUG cache: lib==1.0 is unpacked at")
    ]
    assert len(cached) == 1 and str(run_bale.cache_dir) in cached[0], second
    plain = run_bale(
        "pip", "install", "app", "-i", server.url, "--python", make_stdlib_venv(tmp_path / "v3").root
    )
    assert "DEBUG" not in plain.stderr and "rejected" not in plain.stderr


def test_add_and_remove_report_the_lock_changes(make_pkg, static_index, run_bale, tmp_path) -> None:
    server = static_index(_universe(make_pkg))
    root = _project(tmp_path, ["app"])
    first = run_bale("lock", "-i", server.url, cwd=root)
    assert first.code == 0, first
    added = run_bale("add", "fresh", "--no-sync", "-i", server.url, cwd=root)
    assert added.code == 0, added
    assert scrub(added.stderr) == "Resolved 3 packages in [TIME]\nAdded fresh v1.0\n"
    removed = run_bale("remove", "fresh", "app", "--no-sync", "-i", server.url, cwd=root)
    assert removed.code == 0, removed
    assert scrub(removed.stderr) == (
        "Resolved 0 packages in [TIME]\nRemoved app v1.0\nRemoved fresh v1.0\nRemoved lib v2.0\n"
    )


def test_plain_lines_are_flushed_as_they_happen(make_pkg, static_index, run_bale, tmp_path) -> None:
    first = _big(make_pkg)
    late = make_pkg("late", "1.0", files={"late/__init__.py": "", "late/blob.bin": os.urandom(1_300_000)})
    server = static_index([first, late])
    server.slow("late-1.0-py3-none-any.whl", 3.0)
    venv = make_stdlib_venv(tmp_path / "venv")
    argv = ["pip", "install", "big", "late", "-i", server.url, "--python", str(venv.root)]
    process = subprocess.Popen(
        [sys.executable, "-m", "bale", *argv],
        env=run_bale.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append((line, process.poll()))
        if line == " Downloaded big==1.0\n":
            break
    # The line about the first file arrived while the second was still on its way.
    assert seen[-1] == (" Downloaded big==1.0\n", None), seen
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 0, rest
    assert f"Downloading late==1.0 ({_mib(late)})\n Downloaded late==1.0\n" in rest


def test_lock_changes_name_every_version_of_a_forked_package() -> None:
    from bale.cli.summary import lock_changes, lock_changes_json

    def lock(*packages: tuple[str, str]) -> str:
        return "".join(f'[[packages]]\nname = "{n}"\nversion = "{v}"\n' for n, v in packages)

    before = lock(("numpy", "2.0.2"), ("numpy", "1.26.4"), ("six", "1.0"))
    after = lock(("numpy", "2.1.0"), ("numpy", "1.26.4"), ("six", "1.0"))
    changes = lock_changes(before, after)
    assert changes == [("Updated", "numpy", "v1.26.4, v2.0.2", "v1.26.4, v2.1.0")]
    assert lock_changes_json(changes) == [
        {"action": "updated", "name": "numpy", "old": ["1.26.4", "2.0.2"], "new": ["1.26.4", "2.1.0"]}
    ]
    assert lock_changes(None, after) == []  # a first lock: nothing to compare with
    assert lock_changes("<<<<<<< HEAD\n", after) == []  # an unreadable old lock neither
