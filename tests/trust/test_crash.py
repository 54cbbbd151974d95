"""SIGKILL during install, upgrade or uninstall: the next bale run leaves each package exactly old or new.

bale kills itself at a named point when ``BALE_TEST_CRASH_AT`` says so (see ``bale.install.journal``);
the test then runs bale again against the environment and compares it file by file with the RECORD of
the version that must be there.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
from pathlib import Path

import pytest

from tests.cli.conftest import Venv, make_stdlib_venv
from tests.support.builders import Pkg, make_wheel
from tests.support.cli import BaleRunner, Result, scrub

KILLED = -signal.SIGKILL


def old_pkg() -> Pkg:
    return Pkg(
        "phoenix",
        "1.0",
        files={
            "phoenix/__init__.py": "__version__ = '1.0'\ndef main():\n    print('old')\n",
            "phoenix/only_old.py": "OLD = True\n",
            "phoenix/common.py": "WHO = 'old'\n",
        },
        entry_points={"console_scripts": {"phoenix-cli": "phoenix:main", "phoenix-old": "phoenix:main"}},
    )


def new_pkg() -> Pkg:
    return Pkg(
        "phoenix",
        "2.0",
        files={
            "phoenix/__init__.py": "__version__ = '2.0'\ndef main():\n    print('new')\n",
            "phoenix/only_new.py": "NEW = True\n",
            "phoenix/common.py": "WHO = 'new'\n",
            "phoenix/sub/deep.py": "DEEP = 2\n",
            "phoenix_extra/__init__.py": "EXTRA = 2\n",
        },
        entry_points={"console_scripts": {"phoenix-cli": "phoenix:main"}},
        data={"data": {"share/phoenix/notes.txt": "notes 2\n"}},
    )


def files_of(root: Path) -> set[str]:
    """Every file and link under ``root`` (relative), compiled bytecode and bale's lock file aside."""
    found = set()
    for directory, _, names in os.walk(root):
        if "__pycache__" in directory:
            continue
        for name in names:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found - {".lock", ".bale-sync.json", ".bale-noop", ".bale-noop-run"}


def record_digest(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def assert_exactly(venv: Venv, baseline: set[str], version: str | None) -> None:
    """The environment holds phoenix ``version`` (None: no phoenix) and nothing else of it."""
    site = venv.site_packages()
    infos = sorted(p.name for p in site.glob("phoenix-*.dist-info"))
    assert not (site / ".bale-journal").exists()
    if version is None:
        assert infos == []
        assert files_of(venv.root) == baseline
        return
    assert infos == [f"phoenix-{version}.dist-info"]
    record = site / infos[0] / "RECORD"
    expected = set()
    for line in record.read_text().splitlines():
        path, digest, _size = line.rsplit(",", 2)
        target = (site / path).resolve() if not path.startswith("..") else Path(os.path.normpath(site / path))
        expected.add(os.path.relpath(target, venv.root))
        if digest:
            assert record_digest(target) == digest, path
    # Every file of this version and not one of the other's.
    assert files_of(venv.root) - baseline == expected
    assert venv.imports("phoenix") == version
    cli = venv.root / "bin" / "phoenix-cli"
    assert os.access(cli, os.X_OK)


def install(run_bale: BaleRunner, venv: Venv, links: Path, requirement: str, **env: str) -> Result:
    return run_bale(
        "pip",
        "install",
        "--python",
        venv.root,
        "--no-index",
        "--find-links",
        links,
        requirement,
        env={"BALE_TEST_CRASH_AT": env.get("crash", "")} if env else None,
    )


@pytest.fixture
def links(tmp_path: Path) -> Path:
    folder = tmp_path / "links"
    make_wheel(old_pkg(), folder)
    make_wheel(new_pkg(), folder)
    return folder


@pytest.mark.parametrize(
    ("point", "survivor"),
    [
        ("staged", "1.0"),  # nothing in the environment changed yet: rolled back
        ("journaled", "2.0"),  # from here on the change is completed
        ("removing", "2.0"),
        ("removed", "2.0"),
        ("moving", "2.0"),
    ],
)
def test_upgrade_killed_at_any_point_ends_old_or_new(
    run_bale: BaleRunner, links: Path, tmp_path: Path, point: str, survivor: str
) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    baseline = files_of(venv.root)
    assert install(run_bale, venv, links, "phoenix==1.0").code == 0
    assert_exactly(venv, baseline, "1.0")

    killed = install(run_bale, venv, links, "phoenix==2.0", crash=point)
    assert killed.code == KILLED, killed
    assert (venv.site_packages() / ".bale-journal").is_dir()

    # Any bale command against the environment finishes the job first; a read-only one too.
    after = run_bale("pip", "list", "--python", venv.root)
    assert after.code == 0, after
    warning = scrub(after.stderr, {venv.root: "[VENV]"})
    if survivor == "1.0":
        assert (
            "warning: [VENV]: undid an install that was interrupted before it changed the environment"
            in warning
        )
    else:
        assert (
            "warning: [VENV]: completed a change to the environment that was interrupted: "
            "installed phoenix 2.0, removed phoenix 1.0"
        ) in warning
    assert f"phoenix {survivor}" in " ".join(after.stdout.split())
    assert_exactly(venv, baseline, survivor)

    # And the environment works normally afterwards: the upgrade can be (re)done.
    again = install(run_bale, venv, links, "phoenix==2.0")
    assert again.code == 0, again
    assert_exactly(venv, baseline, "2.0")


@pytest.mark.parametrize("point", ["staged", "journaled", "moving"])
def test_fresh_install_killed_ends_absent_or_installed(
    run_bale: BaleRunner, links: Path, tmp_path: Path, point: str
) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    baseline = files_of(venv.root)
    killed = install(run_bale, venv, links, "phoenix==2.0", crash=point)
    assert killed.code == KILLED, killed
    # The next install recovers before it reads the environment.
    done = install(run_bale, venv, links, "phoenix==2.0")
    assert done.code == 0, done
    assert "interrupted" in done.stderr
    assert_exactly(venv, baseline, "2.0")


@pytest.mark.parametrize("point", ["journaled", "removing", "removed"])
def test_uninstall_killed_ends_removed(run_bale: BaleRunner, links: Path, tmp_path: Path, point: str) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    baseline = files_of(venv.root)
    assert install(run_bale, venv, links, "phoenix==2.0").code == 0
    killed = run_bale("pip", "uninstall", "--python", venv.root, "phoenix", env={"BALE_TEST_CRASH_AT": point})
    assert killed.code == KILLED, killed
    after = run_bale("pip", "freeze", "--python", venv.root)
    assert after.code == 0, after
    assert after.stdout == ""
    assert "removed phoenix 2.0" in after.stderr
    assert_exactly(venv, baseline, None)


def test_sync_after_a_killed_sync_completes_it(
    run_bale: BaleRunner,
    static_index,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    server = static_index([make_wheel(old_pkg(), tmp_path / "w"), make_wheel(new_pkg(), tmp_path / "w")])
    project = tmp_path / "app"
    project.mkdir()
    pyproject = project / "pyproject.toml"
    text = (
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
        'dependencies = ["phoenix==1.0"]\n'
    )
    pyproject.write_text(text)
    assert run_bale("sync", "-i", server.url, cwd=project).code == 0
    venv = Venv(project / ".venv")
    pyproject.write_text(text.replace("phoenix==1.0", "phoenix==2.0"))
    killed = run_bale("sync", "-i", server.url, cwd=project, env={"BALE_TEST_CRASH_AT": "removed"})
    assert killed.code == KILLED, killed
    assert not (venv.site_packages() / "phoenix").exists()  # mid-change: the old files are gone
    synced = run_bale("sync", "-i", server.url, cwd=project)
    assert synced.code == 0, synced
    assert venv.imports("phoenix") == "2.0"
    assert not (venv.site_packages() / "phoenix" / "only_old.py").exists()
    assert (venv.site_packages() / "phoenix" / "only_new.py").exists()


def test_a_forged_journal_deletes_nothing_outside_the_environment(
    run_bale: BaleRunner, tmp_path: Path
) -> None:
    import json

    venv = make_stdlib_venv(tmp_path / "venv")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    transaction = venv.site_packages() / ".bale-journal" / "forged"
    transaction.mkdir(parents=True)
    removal = {
        "name": "x",
        "version": "1",
        "root": "/",
        "dist_info": str(tmp_path),
        "files": [str(victim), str(venv.root / ".." / "victim.txt")],
        "stops": [],
    }
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "bin").mkdir(parents=True)
    (elsewhere / "bin" / "tool").write_text("not to be moved\n")
    stages = ["../../../../../elsewhere", str(elsewhere)]
    (transaction / "journal.json").write_text(
        json.dumps({"format": 1, "install": [], "remove": [removal], "stages": stages})
    )
    result = run_bale("pip", "list", "--python", venv.root)
    assert result.code == 0, result
    assert victim.read_text() == "precious\n"
    assert (elsewhere / "bin" / "tool").read_text() == "not to be moved\n"
    assert not (venv.root / "bin" / "tool").exists()
    assert tmp_path.is_dir() and (venv.root / "pyvenv.cfg").is_file()
    assert not (venv.site_packages() / ".bale-journal").exists()
