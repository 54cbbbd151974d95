"""Cached environments for PEP 723 scripts and ``bale run --with`` overlays, and script lock files.

An environment lives in the ``environments`` bucket under the digest of what it holds (the lock text it
was installed from, and the interpreter): ``environments-v1/<digest>``. Finding it again needs no
resolution: ``environments-v1/inputs/<digest of the inputs>`` points at it, where the inputs are the
requirements, the indexes, the cutoff and the interpreter. A warm ``bale run script.py`` is therefore a
read of the script, a stat of the pointer and of the environment's marker, and no request at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.record import record
from bale.ops.settings import BuildSettings, IndexSettings, InstallSettings
from bale.project.script import ScriptMetadata, parse_script

if TYPE_CHECKING:
    from collections.abc import Callable

    from bale.context import Context
    from bale.python.probe import Interpreter

# Written into an environment last: one without it was not completed (a crash, a failed install) and is
# built again. It holds the packages installed, for `--verbose` and for the curious.
COMPLETE = ".bale-complete"
# Written into an overlay's site-packages: the base environment's site-packages, after the overlay's own.
OVERLAY_PTH = "_bale_overlay.pth"
_BUCKET = "environments"


@record(frozen=True)
class ScriptSettings:
    """How a script's environment is made: the command line's indexes (``explicit_index``: ``-i`` was
    given, which wins over the block's), ``--python``, ``--locked`` / ``--frozen``, ``--refresh``."""

    index: IndexSettings = field(default_factory=IndexSettings)
    explicit_index: bool = False
    python: str | None = None
    locked: bool = False
    frozen: bool = False
    refresh: bool = False
    build: BuildSettings = field(default_factory=BuildSettings)
    exclude_newer: str | None = None


@record
class EnvironmentOutcome:
    """The environment to run in; ``installed``: what was installed now (empty when it was reused)."""

    root: Path
    python: Path
    built: bool = False
    installed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    lock_written: Path | None = None


def read_script(path: Path, *, check_dependencies: bool = True) -> tuple[str, ScriptMetadata]:
    """The script's text and metadata (BaleError when it cannot be read or its block is wrong)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as err:
        raise BaleError(f"The script {path} does not exist") from err
    except (OSError, UnicodeDecodeError) as err:
        raise BaleError(f"Cannot read the script {path}: {err}") from err
    return text, parse_script(text, str(path), check_dependencies=check_dependencies)


def script_lock_path(script: Path) -> Path:
    """PEP 751's name for the script's lock file, beside it: ``pylock.<stem>.toml``."""
    return script.with_name(f"pylock.{script.stem}.toml")


def script_index(meta: ScriptMetadata, settings: ScriptSettings) -> IndexSettings:
    """The block's indexes unless ``-i`` was given: the first is the default, the others extra."""
    if not meta.indexes or settings.explicit_index:
        return settings.index
    return replace(settings.index, index_url=meta.indexes[0], extra_index_urls=meta.indexes[1:])


def choose_interpreter(ctx: Context, requires_python: str | None, python: str | None) -> Interpreter:
    """``--python``, else one in the block's requires-python, else the first found (cached probes)."""
    from bale.python.discover import find_interpreter

    request = python or os.environ.get("BALE_PYTHON") or requires_python
    interpreter = find_interpreter(
        request, cwd=Path.cwd(), cache_dir=ctx.cache.bucket("interpreters-v1"), read_version_file=False
    )
    if requires_python and python:
        from packaging.specifiers import SpecifierSet

        if not SpecifierSet(requires_python).contains(interpreter.version, prereleases=True):
            raise BaleError(
                f"Python {interpreter.version} ({interpreter.executable}) does not satisfy the script's "
                f"requires-python {requires_python}"
            )
    return interpreter


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def metadata_digest(meta: ScriptMetadata) -> str:
    """What a script lock is computed from: it is stale when this changes."""
    return _digest(sorted(meta.dependencies), meta.requires_python, list(meta.indexes), meta.exclude_newer)


def _interpreter_key(interpreter: Interpreter) -> list[str]:
    return [str(interpreter.base_executable), str(interpreter.version), interpreter.platform]


def _index_key(index: IndexSettings) -> list[object]:
    return [index.index_url, list(index.extra_index_urls), list(index.find_links), index.no_index]


# ----------------------------------------------------------------------------------------- environments


def _complete(root: Path) -> bool:
    return (root / COMPLETE).is_file()


def _python_of(root: Path) -> Path:
    from bale.python.layout import PYTHON_NAME, SCRIPTS_DIR

    return root / SCRIPTS_DIR / PYTHON_NAME


def cached_environment(
    ctx: Context,
    *,
    interpreter: Interpreter,
    inputs: list[object],
    requirements: list[str],
    index: IndexSettings,
    build: BuildSettings,
    exclude_newer: str | None,
    lock_text: str | None = None,
    base_site_packages: list[Path] | None = None,
    refresh: bool = False,
    check: Callable[[], None] | None = None,
    constraints: list[str] | None = None,
    source: str = "requirements",
) -> EnvironmentOutcome:
    """The environment holding ``requirements`` (or exactly ``lock_text``, a pylock.toml) for
    ``interpreter``: found through the pointer of ``inputs`` with no resolution, else resolved, then
    found by what it holds, else built. ``base_site_packages``: make it an overlay over those."""
    bucket = ctx.cache.bucket(_BUCKET)
    overlay = [str(p) for p in base_site_packages or []]
    pointer = bucket / "inputs" / _digest(inputs, _interpreter_key(interpreter), overlay)
    if lock_text is None and not refresh:
        held = ctx.cache.read_pointer(pointer) if pointer.is_file() else None
        if held is not None and _complete(bucket / held[:16]):
            return EnvironmentOutcome(bucket / held[:16], _python_of(bucket / held[:16]))
    if check is not None:
        check()  # what the pointer lookup took on trust: the text of a working environment's inputs
    start = time.perf_counter()
    if lock_text is None:
        lock_text = (
            _resolve(
                ctx,
                interpreter,
                requirements,
                index,
                build,
                exclude_newer,
                source=source,
                constraints=constraints,
            )
            if requirements
            else ""
        )
    held = _digest(lock_text, _interpreter_key(interpreter), overlay)
    root = bucket / held[:16]
    outcome = EnvironmentOutcome(root, _python_of(root))
    if not _complete(root):
        from bale.fs.lock import FileLock

        with FileLock(bucket / f"{held[:16]}.lock", label=f"the environment {root}"):
            if not _complete(root):  # another bale may have built it while this one waited
                outcome.installed = _build(ctx, root, interpreter, lock_text, index, build, overlay)
                outcome.built = True
    from bale.fs.atomic import write_atomic

    pointer.parent.mkdir(exist_ok=True)
    write_atomic(pointer, held.encode("ascii"))
    outcome.seconds = time.perf_counter() - start
    return outcome


def _resolve(
    ctx: Context,
    interpreter: Interpreter,
    requirements: list[str],
    index: IndexSettings,
    build: BuildSettings,
    exclude_newer: str | None,
    *,
    universal: bool = False,
    source: str = "requirements",
    command: str = "bale run",
    constraints: list[str] | None = None,
) -> str:
    """``requirements`` resolved into a pylock.toml's text, as ``bale pip compile -o pylock.toml``
    (``constraints``: pins every package in the result must keep, as ``-c``)."""
    from bale.ops.compile import PYLOCK, CompileSettings, compile_requirements

    with ctx.cache.temp_dir() as folder:
        # compile reads requirement files: the script's list is one, named after the script so that
        # a resolution error says where the requirements came from.
        listing = folder / source
        listing.write_text("".join(f"{item}\n" for item in requirements), encoding="utf-8")
        constraint_files: tuple[Path, ...] = ()
        if constraints:
            # Named so that a conflict says where the pin came from.
            pins = folder / "the project's lock"
            pins.write_text("".join(f"{item}\n" for item in constraints), encoding="utf-8")
            constraint_files = (pins,)
        settings = CompileSettings(
            src_files=(listing,),
            constraint_files=constraint_files,
            output=None,
            index=index,
            explicit_index=True,
            output_format=PYLOCK,
            python=str(interpreter.executable),
            universal=universal,
            exclude_newer=exclude_newer,
            command=command,
            build=build,
        )
        return compile_requirements(ctx, settings).text


def _build(
    ctx: Context,
    root: Path,
    interpreter: Interpreter,
    lock_text: str,
    index: IndexSettings,
    build: BuildSettings,
    overlay: list[str],
) -> list[tuple[str, str]]:
    """Create the venv at ``root`` (afresh: a leftover without the marker is half built) and install
    exactly ``lock_text`` into it; the marker goes in last."""
    from bale.fs.atomic import write_atomic
    from bale.ops.install import install
    from bale.python.venv import PythonEnvironment, create_venv

    create_venv(root, interpreter, clear=root.exists())
    installed: list[tuple[str, str]] = []
    if lock_text:
        with ctx.cache.temp_dir() as folder:
            lock = folder / "pylock.toml"
            lock.write_text(lock_text, encoding="utf-8")
            settings = InstallSettings(
                requirement_files=(lock,),
                python=str(root),
                index=index,
                explicit_index=True,
                exact=True,
                build=build,
                typosquat="off",  # the names were resolved already, or locked on purpose
            )
            installed = install(ctx, settings).installed
    env = PythonEnvironment.from_root(root, ctx.cache.bucket("interpreters-v1"))
    if overlay:
        # After the overlay's own site-packages (site reads .pth files once its own dir is on
        # sys.path), so an overlay package shadows the base environment's copy. addsitedir, not a
        # bare path: the base's own .pth files (the project installed editable) are read too.
        lines = "".join(f"import site; site.addsitedir({path!r})\n" for path in overlay)
        write_atomic(env.site_packages()[0] / OVERLAY_PTH, lines.encode("utf-8"))
    marker = json.dumps({"packages": sorted(f"{n}=={v}" for n, v in installed)}, indent=1)
    write_atomic(root / COMPLETE, marker.encode("utf-8"))
    return installed


# ----------------------------------------------------------------------------------------------- scripts


def script_environment(
    ctx: Context,
    script: Path,
    meta: ScriptMetadata,
    settings: ScriptSettings,
    check: Callable[[], None] | None = None,
) -> EnvironmentOutcome:
    """The cached environment a script with a metadata block runs in; with ``pylock.<stem>.toml``
    beside it, exactly that lock (relocked first when stale, refused when stale under ``--locked``)."""
    interpreter = choose_interpreter(ctx, meta.requires_python, settings.python)
    index = script_index(meta, settings)
    exclude_newer = settings.exclude_newer or meta.exclude_newer
    lock = script_lock_path(script)
    written: Path | None = None
    lock_text: str | None = None
    if script.is_file() and lock.is_file():  # a script read from standard input has no lock
        lock_text = lock.read_text(encoding="utf-8")
        if not settings.frozen and not lock_is_fresh(lock_text, meta):
            if settings.locked:
                raise BaleError(
                    f"The lock file {lock} needs to be updated: {script}'s metadata block changed",
                    hint=f"run `bale lock --script {script}`",
                )
            lock_text = write_script_lock(ctx, script, meta, settings, interpreter)
            written = lock
    elif settings.locked or settings.frozen:
        flag = "--locked" if settings.locked else "--frozen"
        raise BaleError(
            f"{flag} needs a lock file, and {script} has none ({lock.name})",
            hint=f"write it with `bale lock --script {script}`",
        )
    inputs: list[object] = [
        "script",
        sorted(meta.dependencies),
        meta.requires_python,
        _index_key(index),
        exclude_newer,
    ]
    outcome = cached_environment(
        ctx,
        interpreter=interpreter,
        inputs=inputs,
        requirements=list(meta.dependencies),
        index=index,
        build=settings.build,
        exclude_newer=exclude_newer,
        lock_text=lock_text,
        refresh=settings.refresh,
        check=check,
    )
    outcome.lock_written = written
    return outcome


_DIGEST_LINE = "# script metadata sha256: "


def lock_is_fresh(text: str, meta: ScriptMetadata) -> bool:
    """Whether a script lock was written from this metadata (a lock another tool wrote, without the
    digest bale puts in its header, is trusted as it is)."""
    for line in text.splitlines():
        if line.startswith(_DIGEST_LINE):
            return line[len(_DIGEST_LINE) :].strip() == metadata_digest(meta)
        if not line.startswith("#"):
            break
    return True


def script_lock_text(
    ctx: Context,
    script: Path,
    meta: ScriptMetadata,
    settings: ScriptSettings,
    interpreter: Interpreter | None = None,
) -> str:
    """The script's universal lock, as ``bale lock --script`` writes it (the metadata digest in its
    header, for freshness checks)."""
    interpreter = interpreter or choose_interpreter(ctx, meta.requires_python, settings.python)
    text = _resolve(
        ctx,
        interpreter,
        list(meta.dependencies),
        script_index(meta, settings),
        settings.build,
        settings.exclude_newer or meta.exclude_newer,
        universal=True,
        source=script.name,
        command=f"bale lock --script {script.name}",
    )
    if not meta.dependencies:
        text = 'lock-version = "1.0"\ncreated-by = "bale"\n'
    lines = text.splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    # A comment in the header, so the file stays a lock any PEP 751 installer reads.
    lines.insert(header, f"{_DIGEST_LINE}{metadata_digest(meta)}\n")
    return "".join(lines)


def write_script_lock(
    ctx: Context,
    script: Path,
    meta: ScriptMetadata,
    settings: ScriptSettings,
    interpreter: Interpreter | None = None,
) -> str:
    from bale.fs.atomic import write_atomic

    text = script_lock_text(ctx, script, meta, settings, interpreter)
    write_atomic(script_lock_path(script), text.encode("utf-8"))
    return text


# ----------------------------------------------------------------------------------------------- overlays


def overlay_environment(
    ctx: Context,
    *,
    interpreter: Interpreter,
    packages: list[str],
    requirement_files: list[Path],
    index: IndexSettings,
    build: BuildSettings,
    base_site_packages: list[Path],
    refresh: bool = False,
    constraints: list[str] | None = None,
) -> EnvironmentOutcome:
    """``bale run --with``: a cached environment of ``packages`` and the files' requirements whose
    site-packages then reads ``base_site_packages`` (the project's), which stays untouched.
    ``constraints``: the base's pins (``name==version``), which the overlay keeps: a package in both
    gets the base's version, so the overlay never shadows a locked package with another version."""
    requirements = list(packages)
    contents: list[str] = []
    for path in requirement_files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise BaleError(f"Cannot read the requirements file {path}: {err}") from err
        contents.append(text)
        requirements.extend(_requirement_lines(text))
    inputs: list[object] = ["with", requirements, contents, _index_key(index), sorted(constraints or ())]
    try:
        return cached_environment(
            ctx,
            interpreter=interpreter,
            inputs=inputs,
            requirements=requirements,
            index=index,
            build=build,
            exclude_newer=None,
            base_site_packages=base_site_packages,
            refresh=refresh,
            constraints=constraints,
            source="--with",
        )
    except BaleError as err:
        if not constraints or not err.message.startswith("No solution found"):
            raise
        import re

        # The resolver names the temporary files the lists were written to; the user knows them as
        # `--with` and the project's lock.
        def plain(line: str) -> str:
            line = re.sub(r"(?:/[^\s/]+)*/\.tmp-[\w-]+/", "", line)
            return line.replace("--with constrains", "the project's lock pins")

        context = [plain(line) for line in err.context if "the requirements come from" not in line]
        said = " ".join(context)
        pins = [pin for pin in constraints if re.search(rf"\b{re.escape(pin.split('==')[0])}[=<>!~ ,]", said)]
        raise BaleError(
            f"The --with packages ({', '.join(requirements)}) conflict with the project's locked versions"
            + (f" ({', '.join(pins)})" if pins else ""),
            context=context,
            hint="run them apart from the project with --no-project, or change the project's pin",
        ) from err


def _requirement_lines(text: str) -> list[str]:
    """The requirements of a simple requirements file: one a line, comments and blank lines skipped
    (options such as ``-r`` are refused: ``--with-requirements`` takes plain lists)."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise BaleError(
                f"--with-requirements takes a plain list of requirements; {line.split()[0]} is not "
                "supported there"
            )
        found.append(line)
    return found
