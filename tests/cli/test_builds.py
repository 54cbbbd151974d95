"""Building from source through the CLI: sdist-only packages, source trees, editables and build options.

The backends are real (setuptools from the test wheelhouse, served with --find-links) or the tiny in-tree
backend of tests/build/helpers.py, which needs no requirement and builds in ~60 ms.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.build.conftest import wheelhouse  # noqa: F401  (the fixture, with its skip logic)
from tests.build.helpers import in_tree_files, tar_sdist, write_tree
from tests.cli.conftest import Venv, make_stdlib_venv
from tests.support.builders import Pkg, sha256_of
from tests.support.cli import scrub


def _lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def _tree(root: Path, name: str, value: str = "before", **options: object) -> Path:
    """A source tree built by the in-tree backend, with a real package folder (for editables)."""
    files = in_tree_files(name, **options)  # type: ignore[arg-type]
    files[f"{name}/__init__.py"] = f"VALUE = {value!r}\n"
    return write_tree(root, files)


def _value(venv: Venv, module: str) -> str:
    done = venv.run("-c", f"import {module}; print({module}.VALUE)")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_sdist_only_package_is_built_once_and_installed(
    make_pkg,
    static_index,
    bale,
    venv: Venv,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    dep = make_pkg("wheeldep", "1.0")
    sdist = make_pkg(Pkg("srconly", "1.0", requires_dist=["wheeldep>=1"]), sdist=True)
    server = static_index([sdist, dep])

    first = bale("pip", "install", "srconly", "-i", server.url, "-f", wheelhouse, "-v")

    assert first.code == 0, str(first)
    assert venv.imports("srconly") == "1.0"
    assert venv.imports("wheeldep") == "1.0"
    assert " + srconly==1.0" in first.stderr and " + wheeldep==1.0" in first.stderr
    # Its PKG-INFO is static metadata: resolution read it without running the backend.
    assert _lines(first.stderr, "metadata of srconly-1.0.tar.gz read from its PKG-INFO (no build)")
    assert len(_lines(first.stderr, "build: built srconly-1.0-py3-none-any.whl")) == 1
    assert not (venv.site_packages() / "srconly-1.0.dist-info" / "direct_url.json").exists()

    other = make_stdlib_venv(tmp_path / "other")
    args = ("pip", "install", "srconly", "-i", server.url, "-f", wheelhouse, "-v")
    second = bale(*args, virtual_env=other.root)

    assert second.code == 0, str(second)
    assert other.imports("srconly") == "1.0"
    assert _lines(second.stderr, "build: wheel of srconly-1.0.tar.gz from the cache")
    assert not _lines(second.stderr, "build: built ")
    built = list((tmp_path / "bale-home" / "cache" / "builds-v1" / "srconly").glob("*/*/*.whl"))
    assert [p.name for p in built] == ["srconly-1.0-py3-none-any.whl"]
    assert list((tmp_path / "bale-home" / "cache" / "sdists-v1" / "srconly").glob("*/srconly-1.0.tar.gz"))


def test_compile_pins_a_requirement_whose_only_version_is_an_sdist(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    # Requires-Dist is marked dynamic, so the backend (setuptools) must prepare the metadata.
    pkg = Pkg("dynsrc", "2.0", requires_dist=["wheeldep>=1"], extra_metadata=["Dynamic: Requires-Dist"])
    server = static_index([make_pkg(pkg, sdist=True), make_pkg("wheeldep", "1.0")])
    (tmp_path / "requirements.in").write_text("dynsrc\n")

    expected = "dynsrc==2.0\n    # via -r requirements.in\nwheeldep==1.0\n    # via dynsrc\n"
    # First, on a cold cache: with --python-version no interpreter is probed up front; the build
    # finds one when it needs it.
    targeted = run_bale(
        "pip",
        "compile",
        "requirements.in",
        "--python-version",
        "3.9",
        "-i",
        server.url,
        "-f",
        wheelhouse,
        "--no-header",
    )
    assert targeted.code == 0, str(targeted)
    assert targeted.stdout == expected
    result = run_bale("pip", "compile", "requirements.in", "-i", server.url, "-f", wheelhouse, "--no-header")

    assert result.code == 0, str(result)
    assert result.stdout == ("dynsrc==2.0\n    # via -r requirements.in\nwheeldep==1.0\n    # via dynsrc\n")


def test_a_source_tree_without_a_name_is_built_and_installed(bale, venv: Venv, tmp_path: Path) -> None:
    tree = _tree(tmp_path / "work" / "proj", "treepkg", requires=("wheeldep",))
    links = tmp_path / "links"
    from tests.support.builders import make_wheel

    make_wheel(Pkg("wheeldep", "1.0"), links)

    result = bale("pip", "install", "./proj", "--no-index", "-f", links, cwd=tmp_path / "work")

    assert result.code == 0, str(result)
    assert " + treepkg==1.0" in result.stderr and " + wheeldep==1.0" in result.stderr
    assert _value(venv, "treepkg") == "in-tree"  # the built wheel's copy, not the tree's
    direct = json.loads((venv.site_packages() / "treepkg-1.0.dist-info" / "direct_url.json").read_text())
    assert direct == {"url": tree.as_uri(), "dir_info": {}}
    # A copy of a tree may be stale: installing it again rebuilds and replaces it, as pip does.
    again = bale("pip", "install", "./proj", "--no-index", "-f", links, cwd=tmp_path / "work")
    assert again.code == 0, str(again)
    assert " - treepkg==1.0" in again.stderr and " + treepkg==1.0" in again.stderr


def test_an_editable_install_follows_the_source_tree(bale, run_bale, venv: Venv, tmp_path: Path) -> None:
    tree = _tree(tmp_path / "proj", "editpkg", value="before")

    result = bale("pip", "install", "-e", tree, "--no-index")

    assert result.code == 0, str(result)
    assert " + editpkg==1.0" in result.stderr
    assert _value(venv, "editpkg") == "before"
    (tree / "editpkg" / "__init__.py").write_text("VALUE = 'after'\n")
    assert _value(venv, "editpkg") == "after"
    direct = json.loads((venv.site_packages() / "editpkg-1.0.dist-info" / "direct_url.json").read_text())
    assert direct == {"url": tree.as_uri(), "dir_info": {"editable": True}}
    listed = run_bale("pip", "list", "--format", "json", virtual_env=venv.root)
    assert json.loads(listed.stdout) == [
        {"name": "editpkg", "version": "1.0", "editable_project_location": str(tree)}
    ]
    # Already installed editable from this tree: nothing to build or change.
    again = bale("pip", "install", "-e", tree, "--no-index")
    assert again.code == 0, str(again)
    assert "Audited 1 package" in again.stderr


def test_sync_builds_paths_and_urls_without_resolving(static_index, bale, venv: Venv, tmp_path: Path) -> None:
    archive = tar_sdist(in_tree_files("urlpkg", "3.0"), tmp_path / "dist", "urlpkg-3.0")
    server = static_index([archive])
    url = server.file_url(archive.name)
    _tree(tmp_path / "proj", "syncpkg")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"./proj\n{url}\n")

    result = bale("pip", "sync", requirements, "--no-index")

    assert result.code == 0, str(result)
    assert " + syncpkg==1.0" in result.stderr and " + urlpkg==3.0" in result.stderr
    direct = json.loads((venv.site_packages() / "urlpkg-3.0.dist-info" / "direct_url.json").read_text())
    assert direct == {"url": url, "archive_info": {"hashes": {"sha256": sha256_of(archive)}}}

    # In hash-checking mode the sdist is checked before its backend runs: a wrong hash builds nothing.
    before = venv.dist_infos()
    requirements.write_text(f"{url} --hash=sha256:{'0' * 64}\n")
    wrong = bale("pip", "sync", requirements, "--no-index", "--reinstall", "-v")
    assert wrong.code == 1
    assert "error: Hash mismatch for urlpkg-3.0.tar.gz" in wrong.stderr, wrong.stderr
    assert f"  got      sha256:{sha256_of(archive)}" in wrong.stderr.splitlines(), wrong.stderr
    assert not _lines(wrong.stderr, "build: ")
    # Nothing changed: syncpkg, which this sync would remove, is still there too.
    assert venv.dist_infos() == before == ["syncpkg-1.0.dist-info", "urlpkg-3.0.dist-info"]
    requirements.write_text(f"{url} --hash=sha256:{sha256_of(archive)}\n")
    right = bale("pip", "sync", requirements, "--no-index")
    assert right.code == 0, str(right)
    assert " - syncpkg==1.0" in right.stderr


def test_a_failed_build_shows_the_backend_output_and_changes_nothing(
    make_pkg, bale, venv: Venv, tmp_path: Path
) -> None:
    files = in_tree_files("broken", without=("build_wheel",))
    files["bale_test_backend.py"] += (
        "\n\ndef build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    print('compiling the flux capacitor')\n"
        "    raise RuntimeError('the flux capacitor is missing')\n"
    )
    write_tree(tmp_path / "broken", files)
    links = tmp_path / "links"
    make_pkg("alpha", "1.0", dest=links)
    before = venv.dist_infos()

    result = bale("pip", "install", "alpha", "./broken", "--no-index", "-f", links)

    assert result.code == 1, str(result)
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    lines = text.splitlines()
    assert lines[:2] == ["Building broken", "error: Failed to build broken"], text
    assert "  bale_test_backend failed in build_wheel (exit status 1)" in lines
    output = [line for line in lines if line.startswith("    | ")]
    assert output[-2:] == [
        "    | compiling the flux capacitor",
        "    | RuntimeError: the flux capacitor is missing",
    ]
    assert "Traceback" not in text
    assert venv.dist_infos() == before


def test_no_build_isolation_uses_the_backend_installed_in_the_target(
    make_pkg,
    bale,
    venv: Venv,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    sdist = make_pkg(Pkg("noiso", "1.0"), sdist=True)
    spec = f"noiso @ {sdist.as_uri()}"
    # Without isolation the build requirements are not installed: setuptools must be in the venv.
    assert bale("pip", "install", "setuptools", "--no-index", "-f", wheelhouse).code == 0

    isolated = bale("pip", "install", spec, "--no-index")
    assert isolated.code == 1
    assert isolated.stderr.startswith(
        "error: Could not install the build requirements of noiso-1.0.tar.gz: setuptools>=61"
    ), isolated.stderr

    result = bale("pip", "install", spec, "--no-index", "--no-build-isolation", "-v")

    assert result.code == 0, str(result)
    assert venv.imports("noiso") == "1.0"
    assert not _lines(result.stderr, "creating an isolated build environment")
    direct = json.loads((venv.site_packages() / "noiso-1.0.dist-info" / "direct_url.json").read_text())
    assert direct == {"url": sdist.as_uri(), "archive_info": {"hashes": {"sha256": sha256_of(sdist)}}}


def test_build_constraints_narrow_the_build_requirements(
    make_pkg,
    bale,
    venv: Venv,
    tmp_path: Path,
    wheelhouse: Path,  # noqa: F811
) -> None:
    make_pkg(Pkg("constrained", "1.0"), sdist=True)
    constraints = tmp_path / "build-constraints.txt"
    constraints.write_text("setuptools<61\n")
    sdist = "./packages/constrained-1.0.tar.gz"

    result = bale("pip", "install", sdist, "--no-index", "-f", wheelhouse, "--build-constraint", constraints)

    assert result.code == 1, str(result)
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "error: Could not install the build requirements of constrained-1.0.tar.gz: setuptools>=61"
    )
    assert "  No solution found when resolving dependencies:" in lines
    assert venv.dist_infos() == []

    constraints.write_text("setuptools>=61\nunrelated<1\n")  # constraints on other names are inert
    allowed = bale("pip", "install", sdist, "--no-index", "-f", wheelhouse, "-b", constraints)
    assert allowed.code == 0, str(allowed)
    assert venv.imports("constrained") == "1.0"


def test_wheels_are_preferred_and_binary_options_are_respected(
    make_pkg, static_index, bale, venv: Venv, tmp_path: Path
) -> None:
    archive = tar_sdist(in_tree_files("both", "1.0"), tmp_path / "dist", "both-1.0")
    wheel = make_pkg("both", "1.0")
    only_sdist = tar_sdist(in_tree_files("srcside", "1.0"), tmp_path / "dist", "srcside-1.0")
    server = static_index([archive, wheel, only_sdist])

    assert bale("pip", "install", "both", "-i", server.url).code == 0
    assert venv.imports("both") == "1.0"  # the wheel's module has __version__, the sdist's has VALUE

    rebuilt = bale("pip", "install", "both", "-i", server.url, "--no-binary", "both", "--reinstall")
    assert rebuilt.code == 0, str(rebuilt)
    assert _value(venv, "both") == "in-tree"

    refused = bale("pip", "install", "srcside", "-i", server.url, "--only-binary", ":all:")
    assert refused.code == 1
    assert refused.stderr == (
        "error: No solution found when resolving dependencies:\n"
        "  Because your requirements depend on srcside which has no wheel, and --only-binary excludes "
        "its source distribution, your requirements are unsatisfiable.\n"
    )

    synced = bale("pip", "sync", "-", "-i", server.url, "--only-binary", ":all:", input="srcside==1.0\n")
    assert synced.code == 1
    assert synced.stderr == (
        "error: No file of srcside (from -:1) can be installed: it has no wheel, and --only-binary "
        "excludes its source distribution\n"
    )
    # Without --only-binary, sync (which does not resolve) builds the pinned sdist.
    synced = bale("pip", "sync", "-", "-i", server.url, input="srcside==1.0\n")
    assert synced.code == 0, str(synced)
    assert " - both==1.0" in synced.stderr and " + srcside==1.0" in synced.stderr
    assert _value(venv, "srcside") == "in-tree"


def test_config_settings_reach_the_backend(bale, venv: Venv, tmp_path: Path) -> None:
    files = in_tree_files("configured")
    backend = files["bale_test_backend.py"]
    backend = backend.replace(
        'members = [(NAME + "/__init__.py", b"VALUE = \'in-tree\'\\n")]',
        "members = [(NAME + \"/__init__.py\", ('VALUE = %r\\n' % (CONFIG,)).encode())]",
    )
    backend = backend.replace(
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n",
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    global CONFIG\n    CONFIG = config_settings\n",
    )
    assert "CONFIG = config_settings" in backend and "% (CONFIG,)" in backend
    files["bale_test_backend.py"] = backend
    write_tree(tmp_path / "configured", files)

    settings = ("-C", "mode=fast", "-C", "flag=a", "--config-settings", "flag=b")
    result = bale("pip", "install", tmp_path / "configured", "--no-index", *settings)

    assert result.code == 0, str(result)
    assert _value(venv, "configured") == "{'mode': 'fast', 'flag': ['a', 'b']}"
    bad = bale("pip", "install", tmp_path / "configured", "--no-index", "-C", "novalue")
    assert bad.code == 1
    assert bad.stderr.startswith("error: Invalid --config-settings 'novalue': expected KEY=VALUE")


def test_a_warm_resolve_takes_an_sdists_built_metadata_without_reading_the_archive(
    make_pkg,
    static_index,
    run_bale,
    tmp_path: Path,
) -> None:
    # The metadata cache is keyed by the sdist's sha256, which the index names: a warm resolve that
    # reaches the sdist needs neither the archive in the cache nor a download (a 300 MB sdist cost
    # ~0.3 s of hashing on every resolve).
    server = static_index([make_pkg(Pkg("srcmeta", "1.0"), sdist=True)])
    (tmp_path / "requirements.in").write_text("srcmeta\n")
    args = ("pip", "compile", "requirements.in", "-i", server.url, "--no-header", "-v")
    first = run_bale(*args)
    assert first.code == 0, str(first)
    assert first.stdout == "srcmeta==1.0\n    # via -r requirements.in\n"

    cache = tmp_path / "bale-home" / "cache"
    (kept,) = cache.glob("sdists-v1/srcmeta/*/srcmeta-1.0.tar.gz")
    kept.unlink()
    server.fail("srcmeta-1.0.tar.gz", status=404, times=None)
    server.requests.clear()
    (tmp_path / "requirements.in").write_text("srcmeta>=0.5\n")  # an edit: no replay, no memo
    second = run_bale(*args)
    assert second.code == 0, str(second)
    assert second.stdout == "srcmeta==1.0\n    # via -r requirements.in\n"
    assert _lines(second.stderr, "metadata of srcmeta-1.0.tar.gz from the cache")
    assert not [r for r in server.requests if "srcmeta-1.0.tar.gz" in r.path]

    # With --hash the archive itself is checked, as before: gone here, and the index answers 404.
    (tmp_path / "requirements.in").write_text("srcmeta==1.0 --hash=sha256:" + "0" * 64 + "\n")
    checked = run_bale(*args[:-1])
    assert checked.code != 0
    assert "Traceback" not in checked.stderr and "srcmeta-1.0.tar.gz" in checked.stderr
