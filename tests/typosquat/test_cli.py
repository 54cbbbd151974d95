"""The typosquatting guard as a user meets it: `bale add` and `bale pip install` of a look-alike name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.sources.helpers import write_project
from tests.support.cli import scrub

PLAIN = """
    [project]
    name = "demo"
    version = "0.1.0"
    requires-python = "{python}"
    dependencies = []
"""
WARNING = (
    "warning: `reqeusts` looks like `requests` (rank 7); first uploaded 3 days ago. Did you mean `requests`?"
)


def _index(make_pkg, static_index, *names: str):
    """An index serving each name (1.0), first uploaded three days and two hours ago."""
    wheels = [make_pkg(name, "1.0") for name in names]
    when = datetime.now(timezone.utc) - timedelta(days=3, hours=2)
    return static_index(wheels, upload_times={wheel.name: when for wheel in wheels})


def test_add_warns_before_adding_a_look_alike_and_still_adds_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = _index(make_pkg, static_index, "reqeusts")
    root = write_project(tmp_path / "demo", PLAIN)

    added = run_bale("add", "reqeusts", "-i", server.url, cwd=root)
    assert added.code == 0, added
    # The warning comes first: before resolving, locking or installing anything.
    assert scrub(added.stderr, {tmp_path: "[TMP]"}) == "\n".join(
        [
            WARNING,
            "Resolved 1 package in [TIME]",
            "Created virtual environment at: [TMP]/demo/.venv",
            "Installed 1 package in [TIME]",
            " + reqeusts==1.0",
            "",
        ]
    )
    assert '"reqeusts>=1.0"' in (root / "pyproject.toml").read_text()
    assert 'name = "reqeusts"' in (root / "pylock.toml").read_text()


def test_add_strict_refuses_and_leaves_the_project_untouched(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = _index(make_pkg, static_index, "reqeusts", "lib")
    root = write_project(tmp_path / "demo", PLAIN.replace("[]", '["lib"]'))
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    before = {name: (root / name).read_bytes() for name in ("pyproject.toml", "pylock.toml")}

    refused = run_bale("add", "reqeusts", "--strict", "-i", server.url, cwd=root)
    assert refused.code == 1, refused
    assert refused.stderr == (
        "error: Refusing to add `reqeusts`: the name looks like a popular package's, and the typosquatting "
        "guard is set to deny\n"
        "  `reqeusts` looks like `requests` (rank 7); first uploaded 3 days ago. Did you mean `requests`?\n"
        "hint: check the spelling; if the name is right, run without --strict (and BALE_TYPOSQUAT=warn)\n"
    )
    assert {name: (root / name).read_bytes() for name in before} == before
    assert not (root / ".venv").exists()

    # BALE_TYPOSQUAT=deny is --strict without the flag; =off lets it through without a word.
    denied = run_bale(
        "add", "reqeusts", "--no-sync", "-i", server.url, cwd=root, env={"BALE_TYPOSQUAT": "deny"}
    )
    assert denied.code == 1 and "Refusing to add `reqeusts`" in denied.stderr, denied
    assert {name: (root / name).read_bytes() for name in before} == before
    quiet = run_bale(
        "add", "reqeusts", "--no-sync", "-i", server.url, cwd=root, env={"BALE_TYPOSQUAT": "off"}
    )
    assert quiet.code == 0, quiet
    assert "looks like" not in quiet.stderr

    # Now in the lock: adding it again (with a bound, say) is not a new name.
    again = run_bale("add", "reqeusts>=1", "--strict", "--no-sync", "-i", server.url, cwd=root)
    assert again.code == 0, again
    assert "looks like" not in again.stderr


def test_a_popular_name_or_an_unknown_mode_is_not_flagged(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = _index(make_pkg, static_index, "six")
    root = write_project(tmp_path / "demo", PLAIN)

    added = run_bale("add", "six", "--strict", "--no-sync", "-i", server.url, cwd=root)
    assert added.code == 0, added
    assert "warning" not in added.stderr

    wrong = run_bale("add", "six", "--no-sync", "-i", server.url, cwd=root, env={"BALE_TYPOSQUAT": "loud"})
    assert wrong.code == 1
    assert wrong.stderr == (
        "error: BALE_TYPOSQUAT='loud' is not a typosquatting guard mode\nhint: set it to warn, deny or off\n"
    )


def test_pip_install_strict_installs_nothing_and_warn_installs(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = _index(make_pkg, static_index, "reqeusts")
    venv = tmp_path / "venv"
    assert run_bale("venv", venv).code == 0
    site = next((venv / "lib").glob("python*/site-packages"))
    before = sorted(path.name for path in site.iterdir())

    # A look-alike no index serves would install nothing: the usual error says so, not the guard.
    missing = run_bale("pip", "install", "nunpy", "--strict", "-i", server.url, virtual_env=venv)
    assert missing.code == 1, missing
    assert missing.stderr == (
        "error: No solution found when resolving dependencies:\n  Because your requirements depend on nunpy "
        "which was not found in the package index, your requirements are unsatisfiable.\n"
    )

    refused = run_bale("pip", "install", "reqeusts", "--strict", "-i", server.url, virtual_env=venv)
    assert refused.code == 1, refused
    assert refused.stderr.startswith("error: Refusing to install `reqeusts`: the name looks like")
    assert sorted(path.name for path in site.iterdir()) == before

    installed = run_bale("pip", "install", "reqeusts", "-i", server.url, virtual_env=venv)
    assert installed.code == 0, installed
    assert installed.stderr.splitlines()[0] == WARNING
    assert "reqeusts-1.0.dist-info" in {path.name for path in site.iterdir()}

    # Installed now: the environment has it, so it is not a new name any more.
    again = run_bale("pip", "install", "reqeusts", "--strict", "-i", server.url, virtual_env=venv)
    assert again.code == 0, again
    assert "looks like" not in again.stderr


def test_add_from_a_named_index_reads_the_upload_time_there(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = _index(make_pkg, static_index, "reqeusts")
    private = f'\n[[tool.bale.index]]\nname = "private"\nurl = "{server.url}"\nexplicit = true\n'
    root = write_project(tmp_path / "demo", PLAIN)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + private)
    before = (root / "pyproject.toml").read_bytes()

    default = static_index([make_pkg("lib", "1.0")])  # has no `reqeusts`: only the named index does
    refused = run_bale("add", "reqeusts", "--index", "private", "--strict", "-i", default.url, cwd=root)
    assert refused.code == 1, refused
    assert "  `reqeusts` looks like `requests` (rank 7); first uploaded 3 days ago." in refused.stderr
    assert (root / "pyproject.toml").read_bytes() == before
    assert not (root / "pylock.toml").exists()

    added = run_bale("add", "reqeusts", "--index", "private", "--no-sync", "-i", default.url, cwd=root)
    assert added.code == 0, added
    assert added.stderr.splitlines()[0] == WARNING
    assert 'reqeusts = { index = "private" }' in (root / "pyproject.toml").read_text()


def test_the_policy_key_typosquat_deny_refuses_and_the_environment_cannot_loosen_it(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = _index(make_pkg, static_index, "reqeusts")
    root = write_project(tmp_path / "demo", PLAIN + '\n[tool.bale.policy]\ntyposquat = "deny"\n')
    before = (root / "pyproject.toml").read_bytes()
    for env in ({}, {"BALE_TYPOSQUAT": "off"}):
        refused = run_bale("add", "reqeusts", "--no-sync", "-i", server.url, cwd=root, env=env)
        assert refused.code == 1, refused
        assert "Refusing to add `reqeusts`" in refused.stderr, refused
        assert (root / "pyproject.toml").read_bytes() == before
        assert not (root / "pylock.toml").exists()

    # An organisation's policy file reaches the pip interface too.
    policy = tmp_path / "org.toml"
    policy.write_text('typosquat = "deny"\n', encoding="utf-8")
    venv = tmp_path / "env"
    assert run_bale("venv", str(venv)).code == 0
    installed = run_bale(
        "pip", "install", "reqeusts", "--policy", str(policy), "-i", server.url, "--python", str(venv)
    )
    assert installed.code == 1, installed
    assert "Refusing to install `reqeusts`" in installed.stderr, installed
    assert not list(venv.glob("lib/python*/site-packages/reqeusts*"))
