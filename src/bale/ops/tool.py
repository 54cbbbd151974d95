"""``bale tool``: one environment per tool, its executables linked into a bin dir; ``tool run``'s cache."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from bale.errors import BaleError
from bale.model.record import record
from bale.ops.settings import IndexSettings, InstallSettings
from bale.tool.layout import bin_dir, tool_dir

if TYPE_CHECKING:
    from bale.context import Context
    from bale.model.names import NormalizedName
    from bale.tool.receipt import Entrypoint, Receipt

# The receipt's file name, spelled here too: a warm `bx` imports neither the receipt code (the TOML
# writer) nor packaging's name rules (~10 ms together); tests/tool checks that the two agree.
RECEIPT_NAME = "bale-tool.toml"


def normalize(name: str) -> NormalizedName:
    from bale.model.names import normalize as canonical

    return canonical(name)


@record(frozen=True)
class ToolInstallRequest:
    requirement: str  # NAME[extras][specifier], as typed
    with_: tuple[str, ...] = ()
    python: str | None = None
    force: bool = False
    editable: bool = False
    index: IndexSettings = field(default_factory=IndexSettings)


@record
class ToolOutcome:
    name: NormalizedName
    version: str
    environment: Path
    bin_dir: Path
    entrypoints: list[Entrypoint] = field(default_factory=list)
    already: bool = False


@record(frozen=True)
class InstalledTool:
    receipt: Receipt
    version: str | None
    environment: Path


def tool_name(requirement: str) -> NormalizedName:
    """The tool's name from its requirement: ``black[d]==24.1`` -> ``black``."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return normalize(Requirement(requirement).name)
    except InvalidRequirement as err:
        raise BaleError(
            f"{requirement!r} is not a package requirement: {err}",
            hint="name the tool's package, optionally with extras and a version: 'black[d]>=24'",
        ) from err


def _project_name(tree: Path) -> NormalizedName:
    """The ``[project] name`` of the source tree an editable tool is installed from."""
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef, unused-ignore]
    try:
        data = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
        return normalize(data["project"]["name"])
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as err:
        raise BaleError(
            f"Cannot tell the name of the editable tool at {tree}",
            context=[f"its pyproject.toml has no readable [project] name ({type(err).__name__})"],
            hint="--editable takes a project folder whose pyproject.toml names it",
        ) from err


def read_receipt(environment: Path) -> Receipt | None:
    path = environment / RECEIPT_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    from bale.tool.receipt import parse_receipt

    return parse_receipt(text, source=str(path))


def _lock(root: Path):  # type: ignore[no-untyped-def]
    from bale.fs.lock import FileLock

    root.mkdir(parents=True, exist_ok=True)
    return FileLock(root / ".lock", timeout=300, label=f"the tools dir {root}")


def _recover(root: Path, name: str) -> None:
    """A run killed between moving a tool aside and finishing its replacement: a finished replacement
    (it has a receipt, written last) wins, else the tool moved aside comes back."""
    target = root / name
    for retired in root.glob(f".{name}.bale-old-*"):
        if read_receipt(target) is not None:
            shutil.rmtree(retired, ignore_errors=True)
        else:
            shutil.rmtree(target, ignore_errors=True)
            os.rename(retired, target)


def install_tool(ctx: Context, request: ToolInstallRequest) -> ToolOutcome:
    """Install (or, when the request differs or ``force``, replace) a tool; a failure leaves the
    previous tool as it was."""
    from bale.tool.receipt import Receipt

    requirement = request.requirement
    if request.editable:
        requirement = str(Path(requirement).expanduser().resolve())
        name = _project_name(Path(requirement))
    else:
        name = tool_name(requirement)
    root = tool_dir()
    wanted = Receipt(
        name=name,
        requirement=requirement,
        with_=request.with_,
        python=request.python,
        editable=request.editable,
        index_url=request.index.index_url,
        extra_index_urls=request.index.extra_index_urls,
        find_links=request.index.find_links,
        no_index=request.index.no_index,
    )
    with _lock(root):
        _recover(root, name)
        target = root / name
        existing = read_receipt(target)
        if existing is not None and not request.force and existing.same_request(wanted):
            return ToolOutcome(
                name, _version(target, name) or "", target, bin_dir(), list(existing.entrypoints), True
            )
        return _build(ctx, wanted, request.index, target, existing, force=request.force)


def _build(
    ctx: Context,
    wanted: Receipt,
    index: IndexSettings,
    target: Path,
    previous: Receipt | None,
    *,
    force: bool,
) -> ToolOutcome:
    from bale.python.discover import find_interpreter
    from bale.python.venv import create_venv
    from bale.tool.receipt import render_receipt

    # A tool never sees the user's project: no .python-version, no project environment.
    interpreter = find_interpreter(
        wanted.python, cwd=Path.cwd(), cache_dir=ctx.cache.bucket("interpreters-v1"), read_version_file=False
    )
    retired: Path | None = None
    if target.exists() or target.is_symlink():
        # The old environment is moved aside, not deleted: scripts carry absolute shebangs, so the
        # new one must be built at the final path, and the old one comes back if anything fails.
        retired = target.with_name(f".{target.name}.bale-old-{os.urandom(4).hex()}")
        os.rename(target, retired)
    try:
        create_venv(target, interpreter)
        _install_tool(ctx, target, wanted.requirement, wanted.with_, wanted.editable, index)
        version, entrypoints = _entrypoints(target, wanted.name)
        links = bin_dir()
        _check_links(links, [e.name for e in entrypoints], wanted.name, force)
        receipt = dataclasses.replace(wanted, entrypoints=tuple(entrypoints))
        _link_all(links, target, entrypoints)
        from bale.fs.atomic import write_atomic

        write_atomic(target / RECEIPT_NAME, render_receipt(receipt))  # last: it marks the tool complete
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        if retired is not None:
            os.rename(retired, target)
            if previous is not None:
                _link_all(bin_dir(), target, list(previous.entrypoints), quiet=True)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    if previous is not None:
        kept = {e.name for e in entrypoints}
        for old in previous.entrypoints:
            if old.name not in kept:
                _unlink_if_ours(links / old.name, target)
    return ToolOutcome(wanted.name, version, target, links, entrypoints)


def _site_packages(environment: Path) -> list[Path]:
    # A glob, not a probe of the interpreter: `bale tool list` stays a few stat calls per tool.
    return [*environment.glob("lib/python*/site-packages"), *environment.glob("Lib/site-packages")]


def _version(environment: Path, name: NormalizedName) -> str | None:
    from bale.install.installed import scan_site_packages

    dist = scan_site_packages(_site_packages(environment)).get(name)
    return str(dist.version) if dist is not None else None


def _entrypoints(environment: Path, name: NormalizedName) -> tuple[str, list[Entrypoint]]:
    """The tool package's version and its console and GUI scripts (names may differ from the package's)."""
    import configparser

    from bale.install.installed import scan_site_packages
    from bale.tool.receipt import Entrypoint

    dist = scan_site_packages(_site_packages(environment)).get(name)
    if dist is None:
        raise BaleError(f"Installing the tool {name} did not install the package {name}")
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    with contextlib.suppress(FileNotFoundError):  # a package without entry points
        parser.read_string((dist.dist_info / "entry_points.txt").read_text(encoding="utf-8"))
    names = [
        n
        for section in ("console_scripts", "gui_scripts")
        if parser.has_section(section)
        for n in parser.options(section)
    ]
    if not names:
        raise BaleError(
            f"No executables are provided by the package {name} {dist.version}",
            hint="a tool needs console scripts; to use it as a library, `bale pip install` it instead",
        )
    links = bin_dir()
    return str(dist.version), [Entrypoint(n, str(links / n)) for n in sorted(set(names))]


def _owner(link: Path) -> str | None:
    """The tool whose environment ``link`` points into, or None when it is not a bale tool link."""
    if not link.is_symlink():
        return None
    destination = Path(os.path.abspath(link.parent / os.readlink(link)))
    try:
        relative = destination.relative_to(tool_dir())
    except ValueError:
        return None
    return relative.parts[0] if relative.parts else None


def _check_links(links: Path, names: list[str], tool: NormalizedName, force: bool) -> None:
    if force:
        return
    problems = []
    for name in names:
        link = links / name
        if not (link.exists() or link.is_symlink()):
            continue
        owner = _owner(link)
        if owner == tool:
            continue
        problems.append(
            f"{link} belongs to the tool {owner}" if owner else f"{link} exists and was not installed by bale"
        )
    if problems:
        raise BaleError(
            f"Cannot install the tool {tool}: its executables would replace files already there",
            context=problems,
            hint="pass --force to replace them",
        )


def _link_all(links: Path, environment: Path, entrypoints: list[Entrypoint], quiet: bool = False) -> None:
    links.mkdir(parents=True, exist_ok=True)
    scripts = environment / ("Scripts" if os.name == "nt" else "bin")
    for entry in entrypoints:
        source = scripts / entry.name
        if not source.exists():
            if quiet:
                continue
            raise BaleError(f"The tool's executable {entry.name} is missing from {scripts}")
        link = links / entry.name
        # A symlink made beside the link and renamed over it: the old link works until the new one does.
        staging = links / f".{entry.name}.bale-{os.urandom(4).hex()}"
        if os.name == "nt":
            shutil.copy2(source, staging)
        else:
            os.symlink(source, staging)
        os.replace(staging, link)


def _unlink_if_ours(link: Path, environment: Path) -> None:
    if link.is_symlink() and _owner(link) == environment.name:
        link.unlink()


def uninstall_tool(name: str) -> InstalledTool:
    from bale.tool.receipt import Receipt

    normalized = normalize(name)
    root = tool_dir()
    with _lock(root):
        _recover(root, normalized)
        target = root / normalized
        if not target.exists():
            raise BaleError(
                f"The tool {name} is not installed", hint="`bale tool list` shows the tools installed"
            )
        receipt = read_receipt(target) or Receipt(normalized, normalized)
        version = _version(target, normalized)
        links = bin_dir()
        for entry in receipt.entrypoints:
            _unlink_if_ours(Path(entry.install_path) if entry.install_path else links / entry.name, target)
        shutil.rmtree(target)
        return InstalledTool(receipt, version, target)


def list_tools() -> list[InstalledTool]:
    root = tool_dir()
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        receipt = read_receipt(entry)
        if receipt is None:
            continue
        found.append(InstalledTool(receipt, _version(entry, receipt.name), entry))
    return found


# --- tool run (bx) ---------------------------------------------------------------------------------


@record(frozen=True)
class ToolRunRequest:
    command: str  # NAME or NAME@VERSION (NAME@latest: look for a newer version)
    from_: str | None = None
    with_: tuple[str, ...] = ()
    python: str | None = None
    refresh: bool = False
    index: IndexSettings = field(default_factory=IndexSettings)


def prepare_run(ctx: Context, request: ToolRunRequest) -> Path:
    """The executable to run for ``request``, in an environment cached under the request's key.

    A second run of the same request reads one small file and a few ``stat`` calls: no index, no
    resolution, no request on the network (``--refresh`` or ``@latest`` build the environment again).
    """
    import hashlib
    import json

    command, _, version = request.command.partition("@")
    latest = version == "latest"
    requirement = request.from_ or (f"{command}=={version}" if version and not latest else command)
    key_data = [
        requirement,
        sorted(request.with_),
        request.python,
        request.index.index_url,
        list(request.index.extra_index_urls),
        list(request.index.find_links),
        request.index.no_index,
    ]
    key = hashlib.sha256(json.dumps(key_data).encode()).hexdigest()[:16]
    # Beside the script and `run --with` environments, in a folder of its own (keys never collide).
    home = ctx.cache.bucket("environments") / "tool" / key
    scripts = "Scripts" if os.name == "nt" else "bin"
    refresh = request.refresh or latest
    if not refresh:
        found = _current_run_env(home)
        if found is not None:
            return _executable(found / scripts, command)
    # Checked only now: a request with a cached environment was a requirement when it was built.
    tool_name(requirement)  # a clear error for a request that is not a requirement
    from bale.fs.lock import FileLock
    from bale.ops.install import install
    from bale.python.discover import find_interpreter
    from bale.python.venv import create_venv

    home.mkdir(parents=True, exist_ok=True)
    with FileLock(home / ".lock", timeout=300, label=f"the tool environment {home}"):
        found = None if refresh else _current_run_env(home)
        if found is None:
            interpreter = find_interpreter(
                request.python,
                cwd=Path.cwd(),
                cache_dir=ctx.cache.bucket("interpreters-v1"),
                read_version_file=False,
            )
            # A new folder each time: a run still using the previous environment keeps working.
            found = home / f"env-{os.urandom(4).hex()}"
            try:
                create_venv(found, interpreter)
                install(
                    ctx,
                    InstallSettings(
                        packages=(requirement, *request.with_),
                        python=str(found),
                        index=request.index,
                        explicit_index=True,
                        upgrade=refresh,
                    ),
                )
            except BaseException:
                shutil.rmtree(found, ignore_errors=True)
                raise
            from bale.fs.atomic import write_atomic

            write_atomic(home / "current", found.name)
            for old in home.glob("env-*"):
                if old != found:
                    shutil.rmtree(old, ignore_errors=True)
    return _executable(found / scripts, command)


def _current_run_env(home: Path) -> Path | None:
    try:
        name = (home / "current").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    found = home / name
    # A base interpreter removed since (a Python upgraded away): the environment is built again.
    python = found / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return found if name and python.exists() else None


def _executable(scripts: Path, command: str) -> Path:
    path = scripts / (command + ".exe" if os.name == "nt" else command)
    if path.exists():
        return path
    available = sorted(
        p.name for p in scripts.iterdir() if not p.name.startswith(("python", "activate", "Activate"))
    )
    raise BaleError(
        f"The tool environment has no executable named {command}",
        context=[f"it has: {', '.join(available) or 'none'}"],
        hint="name the package that provides it with --from PACKAGE",
    )


def exec_tool(executable: Path, args: list[str]) -> int:
    """Run the tool in place of bale (POSIX exec), with its environment's scripts first on PATH."""
    import subprocess
    import sys

    env = dict(os.environ)
    env["PATH"] = str(executable.parent) + os.pathsep + env.get("PATH", "")
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":
        return subprocess.call([str(executable), *args], env=env)
    os.execve(executable, [str(executable), *args], env)
    return 0  # pragma: no cover - execve does not return


def upgrade_tool(ctx: Context, name: str) -> tuple[str | None, ToolOutcome]:
    """Upgrade a tool within the constraints it was installed with (its requirement's extras and
    version spec, its ``--with`` packages, its sources); returns the version before and the outcome.

    In place: ``ops.install`` prepares every wheel before touching the environment, so a failure
    (an index down, a broken wheel) leaves the tool as it was.
    """
    from bale.tool.receipt import render_receipt

    normalized = normalize(name)
    root = tool_dir()
    with _lock(root):
        _recover(root, normalized)
        target = root / normalized
        receipt = read_receipt(target)
        if receipt is None:
            raise BaleError(
                f"The tool {name} is not installed", hint=f"install it with `bale tool install {name}`"
            )
        before = _version(target, normalized)
        index = IndexSettings(
            index_url=receipt.index_url or IndexSettings().index_url,
            extra_index_urls=receipt.extra_index_urls,
            find_links=receipt.find_links,
            no_index=receipt.no_index,
        )
        _install_tool(ctx, target, receipt.requirement, receipt.with_, receipt.editable, index, upgrade=True)
        version, entrypoints = _entrypoints(target, normalized)
        links = bin_dir()
        _check_links(links, [e.name for e in entrypoints], normalized, False)
        _link_all(links, target, entrypoints)
        kept = {e.name for e in entrypoints}
        for old in receipt.entrypoints:
            if old.name not in kept:
                _unlink_if_ours(links / old.name, target)
        from bale.fs.atomic import write_atomic

        write_atomic(
            target / RECEIPT_NAME,
            render_receipt(dataclasses.replace(receipt, entrypoints=tuple(entrypoints))),
        )
        return before, ToolOutcome(normalized, version, target, links, entrypoints)


def _install_tool(
    ctx: Context,
    target: Path,
    requirement: str,
    with_: Sequence[str],
    editable: bool,
    index: IndexSettings,
    *,
    upgrade: bool = False,
) -> None:
    """Install the tool's requirement (a path, when editable) and its ``--with`` packages into the
    environment at ``target``, through the pip interface (so the policy and the typosquat guard apply)."""
    from bale.ops.install import install

    packages = () if editable else (requirement,)
    editables = (requirement,) if editable else ()
    install(
        ctx,
        InstallSettings(
            packages=(*packages, *with_),
            editables=editables,
            python=str(target),
            index=index,
            explicit_index=True,
            upgrade=upgrade,
        ),
    )
