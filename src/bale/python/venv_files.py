"""The files of a new virtual environment, written from an interpreter's facts; ``os`` only.

``bale venv`` writes them through ``python.venv.create_venv``, and the replay of a repeated
``bale venv`` (``cli.venv_replay``) writes them before argparse or the interpreter probe are imported,
so both make the same environment. The facts are plain data (marshal-able):

- ``base``: the interpreter the venv runs (its ``home`` is that file's folder);
- ``implementation`` and ``version``: as ``pyvenv.cfg`` spells them (``CPython``, ``3.12.1``);
- ``major_minor``, ``gil_disabled``: for the ``python3.12`` / ``python3.12t`` aliases;
- ``scripts``: the scripts folder (``bin``); ``site_packages``: purelib then platlib if different;
- ``lib64``: whether ``lib64`` links to ``lib`` (64-bit POSIX builds other than macOS, as CPython's venv).
"""

from __future__ import annotations

import os

from bale import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Facts = Mapping[str, Any]

# As python.layout says it; that module imports pathlib, which the replay of `bale venv` avoids.
WINDOWS = os.name == "nt"


def write_layout(
    target: str, facts: Facts, *, root: str, prompt: str | None, system_site_packages: bool
) -> None:
    """Write the environment's files into ``target``; ``root`` is where it will live (written into
    ``pyvenv.cfg`` and the activation scripts), ``target`` itself or a staging folder renamed there."""
    from bale.python.activation import activation_scripts

    scripts = facts["scripts"]
    site_packages = list(facts["site_packages"])
    os.makedirs(target, exist_ok=True)
    _write(os.path.join(target, "pyvenv.cfg"), _config(facts, root, prompt, system_site_packages))
    bin_dir = os.path.join(target, scripts)
    os.makedirs(bin_dir, exist_ok=True)
    if WINDOWS:
        _copy_windows_launchers(facts["base"], bin_dir)
    else:
        names = ["python3", f"python{facts['major_minor']}"]
        if facts["gil_disabled"]:
            names.append(f"python{facts['major_minor']}t")
        _replace_symlink(os.path.join(bin_dir, "python"), facts["base"])
        for name in names:
            _replace_symlink(os.path.join(bin_dir, name), "python")
    for relative in site_packages:
        os.makedirs(os.path.join(target, relative), exist_ok=True)
    if facts["lib64"]:
        lib64 = os.path.join(target, "lib64")
        if not os.path.lexists(lib64):
            os.symlink("lib", lib64)
    shown = prompt or os.path.basename(root)
    for name, text in activation_scripts(root, scripts, shown, site_packages).items():
        _write(os.path.join(bin_dir, name), text)
    # Tools that walk a project (git, editors) should skip the environment.
    _write(os.path.join(target, ".gitignore"), "*\n")


def create_new(path: str, write: Callable[[str], None]) -> None:
    """Make the environment at ``path`` (which must not exist) by ``write`` into a folder beside it,
    renamed into place: a failure leaves nothing behind."""
    import shutil

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    staging = write_staged(path, write)
    try:
        os.rename(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_staged(path: str, write: Callable[[str], None]) -> str:
    """A new folder beside ``path`` that ``write`` filled; deleted again if ``write`` fails."""
    import shutil

    staging = fresh_sibling(path, "new")
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def fresh_sibling(path: str, purpose: str) -> str:
    """A new empty folder beside ``path``, on the same file system so that rename() is atomic."""
    parent, name = os.path.split(path)
    while True:
        candidate = os.path.join(parent, f".{name}.bale-{purpose}-{os.urandom(4).hex()}")
        try:
            # Not tempfile.mkdtemp: its 0o700 mode would become the venv's mode; mkdir honours the umask.
            os.mkdir(candidate)
        except FileExistsError:
            continue
        return candidate


def _config(facts: Facts, root: str, prompt: str | None, system_site_packages: bool) -> str:
    base = facts["base"]
    lines = [
        f"home = {os.path.dirname(base)}",
        f"implementation = {facts['implementation']}",
        f"version = {facts['version']}",
        f"version_info = {facts['version']}",
        f"include-system-site-packages = {'true' if system_site_packages else 'false'}",
        f"executable = {os.path.realpath(base)}",
        f"command = bale venv --python {base} {root}",
    ]
    if prompt:
        lines.append(f"prompt = {prompt}")
    lines.append(f"bale = {__version__}")
    return "\n".join(lines) + "\n"


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _replace_symlink(link: str, target: str) -> None:
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(target, link)


def _copy_windows_launchers(base: str, scripts: str) -> None:
    import shutil

    # Windows venvs need a copied launcher, not a link; prefer the venv launcher CPython ships.
    home = os.path.dirname(base)
    lib_scripts = os.path.join(home, "Lib", "venv", "scripts", "nt")
    for name in ("python.exe", "pythonw.exe"):
        source = os.path.join(
            lib_scripts, "venvlauncher.exe" if name == "python.exe" else "venvwlauncher.exe"
        )
        if not os.path.isfile(source):
            source = os.path.join(home, name)
        if os.path.isfile(source):
            shutil.copyfile(source, os.path.join(scripts, name))
