"""IndexBuildContext: build requirements resolved by bale's resolver and linked by its installer."""

from __future__ import annotations

import pytest

from bale.dist.build import Builder
from bale.errors import BaleError
from bale.install.installed import scan_site_packages
from bale.ops.build_context import attach_builder
from tests.build.conftest import BuildBed


def test_install_adds_what_is_missing_and_keeps_what_fits(bed: BuildBed) -> None:
    env = bed.venv()
    bed.context.install(["setuptools>=61", "flit-core; python_version < '3'"], env)
    first = scan_site_packages(env.site_packages())
    assert sorted(first) == ["setuptools"]
    record = first["setuptools"].dist_info / "RECORD"
    inode = record.stat().st_ino

    bed.context.install(["setuptools>=61", "wheel"], env)

    second = scan_site_packages(env.site_packages())
    assert {"setuptools", "wheel"} <= set(second)  # and wheel's own requirements
    assert record.stat().st_ino == inode  # setuptools was kept, not installed again
    assert bed.run(env, "import setuptools, wheel; print('ok')") == "ok"


def test_unresolvable_requirements_raise_the_resolver_error(bed: BuildBed) -> None:
    with pytest.raises(BaleError) as caught:
        bed.context.install(["setuptools>=9999"], bed.venv())
    assert caught.value.message == "No solution found when resolving dependencies:"


def test_attach_builder_shares_services_and_overrides_the_builder(bed: BuildBed) -> None:
    builder = Builder(bed.cache, bed.context)
    child = attach_builder(bed.ctx, builder)

    assert child.__dict__["builder"] is builder
    assert "builder" not in bed.ctx.__dict__
    assert child.cache is bed.ctx.cache
    assert child.http is bed.ctx.http
