"""uv's pre-release rules through the CLI: stable wins even where a specifier names a pre-release."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Venv


def test_install_prefers_stable_over_a_named_prerelease(make_pkg, static_index, bale, venv: Venv) -> None:
    server = static_index([make_pkg("eta", "1.0.0"), make_pkg("eta", "1.1.0a1"), make_pkg("eta", "0.9")])
    result = bale("pip", "install", "--no-deps", "eta>=1.0.0a1", "-i", server.url)
    assert result.code == 0, result
    assert venv.imports("eta") == "1.0.0"
    allowed = bale(
        "pip", "install", "-U", "--no-deps", "eta>=1.0.0a1", "--prerelease", "allow", "-i", server.url
    )
    assert allowed.code == 0, allowed
    assert venv.imports("eta") == "1.1.0a1"


def test_compile_falls_back_to_a_prerelease_only_when_necessary(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(
        [
            make_pkg("app", "1.0", requires_dist=["lib>=2.0b1"]),
            make_pkg("lib", "2.0b1"),
            make_pkg("lib", "2.0"),
            make_pkg("lib", "2.1rc1"),
            make_pkg("tool", "1.0", requires_dist=["lib>2.0"]),
        ]
    )
    (tmp_path / "in.txt").write_text("app\n")
    stable = run_bale("pip", "compile", "in.txt", "--no-header", "--no-annotate", "-i", server.url)
    assert stable.stdout == "app==1.0\nlib==2.0\n", stable
    (tmp_path / "in.txt").write_text("tool\n")
    fallback = run_bale("pip", "compile", "in.txt", "--no-header", "--no-annotate", "-i", server.url)
    assert fallback.stdout == "lib==2.1rc1\ntool==1.0\n", fallback
    explicit = run_bale(
        "pip",
        "compile",
        "in.txt",
        "--prerelease",
        "explicit",
        "--no-header",
        "--no-annotate",
        "-i",
        server.url,
    )
    assert explicit.code == 1, explicit
    assert (
        "pre-releases of lib match lib>2.0 (2.1rc1), but pre-releases are not allowed for it"
        in explicit.stderr
    )
    legacy = run_bale(
        "pip",
        "compile",
        "in.txt",
        "--prerelease",
        "if-necessary-or-explicit",
        "--no-header",
        "--no-annotate",
        "-i",
        server.url,
    )
    assert legacy.stdout == fallback.stdout, legacy
