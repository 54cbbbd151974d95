"""`bale run --with`: extra packages in a cached overlay, the project's environment left as it is."""

from __future__ import annotations

from pathlib import Path

from tests.scripts.projects import demo_project

SHOW = "import lib, tool; print('lib', lib.__version__, 'tool', tool.__version__)"


def _universe(make_pkg) -> list[Path]:
    return [
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("tool", "1.0", entry_points={"console_scripts": {"tool": "tool:main"}}),
    ]


def _listing(root: Path) -> list[str]:
    site = next((root / ".venv" / "lib").glob("python3*/site-packages"))
    # Bytecode aside: running the environment's Python compiles what it imports (when writing it is on).
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if "__pycache__" not in p.parts)


def test_with_overlays_the_project_environment_and_leaves_it_untouched(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = demo_project(tmp_path)
    synced = run_bale("sync", "-i", server.url, cwd=root)
    assert synced.code == 0, synced
    before = _listing(root)

    result = run_bale("run", "-i", server.url, "--with", "tool", "python", "-c", SHOW, cwd=root)
    assert result.code == 0, result
    assert result.stdout == "lib 1.0 tool 1.0\n"  # the project's lib, the overlay's tool
    assert _listing(root) == before

    # The overlay's console scripts come first on PATH, then the project's.
    script = run_bale("run", "-i", server.url, "--with", "tool", "tool", cwd=root)
    assert script.code == 0, script
    assert script.stdout == "tool 1.0\n"
    assert "Installed" not in script.stderr  # the same overlay, from the cache

    plain = run_bale("run", "-i", server.url, "python", "-c", "import tool", cwd=root)
    assert plain.code == 1  # not in the project's environment


def test_with_requirements_file_and_outside_a_project(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    work = tmp_path / "work"
    work.mkdir()
    (work / "extra.txt").write_text("# the tool\ntool\n")
    result = run_bale(
        "run",
        "-i",
        server.url,
        "--with",
        "lib",
        "--with-requirements",
        "extra.txt",
        "python",
        "-c",
        SHOW,
        cwd=work,
    )
    assert result.code == 0, result
    assert result.stdout == "lib 2.0 tool 1.0\n"
    before = len(server.requests)
    again = run_bale(
        "run",
        "-i",
        server.url,
        "--with",
        "lib",
        "--with-requirements",
        "extra.txt",
        "python",
        "-c",
        SHOW,
        cwd=work,
    )
    assert again.code == 0, again
    assert len(server.requests) == before


def test_a_plain_py_file_runs_with_the_project_and_no_project_skips_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    root = demo_project(tmp_path)
    (root / "show.py").write_text("import lib\nprint('lib', lib.__version__)\n")
    result = run_bale("run", "-i", server.url, "show.py", cwd=root)
    assert result.code == 0, result
    assert result.stdout == "lib 1.0\n"
    alone = run_bale(
        "run", "--no-project", "-i", server.url, "--with", "tool", "python", "-c", SHOW, cwd=root
    )
    assert alone.code == 1  # the overlay alone: no lib, the project's environment is not read
    assert "No module named 'lib'" in alone.stderr
