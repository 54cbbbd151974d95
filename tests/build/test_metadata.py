"""Source metadata: static PKG-INFO without a build, then the metadata hook, then a full build."""

from __future__ import annotations

import pytest
from packaging.metadata import parse_email

from bale.dist.build import is_static_metadata
from bale.errors import BaleError
from tests.build.conftest import BuildBed
from tests.build.helpers import in_tree_files, tar_sdist, write_tree
from tests.support.builders import Pkg, make_sdist


def _requires(metadata: bytes) -> list[str]:
    raw, _ = parse_email(metadata)
    return list(raw.get("requires_dist", []))


def test_static_pkg_info_is_read_without_building(bed: BuildBed) -> None:
    pkg = Pkg(
        "static-meta", "3.1", requires_dist=["six>=1", "attrs; extra == 'fancy'"], requires_python=">=3.8"
    )
    sdist = make_sdist(pkg, bed.root / "dist")
    builder = bed.builder()

    metadata = builder.source_metadata(sdist)

    assert metadata == pkg.metadata_text(metadata_version="2.2").encode()
    assert builder.stats.environments == 0
    assert builder.stats.backend_calls == 0
    assert builder.stats.static_metadata == 1
    assert any("no build" in line for line in bed.reporter.debugs)
    assert not bed.cache.temp_root.exists() or bed.leftovers() == []


def test_dynamic_dependencies_use_prepare_metadata_for_build_wheel(bed: BuildBed) -> None:
    files = {
        "PKG-INFO": """
            Metadata-Version: 2.2
            Name: dyn-deps
            Version: 1.0
            Dynamic: Requires-Dist
        """,
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "dyn-deps"
            version = "1.0"
            dynamic = ["dependencies"]
        """,
        # The requirement is computed when setup.py runs: only the backend can know it.
        "setup.py": """
            from setuptools import setup
            setup(install_requires=["six>=1.%d" % (10 + 6)], packages=["dyn_deps"])
        """,
        "dyn_deps/__init__.py": "",
    }
    sdist = tar_sdist(files, bed.root / "dist", "dyn_deps-1.0")
    builder = bed.builder()

    metadata = builder.source_metadata(sdist)

    assert _requires(metadata) == ["six>=1.16"]
    assert builder.stats.metadata_prepared == 1
    assert builder.stats.wheels_built == 0
    assert builder.stats.environments == 1
    # Kept in the cache by the sdist's sha256: a later run asks no backend.
    later = bed.builder()
    assert later.source_metadata(sdist) == metadata
    assert later.stats.backend_calls == 0
    assert bed.leftovers() == []


def test_old_metadata_version_is_not_trusted(bed: BuildBed) -> None:
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: old-meta\nVersion: 1.0\n",
        **in_tree_files("old_meta", requires=("attrs>=20",)),
    }
    sdist = tar_sdist(files, bed.root / "dist", "old_meta-1.0")
    builder = bed.builder()

    assert _requires(builder.source_metadata(sdist)) == ["attrs>=20"]
    assert builder.stats.metadata_prepared == 1


FAILING_BACKEND = """
    def _fail(*args, **kwargs):
        raise RuntimeError("this backend downloads its wheel at build time")
    build_wheel = build_sdist = prepare_metadata_for_build_wheel = _fail
"""


def test_a_static_project_table_is_read_without_building(bed: BuildBed) -> None:
    # PKG-INFO 2.1 proves nothing, but PEP 621 makes every field not in `dynamic` final.
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: Static_Proj\nVersion: 2.0.8\n",
        "pyproject.toml": """
            [build-system]
            requires = []
            build-backend = "failing"
            backend-path = ["."]

            [project]
            name = "Static_Proj"
            version = "2.0.8"
            requires-python = ">=3.9"
            dependencies = ["six>=1", "attrs; python_version < '3.12'"]
            dynamic = ["readme"]

            [project.optional-dependencies]
            Fancy = ["rich", "idna; os_name == 'nt'"]
        """,
        "failing.py": FAILING_BACKEND,
    }
    sdist = tar_sdist(files, bed.root / "dist", "static_proj-2.0.8")
    builder = bed.builder()

    metadata = builder.source_metadata(sdist)

    raw, _ = parse_email(metadata)
    assert (raw["name"], raw["version"], raw["requires_python"]) == ("Static_Proj", "2.0.8", ">=3.9")
    assert raw["provides_extra"] == ["fancy"]
    assert _requires(metadata) == [
        "six>=1",
        'attrs; python_version < "3.12"',
        'rich ; extra == "fancy"',
        'idna ; (os_name == "nt") and extra == "fancy"',
    ]
    assert builder.stats.backend_calls == 0 and builder.stats.static_metadata == 1
    assert any("static pyproject.toml (no build)" in line for line in bed.reporter.debugs)


@pytest.mark.parametrize(
    "project",
    [
        'name = "half"\nversion = "1.0"\ndynamic = ["dependencies"]',
        'name = "half"\ndynamic = ["version"]',
        'name = "half"\nversion = "1.0"\ndependencies = ["not a requirement!"]',
        'name = "half"\nversion = "1.0"\ndynamic = ["optional-dependencies"]',
    ],
)
def test_a_project_table_with_anything_dynamic_or_broken_goes_to_the_backend(
    bed: BuildBed, project: str
) -> None:
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: half\nVersion: 1.0\n",
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "failing"\nbackend-path = ["."]\n\n'
            f"[project]\n{project}\n"
        ),
        "failing.py": FAILING_BACKEND,
    }
    sdist = tar_sdist(files, bed.root / "dist", "half-1.0")

    with pytest.raises(BaleError, match=r"half-1\.0"):
        bed.builder().source_metadata(sdist)


def test_without_a_metadata_hook_the_wheel_is_built_once_for_metadata_and_install(bed: BuildBed) -> None:
    files = in_tree_files("no_meta_hook", requires=("six",), without=("prepare_metadata_for_build_wheel",))
    sdist = tar_sdist(files, bed.root / "dist", "no_meta_hook-1.0")
    builder = bed.builder()

    metadata = builder.source_metadata(sdist)

    assert _requires(metadata) == ["six"]
    assert builder.stats.wheels_built == 1
    calls = builder.stats.backend_calls
    wheel = builder.build_wheel(sdist)
    assert wheel.name == "no_meta_hook-1.0-py3-none-any.whl"
    assert builder.stats.backend_calls == calls
    assert builder.stats.wheels_built == 1


def test_source_tree_metadata_comes_from_its_backend_every_time(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "meta-tree",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "meta-tree"
                version = "0.1"
                dependencies = ["six>=1.5"]
            """,
            "meta_tree/__init__.py": "",
        },
    )
    builder = bed.builder()

    first = builder.source_metadata(tree)
    (tree / "pyproject.toml").write_text(
        (tree / "pyproject.toml").read_text().replace("six>=1.5", "six>=1.6"), encoding="utf-8"
    )
    second = builder.source_metadata(tree)

    assert _requires(first) == ["six>=1.5"]
    assert _requires(second) == ["six>=1.6"]
    assert builder.stats.metadata_prepared == 2


@pytest.mark.parametrize(
    ("text", "static"),
    [
        ("Metadata-Version: 2.2\nName: a\nVersion: 1\nRequires-Dist: b\n", True),
        ("Metadata-Version: 2.4\nName: a\nVersion: 1\nDynamic: Summary\n", True),
        ("Metadata-Version: 2.1\nName: a\nVersion: 1\n", False),
        ("Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Requires-Dist\n", False),
        ("Metadata-Version: 2.3\nName: a\nVersion: 1\nDynamic: requires-python\n", False),
        ("Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Provides-Extra\n", False),
        ("Metadata-Version: 2.2\nName: a\n", False),
        ("Metadata-Version: banana\nName: a\nVersion: 1\n", False),
    ],
)
def test_is_static_metadata(text: str, static: bool) -> None:
    assert is_static_metadata(text.encode()) is static


def test_metadata_without_isolation_runs_in_the_given_environment(bed: BuildBed) -> None:
    tree = write_tree(bed.root / "plain", in_tree_files("plain", requires=("six",)))
    builder = bed.builder(environment=bed.venv())

    assert _requires(builder.source_metadata(tree, isolation=False)) == ["six"]
    assert builder.stats.environments == 0
    assert builder.stats.metadata_prepared == 1


def test_a_failing_metadata_hook_says_so(bed: BuildBed) -> None:
    files = in_tree_files("badmeta")
    files["bale_test_backend.py"] += (
        "\n\ndef prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):\n"
        "    raise KeyError('version')\n"
    )
    sdist = tar_sdist({"PKG-INFO": "Metadata-Version: 2.1\n", **files}, bed.root / "dist", "badmeta-1.0")

    with pytest.raises(BaleError) as caught:
        bed.builder().source_metadata(sdist)

    assert caught.value.message == "Failed to prepare the metadata of badmeta-1.0.tar.gz"
    assert "  | KeyError: 'version'" in caught.value.context
    assert bed.leftovers() == []
    assert list((bed.cache.bucket_path("builds") / "badmeta").glob("*/METADATA")) == []
