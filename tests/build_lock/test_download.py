"""`bale pip download`: wheels when one fits, else sdists (always with --no-binary), with dependencies."""

from __future__ import annotations

from pathlib import Path

from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
from tests.support.builders import Pkg, sha256_of


def _saved(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir())


def test_an_sdist_is_saved_when_no_wheel_fits(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    sdist = make_pkg(Pkg("srconly", "1.0"), sdist=True)
    foreign = make_pkg("native", "1.0", tags="cp27-cp27m-win32")
    native_sdist = make_pkg(Pkg("native", "1.0"), sdist=True)
    server = static_index([sdist, foreign, native_sdist])
    dest = tmp_path / "out"

    result = run_bale("pip", "download", "--no-deps", "srconly", "native", "-d", dest, "-i", server.url)

    assert result.code == 0, result
    assert _saved(dest) == ["native-1.0.tar.gz", "srconly-1.0.tar.gz"]
    assert sha256_of(dest / "srconly-1.0.tar.gz") == sha256_of(sdist)
    assert f"Saved {dest / 'srconly-1.0.tar.gz'}" in result.stderr
    again = run_bale("pip", "download", "--no-deps", "srconly", "-d", dest, "-i", server.url)
    assert again.code == 0, again
    assert f"Kept {dest / 'srconly-1.0.tar.gz'}" in again.stderr


def test_no_binary_saves_the_sdist_and_only_binary_refuses_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("both", "1.0"), make_pkg(Pkg("both", "1.0"), sdist=True)])
    dest = tmp_path / "out"

    wheel = run_bale("pip", "download", "--no-deps", "both", "-d", tmp_path / "wheels", "-i", server.url)
    source = run_bale(
        "pip", "download", "--no-deps", "both", "--no-binary", "both", "-d", dest, "-i", server.url
    )

    assert wheel.code == 0, wheel
    assert _saved(tmp_path / "wheels") == ["both-1.0-py3-none-any.whl"]
    assert source.code == 0, source
    assert _saved(dest) == ["both-1.0.tar.gz"]
    only = static_index([make_pkg(Pkg("srconly", "1.0"), sdist=True)])
    refused = run_bale(
        "pip",
        "download",
        "--no-deps",
        "srconly",
        "--only-binary",
        ":all:",
        "-d",
        tmp_path / "x",
        "-i",
        only.url,
    )
    assert refused.code == 1, refused
    assert "srconly" in refused.stderr


def test_dependencies_are_downloaded_sdists_included(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    # app (wheel) -> lib (sdist, static PKG-INFO) -> dynlib (sdist whose metadata must be built) -> leaf
    server = static_index(
        [
            make_pkg("app", "1.0", requires_dist=["lib>=1"]),
            make_pkg(Pkg("lib", "1.0", requires_dist=["dynlib"]), sdist=True),
            make_pkg(
                Pkg("dynlib", "2.0", requires_dist=["leaf"], extra_metadata=["Dynamic: Requires-Dist"]),
                sdist=True,
            ),
            make_pkg("leaf", "1.0"),
            make_pkg("leaf", "0.9"),
            make_pkg("unrelated", "1.0"),
        ]
    )
    dest = tmp_path / "out"

    result = run_bale("pip", "download", "app", "-d", dest, "-i", server.url, "-f", wheelhouse)

    assert result.code == 0, result
    assert _saved(dest) == [
        "app-1.0-py3-none-any.whl",
        "dynlib-2.0.tar.gz",
        "leaf-1.0-py3-none-any.whl",
        "lib-1.0.tar.gz",
    ]
    # Only metadata was built: no wheel of an sdist is saved, and none is built.
    assert "Built " not in result.stderr
