"""Index priority as the help states it, and ``--index-strategy`` (uv's three strategies), for the pip
interface and projects (``[tool.bale] index-strategy``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.conftest import make_stdlib_venv
from tests.sources.helpers import dist_infos, locked, write_project
from tests.support.cli import BaleRunner
from tests.support.servers import StaticIndexServer


def _served(server: StaticIndexServer, filename: str) -> bool:
    return any(r.path == f"/files/{filename}" and r.status == 200 for r in server.requests)


def _asked(server: StaticIndexServer, name: str) -> bool:
    return any(r.path.startswith(f"/simple/{name}") for r in server.requests)


def _pins(output: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9-]+)==(\S+)", output, flags=re.M))


@pytest.fixture
def two_indexes(make_pkg, static_index) -> tuple[StaticIndexServer, StaticIndexServer]:
    """``extra`` has shared 1.0 and 1.5; ``default`` has shared 1.5 (another file) and 2.0."""
    extra = static_index([make_pkg("shared", "1.0"), make_pkg("shared", "1.5")])
    other_15 = make_pkg("shared", "1.5", dest=make_pkg.dir / "default", summary="the default index's")
    default = static_index([other_15, make_pkg("shared", "2.0"), make_pkg("only-default", "1.0")])
    return extra, default


def test_the_help_states_the_order_that_install_follows(
    make_pkg, static_index, run_bale: BaleRunner, tmp_path: Path
) -> None:
    text = " ".join(run_bale("pip", "install", "--help").stdout.split())
    sentence = re.search(r"Indexes are searched in this order: (.*?)\. With", text)
    assert sentence is not None, text
    assert sentence.group(1) == (
        "each --extra-index-url as given, then the project's [[tool.bale.index]] entries, then --index-url"
    )
    assert (
        "With --index-strategy first-index (the default) the first index that has a package gives all "
        "of its versions." in text
    )
    order = re.findall(r"--(?:extra-)?index-url", sentence.group(1))
    assert order == ["--extra-index-url", "--index-url"]

    # Three indexes with shared at three versions: the one the help puts first wins, alone.
    first_extra = static_index([make_pkg("shared", "1.0")])
    second_extra = static_index([make_pkg("shared", "3.0")])
    main_index = static_index([make_pkg("shared", "2.0")])
    venv = make_stdlib_venv(tmp_path / "venv")
    result = run_bale(
        "pip", "install", "shared",
        "-i", main_index.url,
        "--extra-index-url", first_extra.url,
        "--extra-index-url", second_extra.url,
        virtual_env=venv.root,
    )  # fmt: skip
    assert result.code == 0, result
    assert venv.dist_infos() == ["shared-1.0.dist-info"]
    assert _served(first_extra, "shared-1.0-py3-none-any.whl")
    # first-index: the other indexes are never asked for shared, so they cannot shadow it.
    assert not _asked(second_extra, "shared") and not _asked(main_index, "shared")


@pytest.mark.parametrize(
    ("strategy", "requirement", "version", "from_extra"),
    [
        ("first-index", "shared", "1.5", True),
        ("unsafe-first-match", "shared", "1.5", True),
        ("unsafe-best-match", "shared", "2.0", False),
        ("unsafe-first-match", "shared>=2", "2.0", False),
        ("unsafe-best-match", "shared>=2", "2.0", False),
        # 1.5 is on both indexes: its file comes from the index searched first.
        ("unsafe-best-match", "shared==1.5", "1.5", True),
    ],
)
def test_pip_install_follows_the_index_strategy(
    two_indexes, run_bale: BaleRunner, tmp_path: Path, strategy: str, requirement: str, version: str,
    from_extra: bool,
) -> None:  # fmt: skip
    extra, default = two_indexes
    venv = make_stdlib_venv(tmp_path / "venv")
    args = ("pip", "install", requirement, "-i", default.url, "--extra-index-url", extra.url)
    result = run_bale(*args, "--index-strategy", strategy, virtual_env=venv.root)
    assert result.code == 0, result
    assert venv.dist_infos() == [f"shared-{version}.dist-info"]
    wheel = f"shared-{version}-py3-none-any.whl"
    assert _served(extra if from_extra else default, wheel)
    assert not _served(default if from_extra else extra, wheel)
    if strategy == "first-index":
        assert not _asked(default, "shared")


def test_first_index_does_not_look_further_and_the_environment_variable_chooses(
    two_indexes, run_bale: BaleRunner, tmp_path: Path
) -> None:
    extra, default = two_indexes
    venv = make_stdlib_venv(tmp_path / "venv")
    args = ("pip", "install", "shared>=2", "-i", default.url, "--extra-index-url", extra.url)
    refused = run_bale(*args, virtual_env=venv.root)
    assert refused.code == 1, refused
    assert "shared" in refused.stderr and "Traceback" not in refused.stderr
    assert venv.dist_infos() == []
    assert not _asked(default, "shared")

    allowed = run_bale(*args, virtual_env=venv.root, env={"BALE_INDEX_STRATEGY": "unsafe-first-match"})
    assert allowed.code == 0, allowed
    assert venv.dist_infos() == ["shared-2.0.dist-info"]

    bad = run_bale(*args, virtual_env=venv.root, env={"BALE_INDEX_STRATEGY": "best"})
    assert bad.code == 1, bad
    assert bad.stderr.splitlines()[0] == "error: Invalid index strategy 'best' in BALE_INDEX_STRATEGY"


def test_pip_compile_follows_the_index_strategy(two_indexes, run_bale: BaleRunner, tmp_path: Path) -> None:
    extra, default = two_indexes
    source = tmp_path / "requirements.in"
    source.write_text("shared\nonly-default\n")
    found = {}
    for strategy in ("first-index", "unsafe-first-match", "unsafe-best-match"):
        result = run_bale(
            "pip", "compile", source, "-i", default.url, "--extra-index-url", extra.url,
            "--index-strategy", strategy, "--no-header", "--no-annotate",
        )  # fmt: skip
        assert result.code == 0, result
        found[strategy] = _pins(result.stdout)
    assert found == {
        "first-index": {"shared": "1.5", "only-default": "1.0"},
        "unsafe-first-match": {"shared": "1.5", "only-default": "1.0"},
        "unsafe-best-match": {"shared": "2.0", "only-default": "1.0"},
    }


def _project(root: Path, extra: StaticIndexServer, default: StaticIndexServer, setting: str) -> Path:
    return write_project(
        root,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = "{{python}}"
        dependencies = ["shared"]

        [tool.bale]
        {setting}

        [[tool.bale.index]]
        name = "extra"
        url = "{extra.url}"

        [[tool.bale.index]]
        name = "main"
        url = "{default.url}"
        default = true
        """,
    )


def test_a_project_sets_its_index_strategy_and_the_command_line_overrides_it(
    two_indexes, run_bale: BaleRunner, tmp_path: Path
) -> None:
    extra, default = two_indexes
    root = _project(tmp_path / "demo", extra, default, 'index-strategy = "unsafe-best-match"')
    synced = run_bale("sync", cwd=root)
    assert synced.code == 0, synced
    assert (locked(root)["shared"]["version"], locked(root)["shared"]["index"]) == ("2.0", default.url)
    assert dist_infos(root) == ["shared-2.0"]
    assert "index-strategy" not in synced.stderr  # a known key: no warning

    # The command line wins over the project: the default index is not asked, so 2.0 is out of reach.
    relocked = run_bale("lock", "--index-strategy", "first-index", cwd=root)
    assert relocked.code == 0, relocked
    assert (locked(root)["shared"]["version"], locked(root)["shared"]["index"]) == ("1.5", extra.url)

    # The setting is a resolution input: changing it makes the lock stale.
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("unsafe-best-match", "unsafe-first-match"))
    stale = run_bale("lock", "--check", cwd=root)
    assert stale.code == 1, stale
    assert "index-strategy" in stale.stderr

    pyproject.write_text(pyproject.read_text().replace("unsafe-first-match", "newest"))
    invalid = run_bale("lock", cwd=root)
    assert invalid.code == 1, invalid
    first = invalid.stderr.splitlines()[0]
    assert first == f"error: Invalid index strategy 'newest' in {pyproject} [tool.bale]"
