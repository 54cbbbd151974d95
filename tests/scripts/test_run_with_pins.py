"""`bale run --with` in a project: the overlay keeps the project's locked versions."""

from __future__ import annotations

from pathlib import Path

from tests.scripts.projects import demo_project

SHOW = "import lib, tool; print('lib', lib.__version__, 'tool', tool.__version__)"


def test_a_with_package_gets_the_locked_version_of_a_shared_dependency(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(
        [
            make_pkg("lib", "1.0"),
            make_pkg("lib", "2.0"),
            make_pkg("tool", "1.0", requires_dist=["lib"]),
            make_pkg("newer", "1.0", requires_dist=["lib>=2"]),
        ]
    )
    root = demo_project(tmp_path)
    assert run_bale("sync", "-i", server.url, cwd=root).code == 0
    # Alone, tool would get lib 2.0 (the newest) and shadow the project's lib 1.0.
    result = run_bale("run", "-i", server.url, "--with", "tool", "python", "-c", SHOW, cwd=root)
    assert result.code == 0, result
    assert result.stdout == "lib 1.0 tool 1.0\n"
    alone = ("run", "--no-project", "-i", server.url, "--with", "tool", "python", "-c", SHOW)
    outside = run_bale(*alone, cwd=root)
    assert outside.code == 0, outside
    assert outside.stdout == "lib 2.0 tool 1.0\n"  # no project: no pins

    conflict = run_bale("run", "-i", server.url, "--with", "newer", "python", "-c", "1", cwd=root)
    assert conflict.code == 1, conflict
    assert "Traceback" not in conflict.stderr
    assert conflict.stderr == (
        "error: The --with packages (newer) conflict with the project's locked versions (lib==1.0)\n"
        "  Because every version of newer depends on lib>=2 and the project's lock pins lib==1.0, no "
        "version of newer can be used.\n"
        "  And because --with depends on newer, --with's requirements are unsatisfiable.\n"
        "hint: run them apart from the project with --no-project, or change the project's pin\n"
    )
