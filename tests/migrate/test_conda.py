"""``bale import`` of conda's environment.yml: the index decides what is a Python package."""

from __future__ import annotations

from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.migrate.conda import parse_environment
from tests.migrate.helpers import err, installed, locked_versions, pyproject, write

ENVIRONMENT = """
    # conda env create -f environment.yml
    name: vision
    channels:
      - pytorch
      - conda-forge
    dependencies:
      - python=3.9
      - pytorch::pytorch=2.1    # the GPU build on conda
      - pyyaml >=6
      - cxx-compiler
      - libxml2=2.11
      - cudatoolkit=11.8
      - "fancylib"
      - pip
      - pip:
        - requests==2.31.0
        - --extra-index-url https://example.org/simple
"""


def test_environment_yml(make_pkg, run_bale, static_index, tmp_path: Path) -> None:
    server = static_index(
        [
            make_pkg("torch", "2.1.0"),
            make_pkg("torch", "2.1.2"),
            make_pkg("torch", "2.2.0"),
            make_pkg("PyYAML", "6.0.1"),
            make_pkg("requests", "2.31.0"),
        ]
    )
    export = (
        "# This file may be used to create an environment using:\n"
        "pytorch=2.1.0=py3.9_cuda11.8_0\npyyaml=6.0.1=py39h0\nlibxml2=2.11.5=h0\n"
    )
    root = write(tmp_path / "vision", {"environment.yml": ENVIRONMENT, "spec-file.txt": export})
    result = run_bale("import", "-i", server.url, cwd=root)
    assert result.code == 0, result
    data = pyproject(root)
    assert data["project"]["name"] == "vision"
    assert data["project"]["requires-python"] == ">=3.9"
    assert data["project"]["dependencies"] == ["torch==2.1.*", "PyYAML>=6", "requests==2.31.0"]
    text = (root / "pyproject.toml").read_text()
    assert text.endswith(
        "# bale import: the environment also needs these, from outside Python's index:\n"
        "#   cxx-compiler\n#   libxml2=2.11\n#   cudatoolkit=11.8\n#   fancylib\n"
    )
    stderr = err(result, tmp_path)
    assert "warning: note: environment.yml:8: conda's pytorch is torch on the index\n" in stderr
    assert (
        "The environment also needs, from outside Python's index (not imported):\n"
        "warning:   cxx-compiler\nwarning:   libxml2=2.11\nwarning:   cudatoolkit=11.8\nwarning:   fancylib\n"
    ) in stderr
    assert locked_versions(root) == {"torch": "2.1.0", "pyyaml": "6.0.1", "requests": "2.31.0"}
    assert "Kept 2 of 2 locked versions from spec-file.txt\n" in stderr
    sync = run_bale("sync", "-i", server.url, cwd=root)
    assert sync.code == 0, sync
    assert installed(root) == ["pyyaml-6.0.1", "requests-2.31.0", "torch-2.1.0"]


def test_yaml_beyond_the_subset_is_refused_with_its_line() -> None:
    with pytest.raises(BaleError, match=r"environment.yml:3: bale reads block lists and plain values only"):
        parse_environment("name: x\ndependencies:\n  - [numpy, scipy]\n")
    with pytest.raises(BaleError, match=r"environment.yml:2: dependencies: expected a block list"):
        parse_environment("name: x\ndependencies: [numpy]\n")
