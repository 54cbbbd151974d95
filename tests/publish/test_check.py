"""Reading and checking distributions before an upload, the upload's form fields, order and file list."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from bale.dist.check import SDIST, WHEEL, check_distribution, read_distribution, rst_problem
from bale.errors import BaleError
from bale.ops.publish import collect_files, upload_fields, upload_order
from tests.support.builders import Pkg
from tests.support.cli import src_dir
from tests.support.fixtures import PkgFactory


def test_read_wheel_and_sdist(make_pkg: PkgFactory) -> None:
    pkg = Pkg("Demo.Pkg", "1.0.post1", summary="Demo")
    wheel = read_distribution(make_pkg(pkg))
    sdist = read_distribution(make_pkg(pkg, sdist=True))

    assert (wheel.filetype, wheel.name, str(wheel.version), wheel.pyversion) == (
        WHEEL,
        "demo-pkg",
        "1.0.post1",
        "py3",
    )
    assert (sdist.filetype, sdist.name, str(sdist.version), sdist.pyversion) == (
        SDIST,
        "demo-pkg",
        "1.0.post1",
        "source",
    )
    assert b"Name: Demo.Pkg" in wheel.metadata and b"Metadata-Version: 2.2" in sdist.metadata
    assert check_distribution(wheel) == []
    assert check_distribution(sdist) == []


def test_unreadable_and_misnamed_files_are_errors(tmp_path: Path) -> None:
    bad_name = tmp_path / "not_a-valid-wheel.whl"
    bad_name.write_bytes(b"")
    with pytest.raises(BaleError, match="its file name is not a valid distribution name"):
        read_distribution(bad_name)

    truncated = tmp_path / "demo-1.0-py3-none-any.whl"
    truncated.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(BaleError, match="it is not a readable archive"):
        read_distribution(truncated)

    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("demo/__init__.py", "")
    no_metadata = tmp_path / "demo-2.0-py3-none-any.whl"
    no_metadata.write_bytes(empty.getvalue())
    with pytest.raises(BaleError, match=r"exactly one \.dist-info/METADATA \(found none\)"):
        read_distribution(no_metadata)

    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        info = tarfile.TarInfo("demo-3.0/setup.py")
        archive.addfile(info, io.BytesIO(b""))
    no_pkg_info = tmp_path / "demo-3.0.tar.gz"
    no_pkg_info.write_bytes(packed.getvalue())
    with pytest.raises(BaleError, match="has no PKG-INFO in its top folder"):
        read_distribution(no_pkg_info)


def test_checks_report_every_problem(make_pkg: PkgFactory, tmp_path: Path) -> None:
    pkg = Pkg("demo", "1.0", metadata_version="2.1", extra_metadata=["License-Expression: MIT"])
    dist = read_distribution(make_pkg(pkg))
    problems = check_distribution(dist)
    assert len(problems) == 1 and problems[0].startswith("invalid metadata:")
    assert "license-expression" in problems[0].lower() or "license_expression" in problems[0].lower()

    renamed = tmp_path / "demo-1.1.tar.gz"
    renamed.write_bytes(make_pkg(Pkg("demo", "1.0"), sdist=True).read_bytes())
    assert check_distribution(read_distribution(renamed)) == [
        "the metadata says version 1.0, the file name says 1.1"
    ]


def test_zip_sdists_are_refused(make_pkg: PkgFactory, tmp_path: Path) -> None:
    pkg = Pkg("demo", "1.0")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo-1.0/PKG-INFO", pkg.metadata_text("2.2"))
    path = tmp_path / "demo-1.0.zip"
    path.write_bytes(buffer.getvalue())
    dist = read_distribution(path)
    assert check_distribution(dist) == [
        "source distributions must be .tar.gz files (PEP 625); indexes refuse .zip"
    ]


def _python_with_docutils() -> str | None:
    # This interpreter, or any python3.1x on PATH (docutils is not a test dependency).
    names = [f"python3.{minor}" for minor in range(10, 16)]
    found = (shutil.which(name) for name in names)
    candidates = [sys.executable, *(python for python in found if python)]
    for python in candidates:
        probe = subprocess.run(
            [str(python), "-c", "import docutils, packaging.metadata"], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return str(python)
    return None


def test_rst_readme_that_does_not_render_is_reported_when_docutils_is_there() -> None:
    python = _python_with_docutils()
    if python is None:
        pytest.skip("no interpreter on this machine has docutils")
    code = (
        "from bale.dist.check import rst_problem\n"
        "print(rst_problem('Title\\n=====\\n\\nGood ``code``.'))\n"
        "print(rst_problem('Title\\n=====\\n\\nan *unfinished emphasis'))\n"
        "print(rst_problem('.. raw:: html\\n\\n   <script>x</script>\\n'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(src_dir())}
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "None",
        "line 4: Inline emphasis start-string without end-string.",
        'line 1: "raw" directive disabled.',
    ]


def test_without_docutils_rst_is_not_checked_and_markdown_never_is(make_pkg: PkgFactory) -> None:
    try:
        import docutils  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        assert rst_problem("an *unfinished emphasis") is None
    markdown = Pkg(
        "md",
        "1.0",
        description="an *unfinished emphasis",
        extra_metadata=["Description-Content-Type: text/markdown"],
    )
    assert check_distribution(read_distribution(make_pkg(markdown))) == []


def test_upload_fields(make_pkg: PkgFactory) -> None:
    pkg = Pkg(
        "demo",
        "1.0",
        summary="A demo",
        requires_dist=["idna>=3", "rich; extra == 'cli'"],
        requires_python=">=3.9",
        extra_metadata=[
            "Classifier: Programming Language :: Python :: 3",
            "Classifier: Typing :: Typed",
            "Keywords: one,two",
            "Project-URL: Source, https://example.org/src",
            "Description-Content-Type: text/markdown",
        ],
        description="# Demo\n",
    )
    path = make_pkg(pkg)
    data = path.read_bytes()
    fields = upload_fields(read_distribution(path), data)
    single = dict(fields)

    assert fields[:2] == [(":action", "file_upload"), ("protocol_version", "1")]
    assert single["filetype"] == "bdist_wheel" and single["pyversion"] == "py3"
    assert single["sha256_digest"] == hashlib.sha256(data).hexdigest()
    assert single["blake2_256_digest"] == hashlib.blake2b(data, digest_size=32).hexdigest()
    assert (single["name"], single["version"], single["metadata_version"]) == ("demo", "1.0", "2.1")
    assert single["summary"] == "A demo" and single["requires_python"] == ">=3.9"
    assert single["description"] == "# Demo\n" and single["description_content_type"] == "text/markdown"
    assert single["keywords"] == "one,two"
    assert [v for k, v in fields if k == "classifiers"] == [
        "Programming Language :: Python :: 3",
        "Typing :: Typed",
    ]
    assert [v for k, v in fields if k == "requires_dist"] == ["idna>=3", "rich; extra == 'cli'"]
    assert [v for k, v in fields if k == "provides_extra"] == ["cli"]
    assert [v for k, v in fields if k == "project_urls"] == ["Source, https://example.org/src"]


def test_upload_order_puts_sdists_first(make_pkg: PkgFactory) -> None:
    files = [
        make_pkg(Pkg("b", "1.0")),
        make_pkg(Pkg("a", "2.0")),
        make_pkg(Pkg("a", "10.0"), sdist=True),
        make_pkg(Pkg("a", "10.0", tags="cp312-cp312-linux_x86_64")),
        make_pkg(Pkg("a", "10.0")),
        make_pkg(Pkg("a", "2.0"), sdist=True),
    ]
    ordered = sorted((read_distribution(f) for f in files), key=upload_order)
    assert [d.filename for d in ordered] == [
        "a-2.0.tar.gz",
        "a-2.0-py3-none-any.whl",
        "a-10.0.tar.gz",
        "a-10.0-cp312-cp312-linux_x86_64.whl",
        "a-10.0-py3-none-any.whl",
        "b-1.0-py3-none-any.whl",
    ]


def test_collect_files(tmp_path: Path, make_pkg: PkgFactory) -> None:
    dist = tmp_path / "dist"
    wheel = make_pkg(Pkg("demo", "1.0"), dest=dist)
    sdist = make_pkg(Pkg("demo", "1.0"), sdist=True, dest=dist)
    (dist / ".gitignore").write_text("*\n")
    (dist / "demo-1.0.tar.gz.asc").write_text("signature")

    assert sorted(collect_files((), tmp_path)) == sorted([wheel, sdist])
    assert collect_files(("dist/*.whl", str(wheel)), tmp_path) == [wheel]
    with pytest.raises(BaleError, match=r"No wheel or source distribution matches 'dist/\*\.zip'"):
        collect_files(("dist/*.zip",), tmp_path)
    with pytest.raises(BaleError, match=r"Cannot publish missing\.whl: no such file"):
        collect_files(("missing.whl",), tmp_path)
    with pytest.raises(BaleError, match="No distributions to publish"):
        collect_files((), tmp_path / "elsewhere")
