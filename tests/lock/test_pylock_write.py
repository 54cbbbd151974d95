"""lock/pylock.py write_pylock: valid PEP 751, deterministic, credential-free, refusing unsafe input."""

# The expected lock file text has long lines, as real lock files do.
# ruff: noqa: E501

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from packaging.pylock import PackageArchive, PackageDirectory, PackageVcs, PackageWheel
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.errors import BaleError
from bale.lock.pylock import (
    DependencyRef,
    LockedPackage,
    LockInput,
    files_from_index,
    strip_credentials,
    write_pylock,
)
from bale.model.dists import FileKind, IndexFile
from tests.lock.helpers import (
    FILES,
    INDEX,
    UPLOADED,
    digest,
    load,
    pure,
    sample_input,
    sample_packages,
    sdist,
    tomllib,
    wheel,
    write_and_load,
)

SMALL = """\
lock-version = "1.0"
requires-python = ">=3.9"
extras = ["fast"]
dependency-groups = ["dev"]
default-groups = ["dev"]
created-by = "bale"

[[packages]]
name = "attrs"
version = "25.1.0"
requires-python = ">=3.8"
index = "https://pypi.example.org/simple"
sdist = {{ name = "attrs-25.1.0.tar.gz", url = "https://files.example.org/packages/attrs-25.1.0.tar.gz", size = 500, hashes = {{ sha256 = "{attrs_sdist}" }} }}
wheels = [
    {{ name = "attrs-25.1.0-py3-none-any.whl", upload-time = 2025-01-25T11:30:10.164985Z, url = "https://files.example.org/packages/attrs-25.1.0-py3-none-any.whl", size = 1000, hashes = {{ sha256 = "{attrs_wheel}" }} }},
]

[[packages]]
name = "pytest"
version = "8.3.0"
marker = "'dev' in dependency_groups"
dependencies = [
    {{ name = "attrs" }},
]
index = "https://pypi.example.org/simple"
sdist = {{ name = "pytest-8.3.0.tar.gz", url = "https://files.example.org/packages/pytest-8.3.0.tar.gz", size = 500, hashes = {{ sha256 = "{pytest_sdist}" }} }}
wheels = [
    {{ name = "pytest-8.3.0-py3-none-any.whl", upload-time = 2025-01-25T11:30:10.164985Z, url = "https://files.example.org/packages/pytest-8.3.0-py3-none-any.whl", size = 1000, hashes = {{ sha256 = "{pytest_wheel}" }} }},
]

[tool.bale]
fingerprint = "sha256:0123"
forks = ["python_full_version < '3.10'", "python_full_version >= '3.10'"]

[tool.bale.inputs]
requires-python = ">=3.9"

[tool.bale.inputs.project]
dependencies = ["attrs>=25"]

[tool.bale.project]
name = "demo"
version = "0.1.0"
"""


def test_small_lock_reads_as_expected() -> None:
    lock = LockInput(
        (
            pure(
                "pytest", "8.3.0", marker="'dev' in dependency_groups", dependencies=(DependencyRef("attrs"),)
            ),
            pure("attrs", "25.1.0", requires_python=">=3.8"),
        ),
        requires_python=">=3.9",
        extras=("fast",),
        dependency_groups=("dev",),
        default_groups=("dev",),
        project_name="demo",
        project_version="0.1.0",
    )
    text = write_pylock(
        lock,
        tool_bale={
            "inputs": {"project": {"dependencies": ["attrs>=25"]}, "requires-python": ">=3.9"},
            "fingerprint": "sha256:0123",
            "forks": ["python_full_version < '3.10'", "python_full_version >= '3.10'"],
        },
    )
    assert text == SMALL.format(
        attrs_sdist=digest("attrs-25.1.0.tar.gz"),
        attrs_wheel=digest("attrs-25.1.0-py3-none-any.whl"),
        pytest_sdist=digest("pytest-8.3.0.tar.gz"),
        pytest_wheel=digest("pytest-8.3.0-py3-none-any.whl"),
    )


def test_written_lock_validates_and_keeps_every_value() -> None:
    pylock = write_and_load(sample_input(environments=("sys_platform == 'linux'", "sys_platform == 'win32'")))
    assert str(pylock.lock_version) == "1.0"
    assert pylock.created_by == "bale"
    assert str(pylock.requires_python) == ">=3.9"
    assert list(pylock.extras or ()) == ["fast"]
    assert list(pylock.dependency_groups or ()) == ["dev"]
    assert list(pylock.default_groups or ()) == []
    assert [str(marker) for marker in pylock.environments or ()] == [
        'sys_platform == "linux"',
        'sys_platform == "win32"',
    ]
    entries = [(p.name, str(p.version), str(p.marker) if p.marker else None) for p in pylock.packages]
    assert entries == [
        ("app-lib", "1.0", None),
        ("colorama", "0.4.6", 'sys_platform == "win32"'),
        ("numpy", "1.26.4", 'python_full_version < "3.10"'),
        ("numpy", "2.2.3", 'python_full_version >= "3.10"'),
        ("orjson", "3.10.0", '"fast" in extras'),
        ("pytest", "8.3.0", '"dev" in dependency_groups'),
        ("pywin32-ctypes", "0.2.3", 'sys_platform == "win32" and "dev" in dependency_groups'),
    ]
    numpy = pylock.packages[3]
    assert [w.filename for w in numpy.wheels or ()] == [
        "numpy-2.2.3-cp312-cp312-macosx_14_0_arm64.whl",
        "numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "numpy-2.2.3-cp312-cp312-win_amd64.whl",
    ]
    first = (numpy.wheels or ())[0]
    assert first.upload_time == UPLOADED
    assert first.size == 1000
    assert first.hashes == {"sha256": digest("numpy-2.2.3-cp312-cp312-macosx_14_0_arm64.whl")}
    assert numpy.index == INDEX
    assert str(numpy.requires_python) == ">=3.10"
    assert numpy.sdist is None
    app = pylock.packages[0]
    # Two numpy entries: the dependency names the package only (version given only when asked).
    assert list(app.dependencies or ()) == [{"name": "colorama"}, {"name": "numpy"}]
    assert pylock.tool == {"bale": {"project": {"name": "demo", "version": "0.1.0"}}}
    pylock.validate()


def test_same_input_gives_same_bytes_whatever_the_order() -> None:
    reference = write_pylock(
        sample_input(), tool_bale={"fingerprint": "x", "inputs": {"b": [1], "a": {"z": 1, "y": 2}}}
    )
    assert (
        write_pylock(
            sample_input(), tool_bale={"fingerprint": "x", "inputs": {"b": [1], "a": {"z": 1, "y": 2}}}
        )
        == reference
    )
    shuffler = random.Random(1234)
    for _ in range(5):
        packages = sample_packages()
        shuffler.shuffle(packages)
        reordered = []
        for package in packages:
            wheels = list(package.wheels)
            shuffler.shuffle(wheels)
            reordered.append(replace(package, wheels=tuple(wheels)))
        text = write_pylock(
            sample_input(packages=tuple(reordered)),
            tool_bale={"inputs": {"a": {"y": 2, "z": 1}, "b": [1]}, "fingerprint": "x"},
        )
        assert text == reference


def test_set_like_header_fields_are_sorted_and_normalised() -> None:
    text = write_pylock(
        sample_input(
            extras=("Zeta", "alpha_Beta"),
            dependency_groups=("Test", "dev", "dev"),
            default_groups=("Dev",),
            environments=("sys_platform == 'win32'", "sys_platform == 'linux'"),
        )
    )
    data = tomllib.loads(text)
    assert data["extras"] == ["alpha-beta", "zeta"]
    assert data["dependency-groups"] == ["dev", "test"]
    assert data["default-groups"] == ["dev"]
    assert data["environments"] == ["sys_platform == 'linux'", "sys_platform == 'win32'"]


def test_version_and_name_are_normalised() -> None:
    package = LockedPackage(
        "Foo_Bar",
        "1.0.0-RC1",
        index=INDEX,
        wheels=(wheel("foo_bar-1.0.0rc1-py3-none-any.whl"),),
    )
    pylock = write_and_load(LockInput((package,)))
    assert pylock.packages[0].name == "foo-bar"
    assert pylock.packages[0].version == Version("1.0.0rc1")


def test_hashes_are_lower_case_and_sorted() -> None:
    package = LockedPackage(
        "a",
        "1",
        wheels=(wheel("a-1-py3-none-any.whl", hashes={"SHA512": "F" * 128, "sha256": "E" * 64}),),
    )
    data = tomllib.loads(write_pylock(LockInput((package,))))
    assert list(data["packages"][0]["wheels"][0]["hashes"].items()) == [
        ("sha256", "e" * 64),
        ("sha512", "f" * 128),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:secret@pypi.example.org/simple", "https://pypi.example.org/simple"),
        ("https://token@pypi.example.org/simple/", "https://pypi.example.org/simple/"),
        ("https://pypi.example.org/simple", "https://pypi.example.org/simple"),
        ("git+ssh://git@github.com/org/repo.git", "git+ssh://git@github.com/org/repo.git"),
        ("ssh://git:pw@host/repo", "ssh://git@host/repo"),
        ("https://u:p@files.example.org:8443/a@b.whl", "https://files.example.org:8443/a@b.whl"),
        ("file:///tmp/wheels/a-1-py3-none-any.whl", "file:///tmp/wheels/a-1-py3-none-any.whl"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_credentials_never_reach_the_file() -> None:
    package = LockedPackage(
        "a",
        "1",
        index="https://alice:s3cret@private.example.org/simple",
        wheels=(wheel("a-1-py3-none-any.whl", base="https://alice:s3cret@private.example.org/files"),),
        sdist=sdist("a-1.tar.gz", base="https://__token__:pypi-abc@private.example.org/files"),
    )
    text = write_pylock(LockInput((package,)))
    assert "s3cret" not in text and "alice" not in text and "pypi-abc" not in text
    pylock = load(text)
    assert pylock.packages[0].index == "https://private.example.org/simple"
    assert (pylock.packages[0].wheels or ())[
        0
    ].url == "https://private.example.org/files/a-1-py3-none-any.whl"


def test_direct_sources_are_written() -> None:
    packages = (
        LockedPackage("demo", None, direct=PackageDirectory(path=".", editable=True)),
        LockedPackage("lib", None, direct=PackageDirectory(path="libs/lib", subdirectory="py")),
        LockedPackage(
            "gitdep",
            "0.3",
            direct=PackageVcs(
                type="git",
                url="https://github.com/org/gitdep",
                requested_revision="main",
                commit_id="0" * 40,
                subdirectory="src",
            ),
        ),
        LockedPackage(
            "archived",
            "2.0",
            marker="sys_platform == 'linux'",
            direct=PackageArchive(
                url="https://example.org/archived-2.0.tar.gz",
                size=12,
                hashes={"sha256": digest("archived")},
            ),
        ),
    )
    pylock = write_and_load(LockInput(packages))
    by_name = {package.name: package for package in pylock.packages}
    assert by_name["demo"].directory == PackageDirectory(path=".", editable=True)
    assert by_name["demo"].version is None
    assert by_name["lib"].directory == PackageDirectory(path="libs/lib", subdirectory="py")
    assert by_name["gitdep"].vcs == PackageVcs(
        type="git",
        url="https://github.com/org/gitdep",
        requested_revision="main",
        commit_id="0" * 40,
        subdirectory="src",
    )
    archive = by_name["archived"].archive
    assert (
        archive is not None
        and archive.size == 12
        and archive.url == "https://example.org/archived-2.0.tar.gz"
    )


def test_dependency_on_a_forked_package_names_the_version() -> None:
    packages = sample_packages()
    packages[0] = replace(
        packages[0], dependencies=(DependencyRef("NumPy", "2.2.3"), DependencyRef("colorama", "0.4.6"))
    )
    pylock = write_and_load(LockInput(tuple(packages)))
    assert list(pylock.packages[0].dependencies or ()) == [
        {"name": "colorama"},
        {"name": "numpy", "version": "2.2.3"},
    ]


def test_package_tool_table_is_written() -> None:
    package = replace(pure("a", "1.0"), tool={"bale": {"build-requires": ["setuptools>=61"]}})
    pylock = write_and_load(LockInput((package, pure("b", "2.0"))))
    assert pylock.packages[0].tool == {"bale": {"build-requires": ["setuptools>=61"]}}
    assert pylock.packages[1].tool is None


def test_files_from_index_splits_wheels_and_sdist() -> None:
    def index_file(filename: str, kind: FileKind) -> IndexFile:
        return IndexFile(
            filename=filename,
            url=f"https://u:p@files.example.org/{filename}",
            name=canonicalize_name("pkg"),
            version=Version("1.0"),
            kind=kind,
            hashes={"sha256": digest(filename)},
            upload_time=datetime(2024, 1, 1, tzinfo=timezone.utc),
            size=42,
        )

    wheels, chosen = files_from_index(
        [
            index_file("pkg-1.0.zip", FileKind.SDIST),
            index_file("pkg-1.0-py3-none-any.whl", FileKind.WHEEL),
            index_file("pkg-1.0.tar.gz", FileKind.SDIST),
            index_file("pkg-1.0-cp312-cp312-win_amd64.whl", FileKind.WHEEL),
        ]
    )
    assert [w.filename for w in wheels] == ["pkg-1.0-cp312-cp312-win_amd64.whl", "pkg-1.0-py3-none-any.whl"]
    assert chosen is not None and chosen.filename == "pkg-1.0.tar.gz"
    assert chosen.url == "https://files.example.org/pkg-1.0.tar.gz"
    assert wheels[0].size == 42 and wheels[0].hashes == {
        "sha256": digest("pkg-1.0-cp312-cp312-win_amd64.whl")
    }
    pylock = write_and_load(
        LockInput((LockedPackage("pkg", "1.0", index=INDEX, wheels=wheels, sdist=chosen),))
    )
    assert pylock.packages[0].sdist is not None


def test_a_file_without_a_strong_hash_is_refused() -> None:
    package = LockedPackage("a", "1", wheels=(wheel("a-1-py3-none-any.whl", hashes={"md5": "0" * 32}),))
    with pytest.raises(BaleError) as caught:
        write_pylock(LockInput((package,)))
    assert caught.value.message == "Cannot lock a 1: a-1-py3-none-any.whl has no sha256 (or stronger) hash"
    assert caught.value.context == ("hashes known: md5",)


def test_a_file_of_another_package_is_refused() -> None:
    package = LockedPackage("a", "1", wheels=(wheel("b-1-py3-none-any.whl"),))
    with pytest.raises(BaleError, match=r"b-1-py3-none-any\.whl is not a file of a 1"):
        write_pylock(LockInput((package,)))
    package = LockedPackage("a", "1", sdist=sdist("a-2.tar.gz"))
    with pytest.raises(BaleError, match=r"a-2\.tar\.gz is not a file of a 1"):
        write_pylock(LockInput((package,)))


def test_a_package_without_files_is_refused() -> None:
    with pytest.raises(BaleError, match="a 1 has no file to install"):
        write_pylock(LockInput((LockedPackage("a", "1"),)))
    both = LockedPackage("a", "1", wheels=(wheel("a-1-py3-none-any.whl"),), direct=PackageDirectory(path="."))
    with pytest.raises(BaleError, match="both index files and a direct source"):
        write_pylock(LockInput((both,)))


def test_duplicate_entries_and_unknown_dependencies_are_refused() -> None:
    with pytest.raises(BaleError, match=r"a 1\.0 is listed twice"):
        write_pylock(LockInput((pure("a", "1"), pure("A", "1.0"))))
    with pytest.raises(BaleError, match="names missing"):
        write_pylock(LockInput((pure("a", "1", dependencies=(DependencyRef("missing"),)),)))


def test_invalid_marker_or_specifier_is_refused() -> None:
    with pytest.raises(BaleError, match="invalid marker"):
        write_pylock(LockInput((pure("a", "1", marker="sys_platform ==="),)))
    with pytest.raises(BaleError, match="invalid requires-python"):
        write_pylock(LockInput((pure("a", "1"),), requires_python=">=three"))


def test_tool_bale_cannot_override_the_project() -> None:
    with pytest.raises(ValueError, match="project"):
        write_pylock(sample_input(), tool_bale={"project": {"name": "other"}})


def test_escaping_in_urls_and_markers_survives() -> None:
    odd = PackageWheel(
        name="caf_e-1.0-py3-none-any.whl",
        url='https://files.example.org/caf%C3%A9/"quoted"\\back/caf_e-1.0-py3-none-any.whl',
        hashes={"sha256": digest("c")},
    )
    package = LockedPackage(
        "caf-e",
        "1.0",
        marker='platform_version == "it\'s ✓ odd"',
        wheels=(odd,),
    )
    pylock = write_and_load(LockInput((package,)))
    assert (pylock.packages[0].wheels or ())[0].url == odd.url
    assert str(pylock.packages[0].marker) == 'platform_version == "it\'s ✓ odd"'


def test_naive_upload_time_is_taken_as_utc() -> None:
    naive = wheel("a-1-py3-none-any.whl", upload_time=datetime(2025, 3, 1, 8, 0))
    data = tomllib.loads(write_pylock(LockInput((LockedPackage("a", "1", wheels=(naive,)),))))
    assert data["packages"][0]["wheels"][0]["upload-time"] == datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_files_on_the_index_host_are_kept_as_given() -> None:
    pylock = write_and_load(LockInput((pure("a", "1"),)))
    assert (pylock.packages[0].wheels or ())[0].url == f"{FILES}/a-1-py3-none-any.whl"
