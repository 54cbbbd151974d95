"""`bale pip list | show | freeze | check | uninstall | download` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Venv
from tests.support.cli import scrub


def _install(bale, *wheels: Path) -> None:
    """Install from a find-links folder (a registry-style install: no direct_url.json)."""
    folder = wheels[0].parent
    names = [w.name.split("-")[0] for w in wheels]
    result = bale("pip", "install", "--no-deps", "--no-index", "--find-links", folder, *names)
    assert result.code == 0, result


def test_list_formats(make_pkg, bale, venv: Venv) -> None:
    _install(bale, make_pkg("Alpha_Pkg", "1.0"), make_pkg("beta", "2.10"))
    columns = bale("pip", "list")
    assert columns.code == 0, columns
    assert columns.stdout == ("Package   Version\n--------- -------\nAlpha_Pkg 1.0\nbeta      2.10\n")
    as_json = bale("pip", "list", "--format", "json")
    assert json.loads(as_json.stdout) == [
        {"name": "Alpha_Pkg", "version": "1.0"},
        {"name": "beta", "version": "2.10"},
    ]
    freeze = bale("pip", "list", "--format", "freeze", "--exclude", "beta")
    assert freeze.stdout == "Alpha_Pkg==1.0\n"


def test_freeze_shows_direct_urls(make_pkg, bale, venv: Venv, tmp_path: Path) -> None:
    wheel = make_pkg("gamma", "0.1")
    assert bale("pip", "install", "--no-deps", wheel).code == 0
    result = bale("pip", "freeze")
    assert result.stdout == f"gamma @ {wheel.resolve().as_uri()}\n"


def test_outdated_lists_newer_versions(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index(
        [
            make_pkg("delta", "1.0"),
            make_pkg("delta", "1.5"),
            make_pkg("delta", "2.0b1"),
            make_pkg("eps", "3.0"),
        ]
    )
    assert bale("pip", "install", "--no-deps", "delta==1.0", "eps", "-i", server.url).code == 0
    result = bale("pip", "list", "--outdated", "-i", server.url)
    assert result.code == 0, result
    assert result.stdout == (
        "Package Version Latest Type\n------- ------- ------ -----\ndelta   1.0     1.5    wheel\n"
    )


def test_show_and_files(make_pkg, bale, venv: Venv) -> None:
    _install(
        bale,
        make_pkg("zeta", "1.2", summary="The zeta package", license="MIT", requires_dist=["eta>=1", "theta"]),
        make_pkg("eta", "1.0", summary="Eta"),
    )
    result = bale("pip", "show", "zeta", "eta")
    assert result.code == 0, result
    text = scrub(result.stdout, {venv.site_packages(): "[SITE]"})
    assert text.split("---\n")[0] == (
        "Name: zeta\nVersion: 1.2\nSummary: The zeta package\nHome-page: \nAuthor: \nLicense: MIT\n"
        "Location: [SITE]\nRequires: eta, theta\nRequired-by: \nInstaller: bale\n"
    )
    assert "Required-by: zeta" in text.split("---\n")[1]
    files = bale("pip", "show", "-f", "eta")
    assert "  eta/__init__.py" in files.stdout and "  eta-1.0.dist-info/RECORD" in files.stdout
    missing = bale("pip", "show", "nope")
    assert missing.code == 1 and "nope" in missing.stderr


def test_check_reports_missing_and_conflicting(make_pkg, bale, venv: Venv) -> None:
    _install(
        bale,
        make_pkg("iota", "1.0", requires_dist=["kappa>=2", "lam", "win ; sys_platform == 'win32'"]),
        make_pkg("kappa", "1.5"),
    )
    result = bale("pip", "check")
    assert result.code == 1
    assert result.stdout == (
        "iota 1.0 has requirement kappa>=2, but you have kappa 1.5.\n"
        "iota 1.0 requires lam, which is not installed.\n"
    )
    _install(bale, make_pkg("lam", "1.0"))
    assert bale("pip", "uninstall", "iota").code == 0
    clean = bale("pip", "check")
    assert clean.code == 0 and clean.stdout == ""
    assert "no broken requirements" in clean.stderr


def test_uninstall_missing_package_warns(make_pkg, bale, venv: Venv) -> None:
    _install(bale, make_pkg("mu", "1.0"))
    result = bale("pip", "uninstall", "mu", "nu")
    assert result.code == 0, result
    assert "Skipping nu: it is not installed" in result.stderr
    assert " - mu==1.0" in result.stderr
    assert venv.dist_infos() == []


def test_download_saves_wheels(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index([make_pkg("xi", "1.0"), make_pkg("xi", "1.1")])
    dest = tmp_path / "wheelhouse"
    result = run_bale("pip", "download", "--no-deps", "xi", "-d", dest, "-i", server.url)
    assert result.code == 0, result
    assert sorted(p.name for p in dest.iterdir()) == ["xi-1.1-py3-none-any.whl"]
    # The downloaded folder then works as an offline wheelhouse.
    from tests.cli.conftest import make_stdlib_venv

    venv = make_stdlib_venv(tmp_path / "offline-venv")
    offline = run_bale(
        "pip",
        "install",
        "--no-deps",
        "xi",
        "--no-index",
        "--find-links",
        dest,
        "--offline",
        "--python",
        venv.root,
    )
    assert offline.code == 0, offline
    assert venv.imports("xi") == "1.1"
