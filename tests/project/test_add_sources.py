"""`bale add` of paths, URLs, git repositories, named indexes and workspace members; `bale remove` of them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bale.errors import BaleError
from bale.model.names import normalize
from bale.ops.project import LockSettings
from bale.ops.project_add import Addition, SourceOptions, add_to_text, plan_additions, remove_from_text
from bale.project.model import read_project
from bale.project.workspace import discover_workspace
from tests.build.helpers import in_tree_files, write_tree
from tests.sources.helpers import direct_url, dist_infos, local_package, locked, write_project

DEMO = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = "{python}"
# what the app needs
dependencies = [
    "lib",  # keep me
]

[[tool.bale.index]]
name = "private"
url = "https://private.example/simple"
explicit = true
"""

PLAIN = """
    [project]
    name = "demo"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = []
"""

TARGET: dict[str, Any] = {"group": None, "optional": None, "dev": False, "where": "pyproject.toml"}


# ---------------------------------------------------------------------------------------------- pure edits


def test_add_to_text_writes_the_plain_name_and_an_inline_source() -> None:
    additions = [
        Addition(normalize("localpkg"), "localpkg[fast]; python_version >= '3'", {"path": "../x"}, False),
        Addition(normalize("gitpkg"), "gitpkg", {"git": "https://h/r.git", "tag": "v1"}, False),
    ]
    out = add_to_text(DEMO, additions, **TARGET)
    assert out.startswith(DEMO.split("]\n", 1)[0])  # the comments and layout before the edit stay
    assert '    "lib",  # keep me\n' in out
    assert "\"localpkg[fast]; python_version >= '3'\"" in out
    assert out.endswith(
        "\n[tool.bale.sources]\n"
        'localpkg = { path = "../x" }\n'
        'gitpkg = { git = "https://h/r.git", tag = "v1" }\n'
    )
    assert remove_from_text(out, ["localpkg", "GitPkg"], **TARGET) == DEMO


def test_remove_keeps_a_source_another_array_still_names() -> None:
    added = add_to_text(DEMO, [Addition(normalize("tool"), "tool", {"path": "../tool"}, False)], **TARGET)
    both = add_to_text(
        added, [Addition(normalize("tool"), "tool", None, False)], **{**TARGET, "group": "dev"}
    )
    kept = remove_from_text(both, ["tool"], **TARGET)
    assert 'tool = { path = "../tool" }' in kept
    assert '[dependency-groups]\ndev = [\n    "tool",\n]' in kept
    gone = remove_from_text(kept, ["tool"], **{**TARGET, "group": "dev"})
    assert "tool.bale.sources" not in gone and "path" not in gone


def _plan(tmp_path: Path, *arguments: str, text: str = DEMO, **options: Any) -> list[Addition]:
    root = write_project(tmp_path / "demo", text)
    project = read_project(root / "pyproject.toml")
    workspace = discover_workspace(project)
    return plan_additions(
        None,  # type: ignore[arg-type]  # named arguments never build, so no context is needed
        workspace,
        project,
        arguments,
        SourceOptions(**options),
        LockSettings(),
        cwd=root,
    )


def test_arguments_become_sources(tmp_path: Path) -> None:
    (tmp_path / "demo" / "vendor" / "thing").mkdir(parents=True)
    wheel_url = "https://files.example/pkgs/Wheel_Pkg-2.0-py3-none-any.whl"
    plans = _plan(
        tmp_path,
        "thing[cli] @ ./vendor/thing ; sys_platform == 'linux'",
        "gp @ git+https://h.example/r.git@v1.2#subdirectory=pkgs/gp",
        "other @ git+https://h.example/other.git",
        wheel_url,
        "requests",
        "pinned>=2",
    )
    assert [(p.name, p.requirement, p.source, p.bound) for p in plans] == [
        ("thing", 'thing[cli]; sys_platform == "linux"', {"path": "vendor/thing"}, False),
        ("gp", "gp", {"git": "https://h.example/r.git", "rev": "v1.2", "subdirectory": "pkgs/gp"}, False),
        ("other", "other", {"git": "https://h.example/other.git"}, False),
        ("wheel-pkg", "wheel-pkg", {"url": wheel_url}, False),
        ("requests", "requests", None, True),
        ("pinned", "pinned>=2", None, False),
    ]
    tagged = _plan(tmp_path / "t", "gp @ git+https://h.example/r.git", tag="v2")
    assert tagged[0].source == {"git": "https://h.example/r.git", "tag": "v2"}
    indexed = _plan(tmp_path / "i", "shared", index="private")
    assert [(p.requirement, p.source, p.bound) for p in indexed] == [("shared", {"index": "private"}, True)]


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        (("shared",), {"index": "internal"}, "No index named 'internal' in [[tool.bale.index]] of "),
        (("requests",), {"tag": "v1"}, "--tag, --branch and --rev need a git+URL argument"),
        (("requests",), {"editable": True}, "editable installs need a source tree"),
        (("w @ https://x.example/w-1.0-py3-none-any.whl",), {"editable": True}, "need a local folder"),
        (("gp @ git+https://h.example/r.git@v1",), {"branch": "main"}, "already names revision 'v1'"),
        (("gp @ git+https://h.example/r.git",), {"tag": "a", "rev": "b"}, "one of --tag, --branch, --rev"),
        (("x @ ./missing",), {}, "does not exist"),
        (("demo @ ./",), {}, "it is the project itself"),
    ],
)
def test_arguments_that_cannot_be_added(
    tmp_path: Path, arguments: tuple[str, ...], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(BaleError) as caught:
        _plan(tmp_path, *arguments, **options)
    assert message in caught.value.message


# ---------------------------------------------------------------------------------------------- CLI


def test_add_an_editable_folder_then_remove_it(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    tree = local_package(tmp_path / "localpkg", "localpkg", requires=("lib",))
    # (lib stays after the removal: bale cannot read back a lock of no packages yet)
    root = write_project(tmp_path / "demo", PLAIN.replace("dependencies = []", 'dependencies = ["lib"]'))
    original = (root / "pyproject.toml").read_text()

    added = run_bale("add", "--editable", "../localpkg", "-i", server.url, cwd=root)
    assert added.code == 0, added
    project = read_project(root / "pyproject.toml")
    assert [str(spec) for spec in project.dependencies] == ["lib", "localpkg"]
    assert (
        (root / "pyproject.toml")
        .read_text()
        .endswith('\n[tool.bale.sources]\nlocalpkg = { path = "../localpkg", editable = true }\n')
    )
    assert locked(root)["localpkg"]["directory"] == {"path": "../localpkg", "editable": True}
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0"]
    assert direct_url(root, "localpkg-1.0") == {
        "url": tree.resolve().as_uri(),
        "dir_info": {"editable": True},
    }

    removed = run_bale("remove", "localpkg", "-i", server.url, cwd=root)
    assert removed.code == 0, removed
    assert (root / "pyproject.toml").read_text() == original
    assert "localpkg" not in locked(root)
    assert dist_infos(root) == ["lib-1.0"]


def test_add_name_at_a_relative_path_into_a_group_builds_a_copy(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    root = write_project(tmp_path / "demo", PLAIN)
    local_package(root / "vendor" / "localpkg", "localpkg", requires=("lib",))

    added = run_bale("add", "--dev", "LocalPkg @ ./vendor/localpkg", "-i", server.url, cwd=root)
    assert added.code == 0, added
    text = (root / "pyproject.toml").read_text()
    assert '[dependency-groups]\ndev = [\n    "LocalPkg",\n]' in text
    assert 'LocalPkg = { path = "vendor/localpkg" }' in text
    assert read_project(root / "pyproject.toml").settings.sources.keys() == {"localpkg"}
    assert locked(root)["localpkg"]["directory"] == {"path": "vendor/localpkg"}
    assert dist_infos(root) == ["lib-1.0", "localpkg-1.0"]
    assert direct_url(root, "localpkg-1.0")["dir_info"] == {}


def test_a_folder_whose_name_only_its_backend_knows_is_built_for_it(run_bale, tmp_path: Path) -> None:
    write_tree(tmp_path / "opaque", in_tree_files("hiddenname", "3.0"))  # no [project] table
    root = write_project(tmp_path / "demo", PLAIN)

    added = run_bale("add", str(tmp_path / "opaque"), "--no-index", cwd=root)
    assert added.code == 0, added
    assert [str(spec) for spec in read_project(root / "pyproject.toml").dependencies] == ["hiddenname"]
    assert 'hiddenname = { path = "../opaque" }' in (root / "pyproject.toml").read_text()
    assert dist_infos(root) == ["hiddenname-3.0"]


def test_add_a_url_wheel_records_the_url_without_a_bound(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    wheel = make_pkg("remote", "1.5", requires_dist=["lib"])
    server = static_index([make_pkg("lib", "1.0"), wheel])
    url = server.file_url(wheel.name)
    root = write_project(tmp_path / "demo", PLAIN)

    added = run_bale("add", url, "-i", server.url, cwd=root)
    assert added.code == 0, added
    project = read_project(root / "pyproject.toml")
    assert [str(spec) for spec in project.dependencies] == ["remote"]
    assert f'remote = {{ url = "{url}" }}' in (root / "pyproject.toml").read_text()
    assert locked(root)["remote"]["archive"]["url"] == url
    assert dist_infos(root) == ["lib-1.0", "remote-1.5"]


def test_add_from_a_named_index_pins_the_package_to_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    public = static_index([make_pkg("shared", "1.0")])
    private = static_index([make_pkg("shared", "2.0")])
    root = write_project(
        tmp_path / "demo", PLAIN + f'\n[[tool.bale.index]]\nname = "private"\nurl = "{private.url}"\n'
    )

    added = run_bale("add", "shared", "--index", "private", "-i", public.url, cwd=root)
    assert added.code == 0, added
    text = (root / "pyproject.toml").read_text()
    assert '"shared>=2.0"' in text
    assert 'shared = { index = "private" }' in text
    assert locked(root)["shared"]["index"] == private.url
    assert dist_infos(root) == ["shared-2.0"]


def test_add_naming_an_unknown_index_changes_nothing(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("shared", "1.0")])
    root = write_project(tmp_path / "demo", PLAIN)
    original = (root / "pyproject.toml").read_bytes()

    result = run_bale("add", "shared", "--index", "internal", "-i", server.url, cwd=root)
    assert result.code == 1, result
    assert f"No index named 'internal' in [[tool.bale.index]] of {root / 'pyproject.toml'}" in result.stderr
    assert "indexes defined: none" in result.stderr and "Traceback" not in result.stderr
    assert (root / "pyproject.toml").read_bytes() == original
    assert not (root / "pylock.toml").exists()


def test_a_source_that_fails_to_lock_leaves_pyproject_as_it_was(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    local_package(tmp_path / "broken", "broken", requires=("not-anywhere",))
    root = write_project(tmp_path / "demo", PLAIN)
    original = (root / "pyproject.toml").read_bytes()

    result = run_bale("add", "../broken", "-i", server.url, cwd=root)
    assert result.code == 1, result
    assert "not-anywhere" in result.stderr and "Traceback" not in result.stderr
    assert (root / "pyproject.toml").read_bytes() == original


def test_add_a_workspace_member_by_name_or_path(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    root = write_project(
        tmp_path / "ws",
        PLAIN.replace('name = "demo"', 'name = "root-app"')
        + '\n[tool.bale.workspace]\nmembers = ["packages/*"]\n',
    )
    local_package(root / "packages" / "alpha", "alpha")
    local_package(root / "packages" / "beta", "beta", requires=("lib",))

    by_name = run_bale("add", "beta", "-i", server.url, cwd=root / "packages" / "alpha")
    assert by_name.code == 0, by_name
    alpha = (root / "packages" / "alpha" / "pyproject.toml").read_text()
    assert "beta = { workspace = true }" in alpha
    assert "beta = { workspace = true }" not in (root / "pyproject.toml").read_text()

    by_path = run_bale("add", "./packages/alpha", "--no-sync", "-i", server.url, cwd=root)
    assert by_path.code == 0, by_path
    assert "alpha = { workspace = true }" in (root / "pyproject.toml").read_text()
    assert [str(spec) for spec in read_project(root / "pyproject.toml").dependencies] == ["alpha"]
    assert locked(root)["alpha"]["directory"] == {"path": "packages/alpha", "editable": True}


# ---------------------------------------------------------------------------------------------- git


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=bale", "-c", "user.email=bale@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")
def test_add_a_git_repository_at_a_revision_or_a_tag(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    repo = local_package(tmp_path / "repo", "gitpkg", requires=("lib",))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    _git(repo, "tag", "v1")
    commit = _git(repo, "rev-parse", "HEAD")
    backend = repo / "bale_test_backend.py"
    backend.write_text(backend.read_text().replace('VERSION = "1.0"', 'VERSION = "2.0"'))
    _git(repo, "commit", "-q", "-am", "two")  # the tag still names the first commit (1.0)
    root = write_project(tmp_path / "demo", PLAIN)

    added = run_bale("add", f"git+{repo.as_uri()}@v1", "-i", server.url, cwd=root)
    assert added.code == 0, added
    assert [str(spec) for spec in read_project(root / "pyproject.toml").dependencies] == ["gitpkg"]
    assert f'gitpkg = {{ git = "{repo.as_uri()}", rev = "v1" }}' in (root / "pyproject.toml").read_text()
    package = locked(root)["gitpkg"]
    assert package["vcs"]["requested-revision"] == "v1"
    assert package["vcs"]["commit-id"] == commit
    assert dist_infos(root) == ["gitpkg-1.0", "lib-1.0"]

    tagged = run_bale("add", f"gitpkg @ git+{repo.as_uri()}", "--tag", "v1", "-i", server.url, cwd=root)
    assert tagged.code == 0, tagged
    text = (root / "pyproject.toml").read_text()
    assert f'gitpkg = {{ git = "{repo.as_uri()}", tag = "v1" }}' in text
    assert text.count("gitpkg") == 2
    assert locked(root)["gitpkg"]["vcs"]["commit-id"] == commit
