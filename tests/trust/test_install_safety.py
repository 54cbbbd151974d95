"""The installer against hostile wheels and installed dists: protected files, unknown .data folders,
uninstall that deletes only inside the environment, an environment's interpreter never run to read it,
and packages with missing files found and repaired."""

from __future__ import annotations

import hashlib
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli.conftest import Venv, make_stdlib_venv
from tests.support.builders import Pkg, make_wheel
from tests.support.cli import BaleRunner, scrub

PAYLOAD = "#!/bin/sh\necho pwned\n"


def tree_state(root: Path) -> dict[str, str]:
    """Every entry under ``root`` -> its content digest, link target or "dir": any change shows."""
    state: dict[str, str] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root)
            if os.path.islink(path):
                state[key] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                state[key] = "dir"
            else:
                with open(path, "rb") as handle:
                    state[key] = hashlib.sha256(handle.read()).hexdigest() + f" {os.stat(path).st_mode:o}"
    return state


def install(run_bale: BaleRunner, venv: Venv, links: Path, *requirements: str):  # type: ignore[no-untyped-def]
    return run_bale(
        "pip", "install", "--python", venv.root, "--no-index", "--find-links", links, *requirements
    )


def module_pkg(version: str, **fields: object) -> Pkg:
    return Pkg("evil", version, **fields)  # type: ignore[arg-type]


# (description, the bad wheel's fields, the member the error must name, where it would have landed)
HOSTILE = [
    (
        "console script named python",
        {"entry_points": {"console_scripts": {"python": "evil:main"}}},
        "evil-2.0.dist-info/entry_points.txt",
        "bin/python",
        "its script 'python': it is the environment's interpreter",
    ),
    (
        "gui script named activate",
        {"entry_points": {"gui_scripts": {"activate": "evil:main"}}},
        "evil-2.0.dist-info/entry_points.txt",
        "bin/activate",
        "its script 'activate': it is an activation script of the environment",
    ),
    (
        ".data/scripts/python3",
        {"data": {"scripts": {"python3": PAYLOAD}}},
        "evil-2.0.data/scripts/python3",
        "bin/python3",
        "it is the environment's interpreter",
    ),
    (
        ".data/scripts/Python3.11 (case folded)",
        {"data": {"scripts": {"Python3.11": PAYLOAD}}},
        "evil-2.0.data/scripts/Python3.11",
        "bin/Python3.11",
        "it is the environment's interpreter",
    ),
    (
        ".data/data/bin/python",
        {"data": {"data": {"bin/python": PAYLOAD}}},
        "evil-2.0.data/data/bin/python",
        "bin/python",
        "it is the environment's interpreter",
    ),
    (
        ".data/data/pyvenv.cfg",
        {"data": {"data": {"pyvenv.cfg": "home = /tmp/evil\n"}}},
        "evil-2.0.data/data/pyvenv.cfg",
        "pyvenv.cfg",
        "it is the environment's configuration",
    ),
    (
        ".data/data/bin/Activate.ps1",
        {"data": {"data": {"bin/Activate.ps1": "Write-Host pwned\n"}}},
        "evil-2.0.data/data/bin/Activate.ps1",
        "bin/Activate.ps1",
        "it is an activation script of the environment",
    ),
    (
        ".data/data/bin/activate.fish",
        {"data": {"data": {"bin/activate.fish": "echo pwned\n"}}},
        "evil-2.0.data/data/bin/activate.fish",
        "bin/activate.fish",
        "it is an activation script of the environment",
    ),
]


@pytest.mark.parametrize(
    ("fields", "member", "landing", "reason"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_no_wheel_file_replaces_the_interpreter_config_or_activation(
    run_bale: BaleRunner,
    tmp_path: Path,
    fields: dict[str, object],
    member: str,
    landing: str,
    reason: str,
) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    links = tmp_path / "links"
    make_wheel(module_pkg("1.0"), links)
    make_wheel(module_pkg("2.0", **fields), links)
    assert install(run_bale, venv, links, "evil==1.0").code == 0
    before = tree_state(venv.root)

    # An upgrade to the hostile version: refused before the old version is touched.
    result = install(run_bale, venv, links, "evil==2.0")
    assert result.code == 1, result
    assert scrub(result.stderr, {venv.root: "[VENV]"}).splitlines() == [
        "error: refusing to install evil 2.0 from evil-2.0-py3-none-any.whl: "
        f"the wheel's file {member} is unsafe",
        f"  it would be written to [VENV]/{landing}",
        f"  {reason}",
        "hint: nothing was changed; the wheel is broken or hostile, report it to its maintainers",
    ]
    assert tree_state(venv.root) == before
    assert venv.imports("evil") == "1.0"


def test_purelib_path_that_climbs_to_the_interpreter_is_refused(run_bale: BaleRunner, tmp_path: Path) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    links = tmp_path / "links"
    make_wheel(module_pkg("1.0"), links)
    make_wheel(module_pkg("2.0", data={"purelib": {"../../../../bin/python": PAYLOAD}}), links)
    assert install(run_bale, venv, links, "evil==1.0").code == 0
    before = tree_state(venv.root)

    result = install(run_bale, venv, links, "evil==2.0")
    assert result.code == 1, result
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    assert "evil-2.0-py3-none-any.whl" in text
    assert "'evil-2.0.data/purelib/../../../../bin/python'" in text
    assert "Traceback" not in text
    assert tree_state(venv.root) == before
    assert venv.imports("evil") == "1.0"


def test_unknown_data_folder_is_refused_before_the_old_version_is_removed(
    run_bale: BaleRunner, tmp_path: Path
) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    links = tmp_path / "links"
    make_wheel(module_pkg("1.0", entry_points={"console_scripts": {"evil-cli": "evil:main"}}), links)
    bad = module_pkg(
        "2.0", files={"evil/__init__.py": "__version__ = '2.0'\n", "evil-2.0.data/bogus/notes.txt": "x\n"}
    )
    make_wheel(bad, links)
    assert install(run_bale, venv, links, "evil==1.0").code == 0
    before = tree_state(venv.root)

    result = install(run_bale, venv, links, "evil==2.0")
    assert result.code == 1, result
    lines = scrub(result.stderr).splitlines()
    assert lines[-3:] == [
        "error: refusing to install evil 2.0 from evil-2.0-py3-none-any.whl: it installs into an unknown "
        "location: evil-2.0.data/bogus/notes.txt",
        "  a wheel's .data folder may only hold data, headers, platlib, purelib, scripts",
        "hint: nothing was changed; the wheel is broken, report it to its maintainers",
    ]
    assert tree_state(venv.root) == before
    assert venv.imports("evil") == "1.0"
    assert (venv.root / "bin" / "evil-cli").is_file()


# ---- uninstall ------------------------------------------------------------------------------------


def test_uninstall_deletes_only_recorded_files_inside_the_environment(
    run_bale: BaleRunner, tmp_path: Path
) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    site = venv.site_packages()
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("relative.txt", "absolute.txt", "via-link.txt"):
        (outside / name).write_text("precious\n")
    (site / "escape").symlink_to(outside, target_is_directory=True)
    # A dist installed by hand (no wheel): its RECORD is all the test's.
    (site / "crafted").mkdir()
    (site / "crafted" / "__init__.py").write_text("__version__ = '1.0'\n")
    (site / "crafted" / "data.txt").write_text("mine\n")
    info = site / "crafted-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crafted\nVersion: 1.0\n")
    (info / "INSTALLER").write_text("bale\n")
    depth = len(site.relative_to(tmp_path).parts)
    climb = "../" * depth + "outside/relative.txt"
    (info / "RECORD").write_text(
        textwrap.dedent(
            f"""\
            crafted/__init__.py,,
            crafted/data.txt,,
            {climb},,
            {outside / "absolute.txt"},,
            escape/via-link.txt,,
            ../../../bin/python,,
            ../../../pyvenv.cfg,,
            crafted-1.0.dist-info/METADATA,,
            crafted-1.0.dist-info/INSTALLER,,
            crafted-1.0.dist-info/RECORD,,
            """
        )
    )
    python_before = os.readlink(venv.root / "bin" / "python")
    config_before = (venv.root / "pyvenv.cfg").read_text()

    result = run_bale("pip", "uninstall", "--python", venv.root, "crafted")
    assert result.code == 0, result
    text = scrub(result.stderr, {tmp_path: "[TMP]"})
    record = "[TMP]/venv/" + str(site.relative_to(venv.root)) + "/crafted-1.0.dist-info/RECORD"
    warned = [line for line in text.splitlines() if line.startswith("warning:")]
    prefix = "warning: did not delete a file crafted 1.0 lists: "
    site_rel = "[TMP]/" + str(site.relative_to(tmp_path))
    assert warned == [
        f"{prefix}{climb} (in {record}) is [TMP]/outside/relative.txt, outside the environment [TMP]/venv",
        f"{prefix}[TMP]/outside/absolute.txt (in {record}) is [TMP]/outside/absolute.txt, "
        "outside the environment [TMP]/venv",
        f"{prefix}escape/via-link.txt (in {record}) is [TMP]/outside/via-link.txt, "
        "outside the environment [TMP]/venv",
        f"{prefix}../../../bin/python (in {record}) is [TMP]/venv/bin/python: "
        "it is the environment's interpreter",
        f"{prefix}../../../pyvenv.cfg (in {record}) is [TMP]/venv/pyvenv.cfg: "
        "it is the environment's configuration",
    ], text
    assert site_rel in record
    for name in ("relative.txt", "absolute.txt", "via-link.txt"):
        assert (outside / name).read_text() == "precious\n"
    assert os.readlink(venv.root / "bin" / "python") == python_before
    assert (venv.root / "pyvenv.cfg").read_text() == config_before
    assert not (site / "crafted").exists()
    assert not info.exists()
    assert (site / "escape").is_symlink()  # not listed: not bale's to delete
    assert venv.run("-c", "print('still runs')").stdout == "still runs\n"


# ---- the environment's interpreter is never run to read the environment ----------------------------


def booby_trap(venv: Venv, marker: Path) -> None:
    """Replace the venv's ``bin/python`` by a script that leaves ``marker`` and then runs Python."""
    real = os.path.realpath(venv.root / "bin" / "python")
    target = venv.root / "bin" / "python"
    target.unlink()
    target.write_text(f'#!/bin/sh\necho ran >> "{marker}"\nexec "{real}" "$@"\n')
    target.chmod(0o755)


@pytest.mark.parametrize("maker", ["stdlib", "bale"])
def test_listing_and_installing_never_run_the_environment_interpreter(
    run_bale: BaleRunner, tmp_path: Path, maker: str
) -> None:
    if maker == "stdlib":
        venv = make_stdlib_venv(tmp_path / "venv")
    else:
        created = run_bale("venv", tmp_path / "venv", "--python", sys.executable)
        assert created.code == 0, created
        venv = Venv(tmp_path / "venv")
    marker = tmp_path / "interpreter-ran"
    booby_trap(venv, marker)
    links = tmp_path / "links"
    make_wheel(Pkg("calm", "1.0"), links)
    make_wheel(Pkg("calm", "2.0", entry_points={"console_scripts": {"calm-cli": "calm:main"}}), links)

    steps = [
        ("pip", "install", "--python", venv.root, "--no-index", "--find-links", links, "calm==1.0"),
        ("pip", "list", "--python", venv.root),
        ("pip", "install", "--python", venv.root, "--no-index", "--find-links", links, "calm==2.0"),
        ("pip", "freeze", "--python", venv.root),
        ("pip", "show", "--python", venv.root, "calm"),
        ("pip", "check", "--python", venv.root),
        ("pip", "uninstall", "--python", venv.root, "calm"),
    ]
    outputs = []
    for args in steps:
        result = run_bale(*args)
        assert result.code == 0, result
        outputs.append(result.stdout)
        assert not marker.exists(), (
            f"bale ran the environment's interpreter for: bale {' '.join(map(str, args))}"
        )
    assert "calm==2.0" in outputs[3].splitlines()
    # The same env through VIRTUAL_ENV.
    assert run_bale("pip", "list", virtual_env=venv.root).code == 0
    assert not marker.exists()
    # The trap works: running the interpreter leaves the marker.
    assert venv.run("-c", "pass").returncode == 0
    assert marker.read_text() == "ran\n"


# ---- missing files: pip check reports, reinstall and sync repair ----------------------------------


def test_pip_check_reports_missing_files_and_reinstall_repairs(run_bale: BaleRunner, tmp_path: Path) -> None:
    venv = make_stdlib_venv(tmp_path / "venv")
    links = tmp_path / "links"
    files = {f"damaged/mod{i}.py": f"VALUE = {i}\n" for i in range(4)}
    files["damaged/__init__.py"] = "__version__ = '1.0'\n"
    make_wheel(Pkg("damaged", "1.0", files=files), links)
    make_wheel(Pkg("intact", "1.0"), links)
    assert install(run_bale, venv, links, "damaged", "intact").code == 0
    site = venv.site_packages()
    assert run_bale("pip", "check", "--python", venv.root).code == 0
    (site / "damaged" / "mod1.py").unlink()
    (site / "damaged" / "mod3.py").unlink()

    check = run_bale("pip", "check", "--python", venv.root)
    assert check.code == 1, check
    assert check.stdout == (
        "damaged 1.0 is missing 2 of its installed files: damaged/mod1.py, damaged/mod3.py.\n"
    )
    assert check.stderr == (
        "Found 1 package with missing files; repair with `bale pip install --reinstall NAME`\n"
    )

    repaired = install(run_bale, venv, links, "--reinstall", "damaged")
    assert repaired.code == 0, repaired
    assert (site / "damaged" / "mod1.py").read_text() == "VALUE = 1\n"
    assert (site / "damaged" / "mod3.py").read_text() == "VALUE = 3\n"
    assert run_bale("pip", "check", "--python", venv.root).code == 0


PROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">={major}.{minor}"
dependencies = ["damaged"]
"""


def test_sync_repairs_a_package_with_missing_files(
    run_bale: BaleRunner, static_index, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    files = {f"damaged/mod{i}.py": f"VALUE = {i}\n" for i in range(3)}
    files["damaged/__init__.py"] = "__version__ = '1.0'\n"
    server = static_index([make_wheel(Pkg("damaged", "1.0", files=files), tmp_path / "wheels")])
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        PROJECT.format(major=sys.version_info[0], minor=sys.version_info[1])
    )
    first = run_bale("sync", "-i", server.url, cwd=project)
    assert first.code == 0, first
    site = next((project / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "damaged" / "mod2.py").unlink()

    # The no-op stamp watches site-packages' own entries, not files inside packages: a file deleted
    # in a package's folder is found once the stamp is invalidated (any change of site-packages, a
    # changed lock or settings) or by `bale pip install --reinstall`.
    (project / ".venv" / ".bale-sync.json").unlink()
    synced = run_bale("sync", "-i", server.url, cwd=project)
    assert synced.code == 0, synced
    assert (site / "damaged" / "mod2.py").read_text() == "VALUE = 2\n"
    assert (
        "warning: damaged 1.0 is missing 1 installed file (damaged/mod2.py): installing it again"
        in synced.stderr
    )


def test_facts_read_from_pyvenv_cfg_equal_what_the_interpreter_reports(tmp_path: Path) -> None:
    from bale.python.probe import _probe_file, environment_interpreter

    venv = make_stdlib_venv(tmp_path / "venv")
    for name in ("python", "python3"):
        executable = venv.root / "bin" / name
        derived = environment_interpreter(executable, tmp_path / "probe-cache")
        assert derived is not None
        assert derived.to_json() == _probe_file(executable, None).to_json()
    # A base of another version than pyvenv.cfg says: None, and the caller runs the interpreter.
    config = (venv.root / "pyvenv.cfg").read_text()
    (venv.root / "pyvenv.cfg").write_text(config.replace("version = ", "version = 2.7.18\nold = "))
    assert environment_interpreter(venv.root / "bin" / "python3", None) is None
