"""``bale import``: detection, --dry-run, --remove-old, errors naming the line, undo on failure; uv, pdm."""

from __future__ import annotations

from pathlib import Path

from tests.migrate.helpers import err, locked_versions, pyproject, universe, write


def _files(root: Path) -> list[str]:
    """The folder's files, without bale's own project lock (``.bale/``)."""
    return sorted(p.name for p in root.iterdir() if p.name != ".bale")


def test_dry_run_prints_the_pyproject_and_writes_nothing(run_bale, tmp_path: Path) -> None:
    root = write(
        tmp_path / "tool",
        {
            "requirements.txt": "requests==2.31.0  # pinned\nidna==2.9 --hash=sha256:" + "0" * 64 + "\n",
            "requirements/test.txt": "pytest>=7\n",
        },
    )
    result = run_bale("import", "--dry-run", cwd=root)
    assert result.code == 0, result
    assert result.stdout == (
        '[project]\nname = "tool"\nversion = "0.1.0"\ndependencies = [\n    "requests==2.31.0",\n'
        '    "idna==2.9",\n]\n\n[dependency-groups]\ntest = ["pytest>=7"]\n'
    )
    assert err(result, tmp_path) == (
        "Imported 2 dependencies and 1 dependency group from requirements (requirements.txt, "
        "requirements/test.txt)\n"
        "warning: note: requirements.txt: --hash options dropped: pylock.toml records every file's hash\n"
        "Would keep the 2 locked versions of requirements.txt where they still fit\n"
        "Dry run: nothing written\n"
    )
    assert _files(root) == ["requirements", "requirements.txt"]


def test_a_poetry_constraint_bale_cannot_read_names_its_line(run_bale, tmp_path: Path) -> None:
    root = write(
        tmp_path / "p",
        {
            "pyproject.toml": """
                [tool.poetry]
                name = "p"
                version = "1.0"

                [tool.poetry.dependencies]
                python = "^3.9"
                requests = "^two"
            """
        },
    )
    before = (root / "pyproject.toml").read_text()
    result = run_bale("import", cwd=root)
    assert result.code == 1, result
    assert err(result, tmp_path) == "error: pyproject.toml:7: requests: '^two': 'two' is not a version\n"
    assert (root / "pyproject.toml").read_text() == before
    assert not (root / "pylock.toml").exists()


def test_a_failed_lock_undoes_the_import(make_pkg, run_bale, static_index, tmp_path: Path) -> None:
    server = static_index(universe(make_pkg))
    root = write(tmp_path / "app", {"requirements.txt": f"--index-url {server.url}\nrequests>=99\n"})
    result = run_bale("import", cwd=root)
    assert result.code == 1, result
    assert "pyproject.toml was not changed: the import is undone" in result.stderr
    assert _files(root) == ["requirements.txt"]


def test_remove_old_deletes_the_old_files_after_the_lock(
    make_pkg, run_bale, static_index, tmp_path: Path
) -> None:
    server = static_index(universe(make_pkg))
    root = write(
        tmp_path / "app",
        {
            "requirements.txt": f"-i {server.url}\nrequests\n",
            "dev-requirements.txt": "-c constraints.txt\npytest\n",
            "constraints.txt": "pytest<8\n",
        },
    )
    result = run_bale("import", "--remove-old", cwd=root)
    assert result.code == 0, result
    data = pyproject(root)
    assert data["dependency-groups"] == {"dev": ["pytest"]}
    assert data["tool"]["bale"]["constraint-dependencies"] == ["pytest<8"]
    assert locked_versions(root)["pytest"] == "7.4.0"
    assert _files(root) == ["constraints.txt", "pylock.toml", "pyproject.toml"]
    assert "Removed requirements.txt\n" in result.stderr


def test_nothing_to_import(run_bale, tmp_path: Path) -> None:
    result = run_bale("import", cwd=tmp_path / "empty")
    assert result.code == 1
    assert err(result, tmp_path).startswith("error: Found nothing to import in [TMP]/empty\n")


def test_uv_project_keeps_its_tool_uv_and_uv_lock_versions(
    make_pkg, run_bale, static_index, tmp_path: Path
) -> None:
    server = static_index(universe(make_pkg))
    text = f"""
        [project]
        name = "u"
        version = "0.1.0"
        requires-python = ">=3.9"
        dependencies = ["requests"]

        [[tool.uv.index]]
        name = "internal"
        url = "{server.url}"
        default = true
    """
    lock = """
        version = 1
        requires-python = ">=3.9"

        [[package]]
        name = "idna"
        version = "2.9"
        source = { registry = "https://example.org/simple" }

        [[package]]
        name = "requests"
        version = "2.31.0"
        source = { registry = "https://example.org/simple" }

        [[package]]
        name = "u"
        version = "0.1.0"
        source = { virtual = "." }
    """
    root = write(tmp_path / "u", {"pyproject.toml": text, "uv.lock": lock})
    before = (root / "pyproject.toml").read_text()
    result = run_bale("import", cwd=root)
    assert result.code == 0, result
    assert (root / "pyproject.toml").read_text() == before
    assert locked_versions(root) == {"requests": "2.31.0", "idna": "2.9"}
    assert "Kept 2 of 2 locked versions from uv.lock" in result.stderr


def test_pdm_project(make_pkg, run_bale, static_index, tmp_path: Path) -> None:
    server = static_index(universe(make_pkg))
    text = f"""
        [project]
        name = "d"
        version = "0.1.0"
        requires-python = ">=3.9"
        dependencies = ["requests>=2"]

        [tool.pdm.dev-dependencies]
        test = ["pytest>=7"]

        [tool.pdm.resolution.overrides]
        idna = "2.9"

        [[tool.pdm.source]]
        name = "pypi"
        url = "{server.url}"
    """
    lock = '[[package]]\nname = "requests"\nversion = "2.31.0"\n\n'
    lock += '[[package]]\nname = "pytest"\nversion = "7.4.0"\n'
    root = write(tmp_path / "d", {"pyproject.toml": text, "pdm.lock": lock})
    result = run_bale("import", cwd=root)
    assert result.code == 0, result
    data = pyproject(root)
    assert data["dependency-groups"] == {"test": ["pytest>=7"]}
    assert data["tool"]["bale"]["override-dependencies"] == ["idna==2.9"]
    assert data["tool"]["bale"]["index"] == [{"name": "pypi", "url": server.url, "default": True}]
    assert data["tool"]["pdm"]["resolution"] == {"overrides": {"idna": "2.9"}}
    assert locked_versions(root) == {"requests": "2.31.0", "idna": "2.9", "pytest": "7.4.0"}


def test_uv_index_url_bale_refuses_becomes_named_indexes(
    make_pkg, run_bale, static_index, tmp_path: Path
) -> None:
    server = static_index(universe(make_pkg))
    extra = static_index([make_pkg("secret", "1.0", dest=tmp_path / "extra")])
    text = f"""
        [project]
        name = "u"
        version = "0.1.0"
        requires-python = ">=3.9"
        dependencies = ["requests", "secret"]

        [tool.uv]
        index-url = "{server.url}"
        extra-index-url = ["{extra.url}"]
        constraint-dependencies = ["requests<2.32"]
    """
    root = write(tmp_path / "u", {"pyproject.toml": text})
    assert run_bale("lock", cwd=root).code == 1  # bale will not guess where index-url sends packages
    result = run_bale("import", cwd=root)
    assert result.code == 0, result
    data = pyproject(root)
    assert data["tool"]["bale"] == {
        "constraint-dependencies": ["requests<2.32"],
        "index": [
            {"name": "index", "url": extra.url},
            {"name": "index-2", "url": server.url, "default": True},
        ],
    }
    assert data["tool"]["uv"]["index-url"] == server.url  # kept for uv
    assert locked_versions(root) == {"requests": "2.31.0", "idna": "3.7", "secret": "1.0"}


def test_every_locked_version_that_moved_is_listed_with_why(
    make_pkg, run_bale, static_index, tmp_path: Path
) -> None:
    server = static_index(universe(make_pkg))
    lock = (
        '[[package]]\nname = "requests"\nversion = "2.31.0"\n\n'
        '[[package]]\nname = "idna"\nversion = "2.8"\n\n'  # yanked from the index since
        '[[package]]\nname = "chardet"\nversion = "4.0.0"\n'  # requests no longer needs it
    )
    text = f"""
        [tool.poetry]
        name = "m"
        version = "1.0"

        [tool.poetry.dependencies]
        requests = "*"

        [[tool.poetry.source]]
        name = "internal"
        url = "{server.url}"
    """
    root = write(tmp_path / "m", {"pyproject.toml": text, "poetry.lock": lock})
    result = run_bale("import", cwd=root)
    assert result.code == 0, result
    assert (
        "Kept 1 of 3 locked versions from poetry.lock\n"
        "  chardet 4.0.0 -> (removed): no longer in the lock (nothing requires it)\n"
        "  idna 2.8 -> 3.7: the resolver chose another version (required by requests 2.31.0)\n"
    ) in result.stderr
