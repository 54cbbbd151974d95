"""A small locked project for the licence and SBOM tests: wheels with every way of stating a licence."""

from __future__ import annotations

from pathlib import Path

from tests.sources.helpers import local_package, write_project

PYPROJECT = """
    [project]
    name = "demo"
    version = "0.1.0"
    license = "Apache-2.0"
    requires-python = "{python}"
    dependencies = ["app", "classic", "mystery", "bsdish", "localpkg"]

    [dependency-groups]
    dev = ["devtool"]

    [tool.bale.sources]
    localpkg = { path = "../localpkg" }
"""

# name -> (licence shown by `bale licenses`, where it came from)
EXPECTED = {
    "app": ("MIT", "License-Expression"),
    "bsdish": ("BSD License", "Classifier"),
    "classic": ("ISC", "Classifier"),
    "devtool": ("MIT OR Apache-2.0", "License-Expression"),
    "lib": ("BSD-3-Clause", "License"),
    "localpkg": ("Apache-2.0", "License-Expression"),
    "mystery": ("UNKNOWN", "-"),
}


def universe(make_pkg) -> list[Path]:
    return [
        # PEP 639 wins over the classifier that disagrees with it.
        make_pkg(
            "app",
            "1.0",
            requires_dist=["lib"],
            metadata_version="2.4",
            extra_metadata=["License-Expression: mit", "Classifier: License :: OSI Approved :: BSD License"],
        ),
        make_pkg("lib", "2.0", license="BSD 3-Clause License"),
        make_pkg(
            "classic", "1.0", extra_metadata=["Classifier: License :: OSI Approved :: ISC License (ISCL)"]
        ),
        make_pkg("bsdish", "1.0", extra_metadata=["Classifier: License :: OSI Approved :: BSD License"]),
        make_pkg("mystery", "1.0"),
        make_pkg(
            "devtool", "1.0", metadata_version="2.4", extra_metadata=["License-Expression: MIT OR Apache-2.0"]
        ),
    ]


def licensed_local_package(folder: Path) -> Path:
    """``localpkg`` 1.5, built by the tests' in-tree backend, whose metadata says ``Apache-2.0``."""
    local_package(folder, "localpkg", "1.5", requires=("lib",))
    backend = folder / "bale_test_backend.py"
    text = backend.read_text(encoding="utf-8")
    marker = '"Metadata-Version: 2.1", '
    assert marker in text
    backend.write_text(
        text.replace(marker, '"Metadata-Version: 2.4", "License-Expression: Apache-2.0", '), encoding="utf-8"
    )
    return folder


def locked_demo(make_pkg, static_index, run_bale, tmp_path: Path, **index_options):
    """The demo project (and its local package), locked against a fresh index; (server, root)."""
    server = static_index(universe(make_pkg), **index_options)
    licensed_local_package(tmp_path / "localpkg")
    root = write_project(tmp_path / "demo", PYPROJECT)
    locked = run_bale("lock", "-i", server.url, cwd=root)
    assert locked.code == 0, locked
    return server, root
