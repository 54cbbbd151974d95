"""``bale python install | uninstall | list | dir`` against a python-build-standalone mirror built from
this machine's CPython, served over HTTP on 127.0.0.1 and from file://."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.python_install.conftest import RELEASE, Mirror, MirrorServer
from tests.support.cli import BaleRunner, scrub


def _key(mirror: Mirror) -> str:
    arch, _, _, libc = mirror.triple.split("-")
    return f"cpython-{mirror.version}-linux-{arch}-{libc}"


def _error(stderr: str) -> str:
    """The error line (download progress lines come before it)."""
    return next(line for line in stderr.splitlines() if line.startswith("error: "))


def test_install_from_an_http_mirror_then_list_venv_and_run(
    run_bale: BaleRunner,
    mirror: Mirror,
    mirror_server: MirrorServer,
    no_pythons: dict[str, str],
    tmp_path: Path,
) -> None:
    env = {**no_pythons, "BALE_PYTHON_INSTALL_MIRROR": mirror_server.url}
    managed = Path(no_pythons["BALE_PYTHON_INSTALL_DIR"])
    minor = mirror.version.rsplit(".", 1)[0]

    # Nothing to find yet, and the not-found error says how to get one.
    missing = run_bale("venv", "--python", minor, tmp_path / "early", env=env)
    assert missing.code == 1, missing
    assert f"install Python {minor} (for example with `bale python install {minor}`)" in missing.stderr

    installed = run_bale("python", "install", minor, env=env)
    assert installed.code == 0, installed
    home = managed / _key(mirror)
    size = (mirror.release_dir / mirror.filename).stat().st_size / 1048576
    assert scrub(installed.stderr, {managed: "[MANAGED]"}).splitlines() == [
        f"Downloading {mirror.filename} ({size:.1f}MiB)",
        f" Downloaded {mirror.filename}",
        f"Installed Python {mirror.version} in [TIME]",
        f" + {_key(mirror)} ([MANAGED]/{_key(mirror)}/bin/python3)",
    ]
    assert (home / "bin" / "python3").is_file()
    assert [p.name for p in managed.iterdir()] == [_key(mirror)]  # no temp folder or archive left
    # One listing of the mirror and one of the release, the checksums, then the archive (quoted as
    # GitHub's release URLs are).
    assert mirror_server.paths == [
        "/",
        f"/{RELEASE}/",
        f"/{RELEASE}/SHA256SUMS",
        f"/{RELEASE}/{mirror.filename.replace('+', '%2B')}",
    ]

    listed = run_bale("python", "list", "--only-installed", env=env)
    assert listed.code == 0, listed
    assert listed.stdout == f"{'cpython-' + mirror.version:<24} {home / 'bin' / 'python3'}\n"
    # Without --only-installed the mirror's other build for this platform shows as a download.
    everything = run_bale("python", "list", env=env)
    assert everything.code == 0, everything
    assert everything.stdout.splitlines()[1:] == [f"{'cpython-3.9.99':<24} <download available>"]
    assert run_bale("python", "dir", env=env).stdout == f"{managed}\n"
    assert run_bale("python", "find", minor, env=env).stdout == f"{home / 'bin' / 'python3'}\n"

    venv = tmp_path / "venv"
    made = run_bale("venv", "--python", minor, venv, env=env)
    assert made.code == 0, made
    ran = subprocess.run(
        [venv / "bin" / "python", "-c", "import sys, json; print(sys.prefix); print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        env={"PATH": no_pythons["PATH"]},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [str(venv), str(home)]

    # Installed already: no request reaches the mirror.
    before = len(mirror_server.paths)
    again = run_bale("python", "install", minor, env=env)
    assert again.code == 0, again
    assert again.stderr == f"Python {minor} is already installed: {_key(mirror)} at {home}\n"
    assert len(mirror_server.paths) == before


def test_install_from_a_file_mirror_checks_the_sha256_and_uninstalls(
    run_bale: BaleRunner, mirror: Mirror, no_pythons: dict[str, str]
) -> None:
    env = {**no_pythons, "BALE_PYTHON_INSTALL_MIRROR": mirror.root.as_uri()}
    managed = Path(no_pythons["BALE_PYTHON_INSTALL_DIR"])
    mirror.write_sums({mirror.filename: "0" * 64})
    refused = run_bale("python", "install", mirror.version, env=env)
    assert refused.code == 1, refused
    assert _error(refused.stderr) == (
        f"error: The download of {mirror.filename} does not match the sha256 the mirror publishes"
    ), refused
    assert "Traceback" not in refused.stderr
    assert not any(managed.iterdir())

    (mirror.release_dir / "SHA256SUMS").unlink()  # no checksum at all: installed, with a warning
    installed = run_bale("python", "install", mirror.version, env=env)
    assert installed.code == 0, installed
    assert (
        f"warning: The mirror publishes no sha256 for {mirror.filename}: the download was not verified\n"
        in installed.stderr
    ), installed
    assert (managed / _key(mirror) / "bin" / "python3").is_file()

    removed = run_bale("python", "uninstall", mirror.version, env=env)
    assert removed.code == 0, removed
    assert removed.stderr == f"Uninstalled Python {mirror.version}\n - {_key(mirror)}\n"
    assert not any(managed.iterdir())
    gone = run_bale("python", "uninstall", mirror.version, env=env)
    assert gone.code == 1, gone
    assert gone.stderr.startswith(
        f"error: No managed Python matching Python {mirror.version} is installed in"
    )


def test_errors_name_the_setting(
    run_bale: BaleRunner, mirror: Mirror, no_pythons: dict[str, str], tmp_path: Path
) -> None:
    unset = run_bale("python", "install", "3.12", env=no_pythons)
    assert unset.code == 1, unset
    assert unset.stderr.splitlines()[0] == (
        "error: No managed-Python source is configured: BALE_PYTHON_INSTALL_MIRROR is not set"
    )

    unreachable = run_bale(
        "python",
        "install",
        "3.12",
        env={**no_pythons, "BALE_PYTHON_INSTALL_MIRROR": "http://127.0.0.1:9/pbs"},
    )
    assert unreachable.code == 1, unreachable
    assert unreachable.stderr.startswith(
        "error: Could not read the managed-Python mirror http://127.0.0.1:9/pbs "
        "(BALE_PYTHON_INSTALL_MIRROR)\n"
    ), unreachable
    missing_dir = run_bale(
        "python", "install", "3.12", env={**no_pythons, "BALE_PYTHON_INSTALL_MIRROR": str(tmp_path / "nope")}
    )
    assert missing_dir.code == 1 and "BALE_PYTHON_INSTALL_MIRROR" in missing_dir.stderr, missing_dir

    env = {**no_pythons, "BALE_PYTHON_INSTALL_MIRROR": mirror.root.as_uri()}
    nothing = run_bale("python", "install", "3.1", env=env)
    assert nothing.code == 1, nothing
    assert scrub(nothing.stderr, {mirror.root: "[MIRROR]"}) == (
        f"error: No CPython build on the managed-Python mirror matches Python 3.1 for {mirror.triple}\n"
        f"  the mirror offers {mirror.version}, 3.9.99\n"
        "  BALE_PYTHON_INSTALL_MIRROR=file://[MIRROR]\n"
        f"hint: ask for one of those, for example `bale python install {mirror.version}`\n"
    )
    broken = run_bale("python", "install", "3.9", env=env)
    assert broken.code == 1, broken
    assert _error(broken.stderr) == (
        f"error: {mirror.broken} is not a python-build-standalone install_only archive: it has no python/bin"
    ), broken
    assert not any(Path(no_pythons["BALE_PYTHON_INSTALL_DIR"]).iterdir())
    other = run_bale("python", "install", "pypy3.10", env=env)
    assert other.code == 1 and "standard CPython builds only" in other.stderr, other
