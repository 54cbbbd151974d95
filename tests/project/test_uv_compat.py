"""A uv project works unchanged: bale reads ``[tool.uv]`` where ``[tool.bale]`` is absent, refuses what
it cannot honour (never a quiet fall-back to an index), and warns about unknown keys with a guess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.sources.helpers import dist_infos, local_package, locked, read_lock, site_packages, write_project
from tests.support.cli import Result, scrub
from tests.support.index import build_simple_tree, file_index_url

# The test environment's own uv (installed beside its Python), else one on PATH.
_BESIDE = Path(sys.executable).parent / "uv"
UV = str(_BESIDE) if _BESIDE.is_file() else shutil.which("uv")
needs_uv = pytest.mark.skipif(UV is None, reason="needs the uv binary")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")

OLD = datetime(2020, 1, 1, tzinfo=timezone.utc)
NEW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _index(tmp_path: Path, name: str, files: list[Path], *, new: tuple[Path, ...] = ()) -> str:
    """A ``file://`` index of ``files``, uploaded in 2020 except ``new`` ones (2025)."""
    times = {f.name: NEW if f in new else OLD for f in files}
    return file_index_url(build_simple_tree(files, tmp_path / name, upload_times=times))


def _stderr(result: Result, tmp_path: Path) -> str:
    return scrub(result.stderr, {tmp_path: "[TMP]"})


# ---------------------------------------------------------------------------------------------- reading


def test_tool_uv_is_read_where_tool_bale_is_absent(make_pkg, run_bale, tmp_path: Path) -> None:
    too_new = make_pkg("fresh", "2.0")
    public = _index(
        tmp_path,
        "public",
        [
            make_pkg("lib", "1.0", requires_dist=["dep<1"]),
            make_pkg("lib", "2.0"),
            make_pkg("dep", "0.5"),
            make_pkg("dep", "2.0"),
            make_pkg("pre", "1.0"),
            make_pkg("pre", "2.0b1"),
            make_pkg("pinned", "9.0"),
            make_pkg("devtool", "1.0"),
            make_pkg("doctool", "1.0"),
            make_pkg("fresh", "1.0"),
            too_new,
        ],
        new=(too_new,),
    )
    private = _index(tmp_path, "private", [make_pkg("pinned", "1.0")])
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["lib", "pre", "pinned", "fresh"]

        [dependency-groups]
        docs = ["doctool"]

        [tool.uv]
        dev-dependencies = ["devtool"]
        constraint-dependencies = ["lib<2"]
        override-dependencies = ["dep>=2"]
        exclude-newer = "2024-01-01T00:00:00Z"
        prerelease = "allow"
        default-groups = ["docs"]
        environments = ["sys_platform == 'linux' or sys_platform != 'linux'"]

        [[tool.uv.index]]
        name = "public"
        url = "{public}"
        default = true

        [[tool.uv.index]]
        name = "private"
        url = "{private}"
        explicit = true

        [tool.uv.sources]
        pinned = {{ index = "private" }}
        """,
    )
    result = run_bale("sync", cwd=root)
    assert result.code == 0, result
    assert _stderr(result, tmp_path).splitlines()[0] == (
        "bale: reading [tool.uv] of [TMP]/demo/pyproject.toml (no [tool.bale] table): dev-dependencies, "
        "constraint-dependencies, override-dependencies, exclude-newer, prerelease, default-groups, "
        "environments, index, sources"
    )
    assert read_lock(root)["environments"] == ['sys_platform == "linux" or sys_platform != "linux"']
    packages = locked(root)
    versions = {name: package.get("version") for name, package in packages.items()}
    assert versions == {
        "lib": "1.0",  # constraint-dependencies
        "dep": "2.0",  # override-dependencies beat lib 1.0's dep<1
        "pre": "2.0b1",  # prerelease = "allow"
        "fresh": "1.0",  # exclude-newer
        "pinned": "1.0",  # from the explicit index its source names, never the default one's 9.0
        "devtool": "1.0",  # dev-dependencies: the dev group
        "doctool": "1.0",
    }
    assert packages["pinned"]["index"] == private
    assert packages["devtool"]["marker"] == '"dev" in dependency_groups'
    # default-groups = ["docs"]: the dev group is locked but not installed.
    assert dist_infos(root) == ["dep-2.0", "doctool-1.0", "fresh-1.0", "lib-1.0", "pinned-1.0", "pre-2.0b1"]


def test_a_uv_path_source_is_locked_from_the_path_never_from_the_index(
    make_pkg, run_bale, tmp_path: Path
) -> None:
    """The trap: an index that has a package of the same name must not win over the path."""
    impostor = _index(tmp_path, "public", [make_pkg("mylib", "99.0")])
    # A dependency's own [tool.uv] is not the project's: nothing is said about it.
    local_package(tmp_path / "mylib", "mylib", "0.5", extra='[tool.uv]\ndev-dependencies = ["pytest"]\n')
    root = write_project(
        tmp_path / "demo",
        """
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["mylib"]

        [tool.uv.sources]
        mylib = { path = "../mylib" }
        """,
    )
    result = run_bale("sync", "-i", impostor, cwd=root)
    assert result.code == 0, result
    assert locked(root)["mylib"] == {"name": "mylib", "directory": {"path": "../mylib"}}
    assert dist_infos(root) == ["mylib-0.5"]
    notes = [line for line in _stderr(result, tmp_path).splitlines() if line.startswith(("bale:", "warning"))]
    assert notes == ["bale: reading [tool.uv] of [TMP]/demo/pyproject.toml (no [tool.bale] table): sources"]


def test_uv_sources_editable_git_url_and_marker_forms_are_honoured(
    make_pkg, run_bale, tmp_path: Path
) -> None:
    index = _index(tmp_path, "public", [make_pkg("mylib", "99.0"), make_pkg("wheeled", "99.0")])
    local_package(tmp_path / "mylib", "mylib", "0.5")
    wheel = make_pkg("wheeled", "3.0", dest=tmp_path / "wheels")
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["mylib; sys_platform == 'linux'", "wheeled"]

        [tool.uv.sources]
        mylib = {{ path = "../mylib", editable = true, marker = "sys_platform == 'linux'" }}
        wheeled = [{{ url = "{wheel.as_uri()}" }}]
        """,
    )
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 0, result
    packages = locked(root)
    assert packages["mylib"]["directory"] == {"path": "../mylib", "editable": True}
    assert packages["mylib"]["marker"] == "sys_platform == 'linux'"
    assert packages["wheeled"]["version"] == "3.0"
    assert packages["wheeled"]["archive"]["path"] == f"../wheels/{wheel.name}"


@needs_git
def test_a_uv_git_source_with_a_tag_is_locked_at_its_commit(make_pkg, run_bale, tmp_path: Path) -> None:
    repo = local_package(tmp_path / "repo", "gitpkg", "1.0")

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=bale", "-c", "user.email=bale@example.invalid", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    git("tag", "v1")
    commit = git("rev-parse", "HEAD")
    index = _index(tmp_path, "public", [make_pkg("gitpkg", "99.0")])
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["gitpkg"]

        [tool.uv.sources]
        gitpkg = {{ git = "{repo.as_uri()}", tag = "v1" }}
        """,
    )
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 0, result
    package = locked(root)["gitpkg"]
    assert package["version"] == "1.0"
    assert package["vcs"] == {
        "type": "git",
        "url": repo.as_uri(),
        "requested-revision": "v1",
        "commit-id": commit,
    }


def test_a_uv_workspace_is_read_with_its_members_and_exclusions(make_pkg, run_bale, tmp_path: Path) -> None:
    index = _index(tmp_path, "public", [make_pkg("lib", "1.0"), make_pkg("core", "99.0")])
    root = write_project(
        tmp_path / "ws",
        """
        [project]
        name = "app"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["core"]

        [tool.uv.workspace]
        members = ["packages/*"]
        exclude = ["packages/old"]

        [tool.uv.sources]
        core = { workspace = true }
        """,
    )
    local_package(root / "packages" / "core", "core", "0.1", requires=("lib",))
    (root / "packages" / "old").mkdir()  # no pyproject.toml: an error unless excluded
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 0, result
    packages = locked(root)
    assert packages["core"]["directory"] == {"path": "packages/core", "editable": True}
    assert sorted(packages) == ["core", "lib"]  # app is virtual; core is the member, not the index's 99.0
    assert _stderr(result, tmp_path) == (
        "bale: reading [tool.uv] of [TMP]/ws/pyproject.toml (no [tool.bale] table): workspace, sources\n"
        "Resolved 2 packages in [TIME]\n"
    )


# ---------------------------------------------------------------------------------------------- refusing


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (
            'mylib = { path = "../mylib", package = false }',
            "error: [TMP]/demo/pyproject.toml: tool.uv.sources.mylib.package: bale cannot honour this key "
            "of a path source (bale builds every path dependency as a package); remove it, or the source\n",
        ),
        (
            'mylib = [{ path = "../mylib", marker = "sys_platform == \'linux\'" },'
            ' { index = "other", marker = "sys_platform != \'linux\'" }]',
            "error: [TMP]/demo/pyproject.toml: tool.uv.sources.mylib: bale does not support a list of 2 "
            "sources (one per marker, extra or group): it takes a package from one source wherever it is "
            "required; give it one source\n",
        ),
        (
            'mylib = { index = "nowhere" }',
            "error: [TMP]/demo/pyproject.toml: tool.uv.sources.mylib.index: no index named 'nowhere' "
            "(indexes defined: none)\n"
            "hint: define it with [[tool.uv.index]] name = ..., url = ...\n",
        ),
        (
            'mylib = { path = "../mylib", marker = "sys_platform == \'linux\'" }',
            "error: [TMP]/demo/pyproject.toml: tool.uv.sources.mylib.marker: the source applies only where "
            '`sys_platform == "linux"`, but mylib is required everywhere (at '
            "[TMP]/demo/pyproject.toml:5); bale takes a package from one source in every environment, "
            "never from an index where the marker does not hold\n"
            "hint: give the requirement the same marker, or drop the source's marker\n",
        ),
        (
            'mylib = { path = "../mylib", extra = "fast" }',
            "error: [TMP]/demo/pyproject.toml: tool.uv.sources.mylib.extra: bale cannot honour this key of "
            "a path source (bale takes a package from one source for every extra); remove it, or the "
            "source\n",
        ),
    ],
    ids=["package-key", "list-of-sources", "undefined-index", "partial-marker", "per-extra"],
)
def test_a_uv_source_bale_cannot_honour_is_an_error_and_nothing_is_locked(
    sources: str, expected: str, make_pkg, run_bale, tmp_path: Path
) -> None:
    index = _index(tmp_path, "public", [make_pkg("mylib", "99.0")])
    local_package(tmp_path / "mylib", "mylib", "0.5")
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["mylib"]

        [tool.uv.sources]
        {sources}
        """,
    )
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 1, result
    assert _stderr(result, tmp_path).endswith(expected)
    assert "Traceback" not in result.stderr
    assert not (root / "pylock.toml").exists()


def test_a_tool_uv_index_url_is_refused_not_ignored(make_pkg, run_bale, tmp_path: Path) -> None:
    index = _index(tmp_path, "public", [make_pkg("lib", "1.0")])
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["lib"]

        [tool.uv]
        extra-index-url = ["{index}"]
        """,
    )
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 1, result
    assert _stderr(result, tmp_path) == (
        "error: [TMP]/demo/pyproject.toml: tool.uv.extra-index-url: bale does not support this key, and "
        "without it packages would come from other indexes than the project names: move each URL to a "
        "[[tool.uv.index]] entry, which bale reads\n"
    )
    assert not (root / "pylock.toml").exists()


# ---------------------------------------------------------------------------------------------- unknown keys


def test_tool_bale_wins_over_tool_uv_and_says_what_it_ignores(make_pkg, run_bale, tmp_path: Path) -> None:
    index = _index(tmp_path, "public", [make_pkg("lib", "1.0"), make_pkg("lib", "2.0")])
    root = write_project(
        tmp_path / "demo",
        """
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["lib"]

        [tool.bale]
        constraint-dependencies = ["lib<2"]

        [tool.uv]
        constraint-dependencies = ["lib<1.5", "lib>1.5"]
        cache-keys = [{ file = "x" }]
        """,
    )
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 0, result
    assert locked(root)["lib"]["version"] == "1.0"
    assert _stderr(result, tmp_path).splitlines()[0] == (
        "bale: [tool.bale] of [TMP]/demo/pyproject.toml wins over [tool.uv]; ignoring [tool.uv] keys: "
        "constraint-dependencies, cache-keys"
    )

    # Ignoring a source or an index changes where packages come from: that is a warning.
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace('cache-keys = [{ file = "x" }]', "sources = {}"))
    result = run_bale("lock", "-i", index, cwd=root)
    assert result.code == 0, result
    assert _stderr(result, tmp_path).splitlines()[0] == (
        "warning: [tool.bale] of [TMP]/demo/pyproject.toml wins over [tool.uv]; ignoring [tool.uv] keys: "
        "constraint-dependencies, sources"
    )


def test_unknown_keys_are_warned_about_with_a_guess(make_pkg, run_bale, tmp_path: Path) -> None:
    index = _index(tmp_path, "public", [make_pkg("lib", "1.0")])
    local_package(tmp_path / "mylib", "mylib", "0.5")
    demo = write_project(
        tmp_path / "demo",
        """
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["lib"]

        [tool.bale]
        soruces = { lib = { path = "../mylib" } }
        frobnicate = true
        """,
    )
    result = run_bale("lock", "-i", index, cwd=demo)
    assert result.code == 0, result
    assert _stderr(result, tmp_path).splitlines()[:2] == [
        "warning: unknown key 'soruces' in [tool.bale] of [TMP]/demo/pyproject.toml; did you mean 'sources'?",
        "warning: unknown key 'frobnicate' in [tool.bale] of [TMP]/demo/pyproject.toml (ignored)",
    ]
    assert locked(demo)["lib"]["version"] == "1.0"

    uv = write_project(
        tmp_path / "uvdemo",
        """
        [project]
        name = "uvdemo"
        version = "0.1.0"
        requires-python = "{python}"
        dependencies = ["lib"]

        [tool.uv]
        exclude-neewr = "2024-01-01"
        conflicts = []
        """,
    )
    result = run_bale("lock", "-i", index, cwd=uv)
    assert result.code == 0, result
    assert _stderr(result, tmp_path).splitlines()[:2] == [
        "warning: bale does not support these [tool.uv] keys of [TMP]/uvdemo/pyproject.toml and ignores "
        "them: conflicts",
        "warning: unknown key 'exclude-neewr' in [tool.uv] of [TMP]/uvdemo/pyproject.toml; did you mean "
        "'exclude-newer'?",
    ]


# ---------------------------------------------------------------------------------------------- uv itself


def _uv_env(tmp_path: Path) -> dict[str, str]:
    """uv kept off the network and off the machine's configuration.

    Not ``UV_NO_CONFIG``: it also makes uv skip the ``[tool.uv]`` settings of the project's own
    pyproject.toml (its indexes), which are what this test is about; the user and system uv.toml are
    kept away by pointing the XDG folders into ``tmp_path`` instead.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "PYTHON", "PIP_"))}
    env.update(
        {
            "HOME": str(tmp_path / "uv-home"),
            "XDG_CONFIG_HOME": str(tmp_path / "uv-home" / "config"),
            "XDG_CONFIG_DIRS": str(tmp_path / "uv-home" / "config"),
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
            "UV_OFFLINE": "1",
            "UV_PYTHON": sys.executable,
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
            "UV_LINK_MODE": "copy",
        }
    )
    return env


def _uv(env: dict[str, str], cwd: Path, *args: str) -> str:
    assert UV is not None
    done = subprocess.run([UV, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"uv {' '.join(args)}\n{done.stdout}{done.stderr}"
    return done.stderr


def _installed(site: Path) -> set[str]:
    """``name==version`` of every distribution in a site-packages folder."""
    found = set()
    for info in site.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").split("-", 1)
        found.add(f"{canonicalize_name(name)}=={version}")
    return found


@needs_uv
def test_a_project_made_by_uv_init_and_uv_add_syncs_the_same_set_with_bale(
    make_pkg, run_bale, tmp_path: Path
) -> None:
    private = _index(
        tmp_path,
        "private",
        [make_pkg("lib", "1.0", requires_dist=["dep"]), make_pkg("lib", "2.0", requires_dist=["dep"])],
    )
    public = _index(
        tmp_path,
        "public",
        [
            make_pkg("lib", "9.0"),  # never seen: the private index, listed first, has lib
            make_pkg("dep", "1.0"),
            make_pkg("dep", "1.5"),
            make_pkg("devtool", "3.0"),
            make_pkg("mylib", "99.0", requires_dist=["evil"]),  # a different mylib than ../mylib
        ],
    )
    local_package(tmp_path / "mylib", "mylib", "0.5", requires=("dep",))
    env = _uv_env(tmp_path)
    _uv(
        env,
        tmp_path,
        "init",
        "demo",
        "--app",
        "--no-package",
        "--vcs",
        "none",
        "--no-readme",
        "--author-from",
        "none",
    )
    root = tmp_path / "demo"
    _uv(env, root, "add", "--index", f"private={private}", "--default-index", public, "lib")
    _uv(env, root, "add", "--dev", "devtool")
    _uv(env, root, "add", "../mylib")
    pyproject = (root / "pyproject.toml").read_text()
    assert "[[tool.uv.index]]" in pyproject and "[tool.uv.sources]" in pyproject, pyproject
    assert 'mylib = { path = "../mylib" }' in pyproject, pyproject
    assert "[dependency-groups]" in pyproject, pyproject
    shutil.rmtree(root / ".venv")  # made by `uv add`: bale makes its own
    _uv({**env, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "uv-venv")}, root, "sync", "--locked")

    locked_ = run_bale("lock", cwd=root)
    assert locked_.code == 0, locked_
    assert locked(root)["mylib"]["directory"] == {"path": "../mylib"}
    assert locked(root)["lib"]["index"] == private
    synced = run_bale("sync", cwd=root)
    assert synced.code == 0, synced
    by_uv = _installed(next((tmp_path / "uv-venv" / "lib").glob("python3*/site-packages")))
    by_bale = _installed(site_packages(root))
    assert by_bale == by_uv == {"dep==1.5", "devtool==3.0", "lib==2.0", "mylib==0.5"}


def test_bale_add_in_a_uv_project_writes_tool_uv_sources(make_pkg, run_bale, tmp_path: Path) -> None:
    """A [tool.bale] table written by `bale add` would hide the project's uv index and sources."""
    public = _index(tmp_path, "public", [make_pkg("lib", "1.0"), make_pkg("mylib", "99.0")])
    local_package(tmp_path / "mylib", "mylib", "0.5")
    root = write_project(
        tmp_path / "demo",
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["lib"]

        [[tool.uv.index]]
        name = "public"
        url = "{public}"
        default = true
        """,
    )
    result = run_bale("add", "../mylib", cwd=root)
    assert result.code == 0, result
    text = (root / "pyproject.toml").read_text()
    assert "[tool.bale" not in text
    assert text.endswith('\n[tool.uv.sources]\nmylib = { path = "../mylib" }\n'), text
    packages = locked(root)
    assert packages["mylib"]["directory"] == {"path": "../mylib"}
    assert packages["lib"]["index"] == public
    assert dist_infos(root) == ["lib-1.0", "mylib-0.5"]

    removed = run_bale("remove", "mylib", cwd=root)
    assert removed.code == 0, removed
    assert "mylib" not in (root / "pyproject.toml").read_text()


# ---------------------------------------------------------------------------------------------- in memory


def test_uv_forms_that_change_nothing_are_accepted_and_paths_become_file_urls(tmp_path: Path) -> None:
    from bale.model.names import normalize
    from bale.project.model import GitSource, Index, WorkspaceSource, read_project

    root = write_project(
        tmp_path / "demo",
        """
        [project]
        name = "demo"
        version = "0.1.0"

        [[tool.uv.index]]
        url = "../wheels/simple"
        default = true
        authenticate = "never"

        [tool.uv.sources]
        tool = { git = "https://host/tool.git", branch = "main", lfs = false }
        member = { workspace = true, editable = true, marker = "python_version >= '3.9'" }
        """,
    )
    settings = read_project(root / "pyproject.toml").settings
    assert settings.table == "tool.uv"
    assert settings.indexes == (Index("", (tmp_path / "wheels" / "simple").as_uri(), default=True),)
    assert settings.sources[normalize("tool")] == GitSource("https://host/tool.git", branch="main")
    member = settings.sources[normalize("member")]
    assert isinstance(member, WorkspaceSource) and str(member.marker) == 'python_version >= "3.9"'
    assert [notice.text for notice in settings.notices] == [
        f"bale: reading [tool.uv] of {root / 'pyproject.toml'} (no [tool.bale] table): index, sources",
        f"{root / 'pyproject.toml'}: tool.uv.index[0]: bale ignores authenticate",
    ]
