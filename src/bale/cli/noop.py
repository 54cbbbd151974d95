"""The no-op sync, told before argparse, ``packaging`` or the installer are imported.

``bale pip sync``, ``bale pip install`` and ``bale sync`` are run again and again on an environment
that already matches; the full command then spends most of its time importing what it will not use.
After a run that changed nothing, the command leaves a stamp in the environment (``.bale-noop``):
what its answer rested on, and the answer. A later run gives that answer back here when all of this
is unchanged, checked in this order:

- the command line with the bytes of every file it names, the ``BALE_*`` environment (and
  ``VIRTUAL_ENV``/``CONDA_PREFIX``), the running bale and interpreter, the bale.toml files (the key);
- every other file the answer was read from (a requirements file's ``-r`` includes; a project's
  pyproject.toml files, lock and ``.python-version``, and that no pyproject.toml appeared above the
  project), each by its bytes;
- files watched by identity (inode, mtime, size): the environment's interpreter and pyvenv.cfg, the
  local vulnerability database;
- the mtime of each site-packages folder, which any install or removal by any tool changes (the same
  watch as ``ops.sync_stamp``).

A stamp is written only when the answer rests on those alone: no source tree or URL to re-check, no
package policy, no verbose output, no upgrade or reinstall. Kept as ``marshal`` data (no import).
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from bale import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

STAMP = ".bale-noop"
_FORMAT = 1
# Words after which the answer is no longer a function of files: new work, other output or a place
# found by other rules (``--directory``, ``--project``, ``--config-file``).
_REFUSED = frozenset(
    {
        "-",
        "-e",
        "--editable",
        "-U",
        "--upgrade",
        "-P",
        "--upgrade-package",
        "--reinstall",
        "--reinstall-package",
        "--refresh",
        "--refresh-package",
        "--force-reinstall",
        "--dry-run",
        "-n",
        "--directory",
        "--project",
        "--config-file",
        "--no-config",
        "--output-format",
        "--format",
        "--no-cache",
        "--target",
        "--prefix",
        "--user",
        "--system",
        "--break-system-packages",
        "--script",
    }
)
_LARGEST_INPUT = 8 << 20  # a named file above this is not read for the key (no stamp then)


# ``bale run``'s options that a stamped run may carry (those taking a value, then flags); any other
# (--with, --isolated, --no-project, --script, --no-sync ...) leaves the run to the full command.
_RUN_VALUES = frozenset(
    {"-i", "--index-url", "--extra-index-url", "--group", "--extra", "--package", "--python", "-p", "--color"}
)
_RUN_FLAGS = frozenset(
    {
        "-q",
        "--quiet",
        "--frozen",
        "--locked",
        "--no-dev",
        "--all-extras",
        "--all-groups",
        "--offline",
        "--no-progress",
    }
)


def split_run(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """``bale run``'s words as (options, command); None when an option is not one a stamp may carry,
    or the command is a file (a script, maybe with inline metadata: ``cli.script`` decides)."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return list(argv[:i]), list(argv[i + 1 :])
        if not word.startswith("-"):
            break
        option = word.partition("=")[0]
        if option in _RUN_VALUES and "=" not in word:
            i += 2
            continue
        if option not in _RUN_VALUES and word not in _RUN_FLAGS:
            return None
        i += 1
    command = list(argv[i:])
    if command and (command[0] == "-" or command[0].endswith((".py", ".pyw")) or os.path.isfile(command[0])):
        return None
    return list(argv[:i]), command


def mode(argv: Sequence[str]) -> str | None:
    """``"pip"``, ``"project"`` or ``"run"`` when ``argv`` is a command whose no-op is stamped; else
    None. For ``run``, ``argv`` may be the options alone (``split_run``)."""
    if list(argv[:2]) in (["pip", "sync"], ["pip", "install"]):
        kind = "pip"
    elif argv[:1] == ["sync"]:
        kind = "project"
    elif argv[:1] == ["run"]:
        return "run" if split_run(argv) is not None else None
    else:
        return None
    for word in argv:
        option = word.partition("=")[0]
        if option in _REFUSED or option == "--verbose" or _short_cluster_with(word, "v"):
            return None
    return kind


def _short_cluster_with(word: str, letter: str) -> bool:
    """``-v``, ``-qv``, ``-vv``: short options given together, one of them ``letter`` (a value stuck
    to a short option, ``-pvenv``, counts too: such a run is only sent to the full command)."""
    return word[:1] == "-" and word[1:2] not in ("-", "") and letter in word[1:]


def stamp_name(kind: str) -> str:
    """The stamp's file in the environment: ``bale run`` keeps its own, so that a ``bale sync``
    between two runs leaves the runs' stamp in place."""
    return STAMP + "-run" if kind == "run" else STAMP


def _python_value(argv: Sequence[str]) -> str | None:
    for i, word in enumerate(argv):
        if word in ("--python", "-p") and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith("--python="):
            return word.partition("=")[2]
    return None


def key(argv: Sequence[str], kind: str) -> tuple[object, ...] | None:
    """What the answer depends on besides the environment and the recorded files; None when a named
    file cannot be read (or must not be: a FIFO)."""
    python = _python_value(argv)
    words: list[object] = []
    for word in argv:
        words.append(word)
        if word.startswith("-"):
            if not (word.startswith("--") and "=" in word):
                continue
            value = word.partition("=")[2]
        else:
            value = word
        if value == python:
            continue  # the interpreter: watched by identity, never read
        try:
            status = os.stat(value)
        except (OSError, ValueError):
            continue
        if status.st_mode & 0o170000 != 0o100000:
            continue  # a folder (--find-links ./wheels): read only when something must be installed
        if status.st_size > _LARGEST_INPUT:
            return None
        data = _read(value)
        if data is None or b"${" in data:
            return None  # pip's ${VAR} expansion: the file's meaning depends on the environment
        words.append(data)
    from bale.cli.replay import config_files, public, public_environment

    # The stamp lives in the environment: no credentials in it (a no-op never depends on them).
    return (
        _FORMAT,
        kind,
        __version__,
        sys.executable,
        sys.version,
        tuple(public(word) if isinstance(word, str) else word for word in words),
        tuple(public_environment(("VIRTUAL_ENV", "CONDA_PREFIX"))),
        *config_files(),
    )


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def pip_environment(argv: Sequence[str]) -> str | None:
    """The environment ``bale pip`` acts on, when a path names it: ``--python`` (a venv or its
    interpreter), else ``VIRTUAL_ENV``; None for anything found by a search (a version, ``.venv``)."""
    python = _python_value(argv) or os.environ.get("BALE_PYTHON") or None
    if python is None:
        active = os.environ.get("VIRTUAL_ENV")
        if not active:
            return None
        root = os.path.abspath(active)
        return root if os.path.isfile(os.path.join(root, "pyvenv.cfg")) else None
    path = os.path.abspath(python)
    if os.path.isfile(os.path.join(path, "pyvenv.cfg")):
        return path
    parent = os.path.dirname(os.path.dirname(path))
    if os.path.isfile(path) and os.path.isfile(os.path.join(parent, "pyvenv.cfg")):
        return parent
    return None


def project_root(cwd: str) -> str | None:
    """The nearest folder from ``cwd`` up with a pyproject.toml (the project, as ``find_project``
    finds it when that file has a ``[project]`` table: the stamp's inputs say whether it has)."""
    directory = cwd
    while True:
        if os.path.isfile(os.path.join(directory, "pyproject.toml")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def project_environment(root: str) -> str:
    """As ``ops.project.environment_path``: ``BALE_PROJECT_ENVIRONMENT`` (relative to the root) or .venv."""
    return os.path.join(root, os.environ.get("BALE_PROJECT_ENVIRONMENT") or ".venv")


def ancestors(root: str) -> list[str]:
    """The pyproject.toml files that could enclose ``root`` in a workspace, relative to it."""
    out: list[str] = []
    directory, up = root, ""
    while True:
        parent = os.path.dirname(directory)
        if parent == directory:
            return out
        up = os.path.join(up, os.pardir)
        out.append(os.path.join(up, "pyproject.toml"))
        directory = parent


def interpreter_files(environment: str) -> list[str]:
    """What vouches for the environment's interpreter: its pyvenv.cfg and the executable it runs."""
    for relative in ("bin/python", "Scripts/python.exe"):
        executable = os.path.join(environment, relative)
        if os.path.exists(executable):
            return [os.path.join(environment, "pyvenv.cfg"), os.path.realpath(executable)]
    return [os.path.join(environment, "pyvenv.cfg")]


def replay_noop(argv: Sequence[str]) -> int | None:
    """Give back a stamped no-op's answer and return 0; None when the command must run."""
    started = time.perf_counter()
    kind = mode(argv)
    if kind is None or os.environ.get("BALE_NO_MEMO", "") not in ("", "0", "false", "no", "off"):
        return None
    cwd = os.getcwd()
    root = None
    command: list[str] = []
    if kind == "run":
        split = split_run(argv)
        if split is None or not split[1]:
            return None
        argv, command = split
    if kind == "pip":
        environment = pip_environment(argv)
    else:
        root = project_root(cwd)
        if root is None:
            return None
        environment = project_environment(root)
    if environment is None:
        return None
    try:
        with open(os.path.join(environment, stamp_name(kind)), "rb") as fh:
            stamp = marshal.load(fh)
        fmt, stored_key, located, inputs, watched, site, answer = stamp
        if fmt != _FORMAT or (located is not None and located != (root or cwd)):
            return None
        if stored_key != key(argv, kind):
            return None
        from bale.cli.replay import holds

        for path, contents in inputs:
            if not holds(os.path.join(root, path) if root else path, (contents,)):
                return None
        for path, identity in watched:
            if _identity(path) != identity:
                return None
        for path, mtime in site:
            if os.stat(path).st_mtime_ns != mtime:
                return None
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if command:
        return _run(environment, command)
    return _answer(answer, started)


def _run(environment: str, command: list[str]) -> int | None:
    """Replace this process by ``command`` with the environment active, as ``bale run`` does
    (``ops.project.run_environment``); None when there is no such executable (a task, maybe)."""
    from bale.python.activation import active_environment

    scripts = os.path.join(environment, "Scripts" if os.name == "nt" else "bin")
    variables = active_environment(environment, scripts)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, variables)
    except OSError:
        return None  # the full command says why, or runs the task of that name
    return 0  # not reached


def _answer(answer: Sequence[tuple[str, object]], started: float) -> int:
    from bale.cli.printer import Printer, elapsed, plural

    verbosity = next((value for kind, value in answer if kind == "verbosity"), 0)
    printer = Printer(verbosity if isinstance(verbosity, int) else 0)
    took = elapsed(time.perf_counter() - started)
    for kind, value in answer:
        if kind == "info":
            printer.info(printer.dim(str(value)))
        elif kind == "resolved" and isinstance(value, int):
            printer.info(printer.dim(f"Resolved {plural(value, 'package')} in {took}"))
        elif kind == "audited" and isinstance(value, int):
            printer.info(printer.dim(f"Audited {plural(value, 'package')} in {took}"))
    return 0


def record(
    argv: Sequence[str],
    environment: str,
    site_packages: Iterable[str],
    *,
    started: float,
    inputs: Iterable[str] = (),
    watched: Iterable[str] = (),
    located: bool = False,
    verbosity: int,
    answer: Sequence[tuple[str, object]],
) -> None:
    """Stamp ``environment`` after a run that changed nothing (best effort: a stamp that cannot be
    written only costs the next run its speed). ``inputs``: files read besides those argv names,
    absolute (pip) or relative to the project root (project); ``located``: the answer holds only in
    this project folder (project) or working directory (pip: a file found through an include);
    ``started``: when the run began (``time.time()``), so that a file edited meanwhile gives no stamp."""
    kind = mode(argv)
    if kind is None:
        return
    cwd = os.getcwd()
    root = project_root(cwd) if kind != "pip" else None
    if kind != "pip" and root is None:
        return
    where = (root or cwd) if located else None
    stamp_key = key(argv, kind)
    if stamp_key is None:
        return
    recorded: list[tuple[str, bytes | None]] = []
    names = list(dict.fromkeys([*inputs, *(ancestors(root) if root else ())]))
    for name in names:
        path = os.path.join(root, name) if root else name
        try:
            status = os.stat(path)
        except FileNotFoundError:
            recorded.append((name, None))
            continue
        except OSError:
            return
        if status.st_mtime >= started - 0.01 or status.st_mode & 0o170000 != 0o100000:
            return  # changed while the command ran: which version did it read?
        recorded.append((name, _read(path)))
    watch = [(path, _identity(path)) for path in [*interpreter_files(environment), *watched]]
    try:
        site = [(path, os.stat(path).st_mtime_ns) for path in site_packages]
    except OSError:
        return
    stamp = (
        _FORMAT,
        stamp_key,
        where,
        tuple(recorded),
        tuple(watch),
        tuple(site),
        (("verbosity", verbosity), *answer),
    )
    from bale.fs.atomic import write_atomic

    try:
        write_atomic(os.path.join(environment, stamp_name(kind)), marshal.dumps(stamp))  # type: ignore[arg-type]
    except (OSError, ValueError):
        return
