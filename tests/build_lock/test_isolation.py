"""`--no-build-isolation-package NAME`: NAME is built in the target environment, the others isolated."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
from tests.build.helpers import in_tree_files, tar_sdist
from tests.cli.conftest import make_stdlib_venv
from tests.support.builders import Pkg

ISOLATED = "build: creating an isolated build environment for {}"


def test_pip_install_builds_the_named_package_without_isolation(
    static_index, run_bale, tmp_path: Path
) -> None:
    # The in-tree backend needs nothing installed, so it builds with or without isolation.
    first = tar_sdist(in_tree_files("alpha", "1.0"), tmp_path / "dist", "alpha-1.0")
    second = tar_sdist(in_tree_files("beta", "1.0"), tmp_path / "dist", "beta-1.0")
    server = static_index([first, second])
    venv = make_stdlib_venv(tmp_path / "venv")

    result = run_bale(
        "pip", "install", "alpha", "beta", "-i", server.url, "--no-build-isolation-package", "Alpha", "-v",
        virtual_env=venv.root,
    )  # fmt: skip

    assert result.code == 0, result
    assert " + alpha==1.0" in result.stderr and " + beta==1.0" in result.stderr
    assert ISOLATED.format("beta-1.0.tar.gz") in result.stderr
    assert ISOLATED.format("alpha-1.0.tar.gz") not in result.stderr
    assert "Built alpha==1.0 in " in result.stderr and "Built beta==1.0 in " in result.stderr


def test_without_isolation_the_backend_must_be_in_the_target_environment(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    server = static_index([make_pkg(Pkg("srconly", "1.0"), sdist=True)])
    venv = make_stdlib_venv(tmp_path / "venv")
    args = ("pip", "install", "srconly", "-i", server.url, "-f", wheelhouse)

    result = run_bale(*args, "--no-build-isolation-package", "srconly", virtual_env=venv.root)

    # setuptools is not installed in the venv, so the build cannot import it: proof that the
    # venv, not an isolated environment, ran the backend.
    assert result.code == 1, result
    assert (
        "Cannot build srconly-1.0.tar.gz: its build backend 'setuptools.build_meta' cannot be imported"
        in (result.stderr)
    )
    assert run_bale(*args, virtual_env=venv.root).code == 0


def test_lock_leaves_out_the_build_dependencies_of_packages_built_without_isolation(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    server = static_index(
        [make_pkg(Pkg("srconly", "1.0"), sdist=True), make_pkg(Pkg("other", "1.0"), sdist=True)]
    )
    root = tmp_path / "demo"
    root.mkdir()
    major, minor = sys.version_info[:2]
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">={major}.{minor}"\n'
        'dependencies = ["srconly", "other"]\n'
    )

    result = run_bale(
        "lock", "-i", server.url, "-f", wheelhouse, "--no-build-isolation-package", "srconly", cwd=root
    )

    assert result.code == 0, result
    text = (root / "pylock.toml").read_text()
    assert "[tool.bale.build-dependencies.other]" in text
    assert "build-dependencies.srconly" not in text
