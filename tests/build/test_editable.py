"""Editable wheels through PEP 660 ``build_editable``: the installed package follows the source tree."""

from __future__ import annotations

import pytest

from bale.errors import BaleError
from tests.build.conftest import BuildBed
from tests.build.helpers import in_tree_files, setuptools_pyproject, write_tree
from tests.support.builders import Pkg, make_sdist


def test_setuptools_editable_install_follows_the_source(bed: BuildBed) -> None:
    tree = write_tree(
        bed.root / "editme",
        {
            "pyproject.toml": setuptools_pyproject("editme", "0.1"),
            "editme/__init__.py": "VALUE = 'before'\n",
        },
    )
    builder = bed.builder()

    wheel = builder.build_wheel(tree, editable=True)

    assert wheel.name.startswith("editme-0.1-") and wheel.name.endswith(".whl")
    env = bed.install(wheel)
    assert bed.run(env, "import editme; print(editme.VALUE)") == "before"
    (tree / "editme" / "__init__.py").write_text("VALUE = 'after'\n", encoding="utf-8")
    assert bed.run(env, "import editme; print(editme.VALUE)") == "after"
    assert builder.stats.wheels_built == 1


def test_an_sdist_cannot_be_built_editable(bed: BuildBed) -> None:
    sdist = make_sdist(Pkg("not-editable", "1.0"), bed.root / "dist")
    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(sdist, editable=True)
    assert caught.value.message == (
        "Cannot build not_editable-1.0.tar.gz in editable mode: editable installs need a source tree"
    )


def test_a_backend_without_build_editable_is_named(bed: BuildBed) -> None:
    tree = write_tree(bed.root / "old-backend", in_tree_files("oldback", without=("build_editable",)))
    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(tree, editable=True)
    assert caught.value.message == (
        "Cannot build old-backend in editable mode: its build backend bale_test_backend does not "
        "support editable installs (PEP 660)"
    )
    assert bed.leftovers() == []
