"""Build wheels and read metadata from sdists and source trees through their PEP 517/660 backends."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from bale.model.record import record
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bale.errors import BaleError
from bale.model.dists import SDIST_SUFFIXES, parse_filename
from bale.model.names import normalize
from bale.report import NULL_REPORTER, Reporter

if TYPE_CHECKING:
    from pyproject_hooks import BuildBackendHookCaller

    from bale.cache.cache import Cache
    from bale.cache.remote.builds import SharedBuild
    from bale.fs.lock import FileLock
    from bale.python.probe import Interpreter
    from bale.python.venv import PythonEnvironment

ConfigSettings = Mapping[str, str | list[str]]

# PEP 517's fallback for projects without [build-system] (or without build-backend): setuptools'
# legacy backend runs setup.py as `setup.py bdist_wheel` would; pip uses the same floor.
DEFAULT_REQUIRES = ("setuptools>=40.8.0",)
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
# Dynamic fields that decide resolution; PKG-INFO is trusted only when none of them is dynamic.
_RESOLUTION_FIELDS = frozenset({"requires-dist", "requires-python", "provides-extra"})
_STRIPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "__PYVENV_LAUNCHER__")


class BuildContext(Protocol):
    """What the builder needs from the rest of bale: the interpreter to build with, and an installer.

    It breaks the build cycle: installing build requirements resolves and fetches them, which may need
    building a source distribution in turn. Implementations hand ``current_build_chain()`` to any
    builder they use so that a requirement needing itself is reported instead of waited on forever.
    """

    @property
    def interpreter(self) -> Interpreter:
        """The base interpreter build environments are created from (and wheels are built for)."""
        ...

    def install(self, requirements: list[str], env: PythonEnvironment) -> None:
        """Make ``env`` satisfy every PEP 508 string in ``requirements`` (markers evaluated for
        ``env``'s interpreter); what is already installed there and fits is kept.

        Called once or twice per isolated build (``build-system.requires``, then again with the
        backend's extra ``get_requires_*`` answer added), from the thread running that build.
        Cost: one resolution plus linking the wheels from the cache (~50-300 ms warm; downloads and
        builds when cold). Raises BaleError when the requirements cannot be resolved or installed.
        """
        ...


@record(frozen=True, slots=True)
class BuildLink:
    """One source being built while its build requirements are installed: a link of the build chain."""

    identity: str  # the sdist's sha256, or the source tree's real path
    label: str  # what a person recognises: the sdist's file name or the tree's folder


_CHAIN: contextvars.ContextVar[tuple[BuildLink, ...]] = contextvars.ContextVar("bale_build_chain", default=())


def current_build_chain() -> tuple[BuildLink, ...]:
    """The sources whose build requirements the calling thread is installing, outermost first.

    A ``BuildContext.install`` implementation passes this to the builder it uses for nested builds
    (``Builder(..., chain=current_build_chain())``), since worker threads do not inherit it.
    """
    return _CHAIN.get()


class BuildCycleError(BaleError):
    """A source needs itself, through build requirements, to be built."""


class BuildRequirementsError(BaleError):
    """The build requirements of a source cannot be installed, explained in full: passed on unwrapped."""


@record(frozen=True, slots=True)
class BuildStats:
    """Counters of the work one builder did (for ``-v`` summaries and tests)."""

    environments: int = 0  # isolated build environments created
    backend_calls: int = 0  # hook subprocesses run
    wheels_built: int = 0
    sdists_built: int = 0
    metadata_prepared: int = 0  # prepare_metadata_for_build_wheel answers
    static_metadata: int = 0  # PKG-INFO files trusted without a build
    max_parallel: int = 0  # most hook subprocesses running at once


@record(frozen=True, slots=True)
class _Source:
    """A source distribution file or a source tree, named for messages and cache keys."""

    path: Path
    is_archive: bool
    name: str  # normalized project name, or a placeholder when unknown
    sha256: str | None  # archives only

    @property
    def label(self) -> str:
        return self.path.name

    @property
    def link(self) -> BuildLink:
        return BuildLink(self.sha256 or os.path.realpath(self.path), self.label)


@record(frozen=True, slots=True)
class _BuildSystem:
    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] | None


@record
class _Backend:
    """A source tree ready for hook calls: its build system, environment and captured output."""

    source: _Source
    root: Path
    system: _BuildSystem
    caller: BuildBackendHookCaller
    runner: _Runner
    python: Path
    isolation: bool
    config: dict[str, str | list[str]] | None


class _HookFailed(Exception):
    def __init__(self, returncode: int, output: str) -> None:
        super().__init__(f"hook process exited with status {returncode}")
        self.returncode = returncode
        self.output = output


class _HookTimedOut(Exception):
    def __init__(self, seconds: float, output: str) -> None:
        super().__init__(f"hook process ran longer than {seconds:g} s")
        self.seconds = seconds
        self.output = output


class _Runner:
    """pyproject-hooks' subprocess runner: captures stdout and stderr together, never prints.

    Each hook process runs in a process group of its own, killed whole when it outlives ``timeout``
    seconds or when bale is interrupted meanwhile (compilers it started die with it). Output goes to
    an unnamed temp file, not a pipe: a killed process's children cannot keep a read waiting.
    """

    def __init__(self, environ: Mapping[str, str], *, timeout: float = float("inf")) -> None:
        self.environ = dict(environ)
        self.timeout = timeout
        self.output = ""

    def __call__(
        self, cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        import tempfile

        environ = dict(self.environ)
        if extra_environ:
            environ.update(extra_environ)
        # A killed backend loses what Python still buffers: unbuffered, the log ends where it stopped.
        environ.setdefault("PYTHONUNBUFFERED", "1")
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                list(cmd),
                cwd=cwd,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **_new_process_group(),
            )
            try:
                returncode = process.wait(timeout=self.timeout if self.timeout != float("inf") else None)
            except subprocess.TimeoutExpired:
                _kill_tree(process)
                self.output = _read_output(log)
                raise _HookTimedOut(self.timeout, self.output) from None
            except BaseException:
                _kill_tree(process)
                raise
            self.output = _read_output(log)
        if returncode != 0:
            raise _HookFailed(returncode, self.output)


def _new_process_group() -> dict[str, Any]:
    if sys.platform == "win32":  # pragma: no cover - Windows
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _kill_tree(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and every process of its group (its session leader is ``process``)."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    else:
        import signal

        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    process.wait()


def _read_output(log: Any) -> str:
    log.seek(0)
    return str(log.read().decode("utf-8", "replace"))


class Builder:
    """Turns sdists and source trees into wheels (and metadata) with their own build backends.

    Wheels of sdists are kept in the cache's ``builds`` bucket under the sdist's sha256, the
    interpreter and the config settings, built at most once across processes (a file lock per key)
    and renamed into place whole. Wheels of source trees are never cached: they live in a scratch
    folder inside the cache until ``close``. Thread-safe; at most ``jobs`` backend processes run at
    once (default: the CPU count). ``environment`` runs the hooks when isolation is off (default:
    the context's interpreter). ``chain`` is the enclosing builds, for nested builders (see
    ``current_build_chain``). ``timeout`` is the seconds one hook process may run before its whole
    process tree is killed (default: ``BALE_BUILD_TIMEOUT``, 1800 s). A failed build's whole output
    is kept in the cache (``build-logs/<name>/``) and the error names the file.
    """

    def __init__(
        self,
        cache: Cache,
        context: BuildContext,
        *,
        reporter: Reporter = NULL_REPORTER,
        jobs: int | None = None,
        environment: PythonEnvironment | None = None,
        chain: Sequence[BuildLink] = (),
        timeout: float | None = None,
    ) -> None:
        self.cache = cache
        self.context = context
        self.reporter = reporter
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.environment = environment
        self._chain = tuple(chain)
        self._slots = threading.BoundedSemaphore(self.jobs)
        self._lock = threading.Lock()
        self._stats = BuildStats()
        self._running = 0
        self._scratch: Path | None = None
        self._digests: dict[tuple[str, int, int], str] = {}
        self._timeout = timeout

    # -- public -------------------------------------------------------------------------------------

    @property
    def stats(self) -> BuildStats:
        with self._lock:
            return self._stats

    def cached_source_metadata(self, filename: str, sha256: str) -> bytes | None:
        """The METADATA an earlier run made from the sdist ``filename`` with this sha256, or None.

        Read without opening the sdist: the entry is keyed by the digest its content had when it was
        built from. A warm resolve then need not hash the archive again (pyspark's 300 MB sdist took
        ~0.3 s of every universal resolve that reached it).
        """
        parsed = parse_filename(filename)
        if parsed is None or not filename.lower().endswith(SDIST_SUFFIXES):
            return None
        try:
            data = (self._build_dir(parsed.name, sha256) / "METADATA").read_bytes()
        except OSError:
            return None
        self.reporter.debug(f"build: metadata of {filename} from the cache")
        return data

    def source_metadata(self, source: Path, *, isolation: bool = True) -> bytes:
        """The core metadata (METADATA bytes) of an sdist or a source tree.

        In order: the cache (sdists, keyed by sha256); the sdist's own PKG-INFO when it is PEP 643
        metadata (2.2+) with nothing resolution reads marked Dynamic (no build at all);
        ``prepare_metadata_for_build_wheel`` in a build environment (isolated unless ``isolation``
        is False); a full wheel build (which then stays cached for ``build_wheel``). Cost: ~20 ms
        for static metadata, ~0.5-1 s for a backend run (setuptools) when cold, one read when cached.
        """
        src = self._source(source)
        self._check_cycle(src)
        if src.sha256 is None:
            return self._metadata_via_backend(src, isolation)
        sdist_dir = self._sdist_dir(src)
        cached = sdist_dir / "METADATA"
        try:
            data = cached.read_bytes()
        except FileNotFoundError:
            pass
        else:
            self.reporter.debug(f"build: metadata of {src.label} from the cache")
            return data
        static, where = _static_metadata(src.path)
        if static is not None:
            self._count(static_metadata=1)
            self.reporter.debug(f"build: metadata of {src.label} read from its {where} (no build)")
            _write_metadata(sdist_dir, static)
            return static
        with self._file_lock(sdist_dir / "metadata.lock", f"the metadata of {src.label}"):
            try:
                return cached.read_bytes()
            except FileNotFoundError:
                pass
            shared = self._shared(src, None)
            fetched = shared.fetch_metadata() if shared is not None else None
            if fetched is None:
                fetched = self._metadata_via_backend(src, isolation)
                if shared is not None:
                    shared.offer_metadata(fetched)
            _write_metadata(sdist_dir, fetched)
            return fetched

    def build_wheel(
        self,
        source: Path,
        *,
        editable: bool = False,
        config_settings: ConfigSettings | None = None,
        isolation: bool = True,
    ) -> Path:
        """The wheel built from ``source`` (an sdist file or a source tree); ``editable`` uses PEP 660.

        An sdist's wheel comes from the cache when it was built before with the same interpreter,
        config settings and isolation; otherwise it is built once even when several threads or
        processes ask at the same time. A failed build raises BaleError with the backend's last
        lines of output, a likely cause when recognised, and a command to reproduce it.
        """
        src = self._source(source)
        if editable and src.is_archive:
            raise BaleError(
                f"Cannot build {src.label} in editable mode: editable installs need a source tree",
                hint=f"unpack {src.label} and install the folder with -e, or install it without -e",
            )
        self._check_cycle(src)
        config = _plain_config(config_settings)
        if src.sha256 is None:
            return self._build_uncached(src, editable=editable, config=config, isolation=isolation)
        key = self._wheel_key(config, editable=editable, isolation=isolation)
        entry = self._sdist_dir(src) / key
        hit = _find_wheel(entry)
        if hit is not None:
            self.reporter.debug(f"build: wheel of {src.label} from the cache: {hit.name}")
            return hit
        with self._file_lock(entry.with_name(f"{key}.lock"), f"the build of {src.label}"):
            hit = _find_wheel(entry)
            if hit is not None:
                return hit
            shared = None if editable or not isolation else self._shared(src, config)
            hit = shared.fetch(entry) if shared is not None else None
            if hit is not None:
                self.reporter.debug(f"build: wheel of {src.label} from the remote cache: {hit.name}")
                return hit
            with self.cache.temp_dir() as work:
                backend = self._open(src, work, isolation=isolation, config=config, editable=editable)
                wheel = self._run_build(backend, work, editable=editable, config=config)
                stored = self._store(src, entry, wheel, work, remember_metadata=not config and not editable)
                if shared is not None:
                    shared.offer(stored, work / "env")
                return stored

    def build_sdist(
        self,
        source: Path,
        *,
        config_settings: ConfigSettings | None = None,
        isolation: bool = True,
    ) -> Path:
        """The sdist the backend of the source tree ``source`` builds (the ``build_sdist`` hook).

        Never cached (the tree may change between calls): the file lives in the builder's scratch
        folder until ``close``. A failed build raises BaleError as ``build_wheel`` does.
        """
        src = self._source(source)
        if src.is_archive:
            raise BaleError(f"Cannot build a source distribution from {src.label}: it is one already")
        self._check_cycle(src)
        config = _plain_config(config_settings)
        with self.cache.temp_dir() as work:
            backend = self._open(src, work, isolation=isolation, config=config, editable=False, sdist=True)
            out = work / "out"
            out.mkdir()
            start = time.perf_counter()
            name = self._hook(backend, "build_sdist", lambda: backend.caller.build_sdist(str(out), config))
            built = out / str(name)
            if not built.is_file() or not built.name.endswith(".tar.gz"):
                raise BaleError(
                    f"The build backend {backend.system.backend} of {src.label} reported {name!r}, "
                    "which is not a .tar.gz source distribution it wrote",
                    context=[f"output folder: {out}"],
                )
            self._count(sdists_built=1)
            self.reporter.debug(
                f"build: built {built.name} from {src.label} in {time.perf_counter() - start:.1f} s"
            )
            from bale.fs.temp import make_temp_dir

            final = make_temp_dir(self._scratch_dir()) / built.name
            os.replace(built, final)
            return final

    def close(self) -> None:
        """Delete the wheels built from source trees (they were only needed until installed)."""
        with self._lock:
            scratch, self._scratch = self._scratch, None
        if scratch is not None:
            from bale.fs.temp import remove_tree

            remove_tree(scratch)

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- steps --------------------------------------------------------------------------------------

    def _metadata_via_backend(self, src: _Source, isolation: bool) -> bytes:
        from pyproject_hooks import HookMissing

        with self.cache.temp_dir() as work:
            backend = self._open(src, work, isolation=isolation, config=None, editable=False)
            target = work / "metadata"
            target.mkdir()
            try:
                name = self._hook(
                    backend,
                    "prepare_metadata_for_build_wheel",
                    lambda: backend.caller.prepare_metadata_for_build_wheel(
                        str(target), None, _allow_fallback=False
                    ),
                )
            except HookMissing:
                self.reporter.debug(
                    f"build: {backend.system.backend} has no metadata hook; building {src.label}"
                )
            else:
                self._count(metadata_prepared=1)
                return _read_metadata_dir(target / str(name), src)
            # No metadata hook: the wheel built now is the one build_wheel would build, so keep it.
            if src.sha256 is None:
                return _wheel_metadata(self._run_build(backend, work, editable=False, config=None))
            key = self._wheel_key(None, editable=False, isolation=isolation)
            entry = self._sdist_dir(src) / key
            with self._file_lock(entry.with_name(f"{key}.lock"), f"the build of {src.label}"):
                wheel = _find_wheel(entry)
                if wheel is None:
                    built = self._run_build(backend, work, editable=False, config=None)
                    wheel = self._store(src, entry, built, work, remember_metadata=False)
            return _wheel_metadata(wheel)

    def _build_uncached(
        self, src: _Source, *, editable: bool, config: dict[str, str | list[str]] | None, isolation: bool
    ) -> Path:
        with self.cache.temp_dir() as work:
            backend = self._open(src, work, isolation=isolation, config=config, editable=editable)
            wheel = self._run_build(backend, work, editable=editable, config=config)
            from bale.fs.temp import make_temp_dir

            keep = make_temp_dir(self._scratch_dir())
            final = keep / wheel.name
            os.replace(wheel, final)
            return final

    def _open(
        self,
        src: _Source,
        work: Path,
        *,
        isolation: bool,
        config: dict[str, str | list[str]] | None,
        editable: bool,
        sdist: bool = False,
    ) -> _Backend:
        """Unpack an sdist, read [build-system], create and fill the environment, add the backend's
        extras (those for building an sdist when ``sdist``, else a wheel or an editable wheel)."""
        from pyproject_hooks import BuildBackendHookCaller

        root = unpack_sdist(src.path, work / "src") if src.is_archive else src.path
        system = _read_build_system(root, src)
        env: PythonEnvironment | None = None
        if isolation:
            env = self._create_env(work / "env", src)
            self._install(list(system.requires), env, src)
            python = env.python
            environ = _isolated_environ(env)
        else:
            outside = self.environment
            python = outside.python if outside is not None else self.context.interpreter.executable
            environ = _plain_environ(outside)
        runner = _Runner(environ, timeout=self._build_timeout())
        caller = BuildBackendHookCaller(
            os.fspath(root),
            system.backend,
            backend_path=list(system.backend_path) if system.backend_path is not None else None,
            runner=runner,
            python_executable=os.fspath(python),
        )
        backend = _Backend(src, root, system, caller, runner, python, isolation, config)
        if env is not None:
            if sdist:
                hook, method = "get_requires_for_build_sdist", caller.get_requires_for_build_sdist
            elif editable:
                hook, method = "get_requires_for_build_editable", caller.get_requires_for_build_editable
            else:
                hook, method = "get_requires_for_build_wheel", caller.get_requires_for_build_wheel
            extra = [str(r) for r in self._hook(backend, hook, lambda: method(config))]
            missing = [r for r in extra if r not in system.requires]
            if missing:
                self.reporter.debug(
                    f"build: {system.backend} also needs {', '.join(missing)} for {src.label}"
                )
                self._install([*system.requires, *missing], env, src)
        return backend

    def _run_build(
        self, backend: _Backend, work: Path, *, editable: bool, config: dict[str, str | list[str]] | None
    ) -> Path:
        out = work / "out"
        out.mkdir(exist_ok=True)
        start = time.perf_counter()
        source = parse_filename(backend.source.label) if backend.source.is_archive else None
        self.reporter.build_start(backend.source.name, str(source.version) if source is not None else None)
        if editable:
            from pyproject_hooks import HookMissing

            try:
                name = self._hook(
                    backend, "build_editable", lambda: backend.caller.build_editable(str(out), config)
                )
            except HookMissing as err:
                raise BaleError(
                    f"Cannot build {backend.source.label} in editable mode: its build backend "
                    f"{backend.system.backend} does not support editable installs (PEP 660)",
                    hint="upgrade the backend in [build-system] requires (setuptools>=64, hatchling, "
                    "flit-core>=3.4, pdm-backend...), or install without -e",
                ) from err
        else:
            name = self._hook(backend, "build_wheel", lambda: backend.caller.build_wheel(str(out), config))
        wheel = out / str(name)
        parsed = parse_filename(wheel.name)
        if not wheel.is_file() or parsed is None or not parsed.kind.value == "wheel":
            raise BaleError(
                f"The build backend {backend.system.backend} of {backend.source.label} reported "
                f"{name!r}, which is not a wheel file it wrote",
                context=[f"wheel folder: {out}"],
            )
        self._count(wheels_built=1)
        seconds = time.perf_counter() - start
        self.reporter.debug(f"build: built {wheel.name} from {backend.source.label} in {seconds:.1f} s")
        self.reporter.build_done(parsed.name, str(parsed.version), seconds)
        return wheel

    def _store(self, src: _Source, entry: Path, wheel: Path, work: Path, *, remember_metadata: bool) -> Path:
        """Rename the finished wheel into the cache as ``entry/<wheel>``: never half a wheel there."""
        from bale.fs.atomic import replace_dir

        staged = work / "entry"
        staged.mkdir()
        os.replace(wheel, staged / wheel.name)
        replace_dir(staged, entry)
        stored = _find_wheel(entry)
        if stored is None:  # pragma: no cover - a concurrent `cache clean` removed it meanwhile
            raise BaleError(f"The wheel built from {src.label} vanished from the cache at {entry}")
        if remember_metadata and not (entry.parent / "METADATA").is_file():
            _write_metadata(entry.parent, _wheel_metadata(stored))
        return stored

    def _create_env(self, root: Path, src: _Source) -> PythonEnvironment:
        from bale.python.venv import PythonEnvironment, create_venv

        base = self.context.interpreter
        self.reporter.debug(f"build: creating an isolated build environment for {src.label}")
        create_venv(root, base)
        self._count(environments=1)
        # The venv was just written from ``base``: its facts are base's with a new prefix, so no probe
        # subprocess (~40 ms) is needed.
        return PythonEnvironment(root, _venv_interpreter(base, root))

    def _install(self, requirements: list[str], env: PythonEnvironment, src: _Source) -> None:
        if not requirements:
            return
        self.reporter.debug(f"build: installing {', '.join(requirements)} to build {src.label}")
        token = _CHAIN.set((*self._current_chain(), src.link))
        try:
            self.context.install(requirements, env)
        except (BuildCycleError, BuildRequirementsError):
            raise
        except BaleError as err:
            raise BaleError(
                f"Could not install the build requirements of {src.label}: {', '.join(requirements)}",
                context=[err.message, *err.context],
                hint=err.hint
                or "the backend named in [build-system] cannot be installed from the configured indexes",
            ) from err
        finally:
            _CHAIN.reset(token)

    def _hook(self, backend: _Backend, hook: str, call: Any) -> Any:
        """Run one hook subprocess within the ``jobs`` bound; failures become a readable BaleError."""
        from pyproject_hooks import BackendUnavailable

        _silence_backend_warnings()
        with self._slots:
            with self._lock:
                self._running += 1
                self._stats = replace(
                    self._stats,
                    backend_calls=self._stats.backend_calls + 1,
                    max_parallel=max(self._stats.max_parallel, self._running),
                )
            self.reporter.debug(f"build: {hook} of {backend.system.backend} for {backend.source.label}")
            try:
                return call()
            except (_HookFailed, _HookTimedOut) as failed:
                raise self._failure(backend, hook, failed) from None
            except BackendUnavailable as err:
                raise _backend_unavailable(backend, err) from None
            finally:
                with self._lock:
                    self._running -= 1

    def _failure(self, backend: _Backend, hook: str, failed: _HookFailed | _HookTimedOut) -> BaleError:
        """The error for a hook that failed or ran out of time: its last lines of output (tracebacks
        reduced to their message), a known cause, the whole output's log file, how to reproduce it."""
        from bale.dist.build_errors import diagnose, output_tail
        from bale.dist.build_log import write_build_log
        from bale.dist.limits import BUILD_TIMEOUT_VAR

        src = backend.source
        python = self.context.interpreter
        for line in failed.output.splitlines():
            self.reporter.debug(f"build output ({src.label}): {line}")
        timed_out = isinstance(failed, _HookTimedOut)
        if isinstance(failed, _HookTimedOut):
            seconds = f"{failed.seconds:g} s"
            status = f"{backend.system.backend} ran longer than {seconds} in {hook} and was stopped"
            diagnosis = None
        else:
            status = f"{backend.system.backend} failed in {hook} (exit status {failed.returncode})"
            diagnosis = diagnose(failed.output, python_version=python.major_minor)
        tail = output_tail(failed.output)
        context = [status]
        if diagnosis is not None:
            context.append(f"cause: {diagnosis.cause}")
        if tail:
            count = "last line" if len(tail) == 1 else f"last {len(tail)} lines"
            context.append(f"{count} of the build output:")
            context.extend(f"  | {line}" for line in tail)
        reproduce = self._reproduce(backend, hook)
        log = write_build_log(
            self.cache,
            src.name,
            src.label,
            hook,
            f"# {status}\n# source: {src.path}\n# to reproduce: {reproduce}",
            failed.output,
        )
        if log is not None:
            context.append(f"whole build output: {log}")
        context.append(f"to reproduce: {reproduce}")
        if isinstance(failed, _HookTimedOut):
            hint = (
                f"a build may run {seconds} ({BUILD_TIMEOUT_VAR}); if it is only slow, raise the limit, "
                f"e.g. {BUILD_TIMEOUT_VAR}={failed.seconds * 4:g}, or set {BUILD_TIMEOUT_VAR}=0 for none"
            )
        elif diagnosis is not None:
            hint = diagnosis.hint
        else:
            where = "the log above" if log is not None else "run the command above to see the whole output"
            hint = (
                f"the build failed inside the package's own build backend; see {where}, or run bale with -v"
            )
        if hook.startswith("prepare_metadata"):
            message = f"Failed to prepare the metadata of {src.label}"
        elif hook.endswith("_editable"):
            message = f"Failed to build {src.label} in editable mode"
        elif hook.endswith("_sdist"):
            message = f"Failed to build the source distribution of {src.label}"
        else:
            message = f"Failed to build {src.label}"
        if timed_out:
            message += f": the build timed out after {seconds}"
        return BaleError(message, context=context, hint=hint)

    def _reproduce(self, backend: _Backend, hook: str) -> str:
        python = _quote(str(self._user_python(backend)))
        settings = [
            (key, item)
            for key, value in (backend.config or {}).items()
            for item in (value if isinstance(value, list) else [value])
        ]
        src = backend.source
        pip_flags = "" if backend.isolation else " --no-build-isolation"
        pip_flags += "".join(f" --config-settings {_quote(f'{k}={v}')}" for k, v in settings)
        if src.is_archive:
            return f"{python} -m pip wheel --no-deps{pip_flags} --wheel-dir dist {_quote(str(src.path))}"
        where = _quote(str(src.path))
        if hook.endswith("_editable"):
            return f"cd {where} && {python} -m pip install --no-deps{pip_flags} --editable ."
        flags = "" if backend.isolation else " --no-isolation"
        flags += "".join(f" -C{_quote(f'{k}={v}')}" for k, v in settings)
        kind = "--sdist" if hook.endswith("_sdist") else "--wheel"
        return f"cd {where} && {python} -m build {kind}{flags}"

    def _user_python(self, backend: _Backend) -> Path:
        if not backend.isolation:
            return backend.python
        return self.context.interpreter.executable

    # -- helpers ------------------------------------------------------------------------------------

    def _source(self, source: Path) -> _Source:
        path = Path(os.path.abspath(source))
        if path.is_dir():
            return _Source(path, is_archive=False, name=_tree_name(path), sha256=None)
        if not path.exists():
            raise BaleError(f"Cannot build {path}: it does not exist")
        if not path.name.lower().endswith(SDIST_SUFFIXES):
            raise BaleError(
                f"Cannot build {path}: it is neither a source distribution ({', '.join(SDIST_SUFFIXES)}) "
                "nor a source tree"
            )
        parsed = parse_filename(path.name)
        name = parsed.name if parsed is not None else "_unnamed"
        return _Source(path, is_archive=True, name=name, sha256=self._sha256(path))

    def _sha256(self, path: Path) -> str:
        """The file's sha256, hashed once per builder while its size and mtime stay the same
        (the provider asks for metadata and prepare for the wheel: a 50 MB sdist hashes in ~60 ms)."""
        from bale.dist.prepare import file_sha256

        st = path.stat()
        key = (os.fspath(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            known = self._digests.get(key)
        if known is None:
            known = file_sha256(path)
            with self._lock:
                self._digests[key] = known
        return known

    def _current_chain(self) -> tuple[BuildLink, ...]:
        return self._chain or _CHAIN.get()

    def _check_cycle(self, src: _Source) -> None:
        chain = self._current_chain()
        if any(link.identity == src.link.identity for link in chain):
            start = next(i for i, link in enumerate(chain) if link.identity == src.link.identity)
            loop = [link.label for link in chain[start:]] + [src.label]
            raise BuildCycleError(
                f"Cannot build {src.label}: its build requirements need {src.label} itself",
                context=[f"build chain: {' -> '.join(loop)}"],
                hint="a package whose build needs itself can only be installed from a wheel; "
                "make a wheel of one package in the chain available (or drop --no-binary for it)",
            )

    def _shared(self, src: _Source, config: dict[str, str | list[str]] | None) -> SharedBuild | None:
        """The remote cache's view of an isolated build of the sdist ``src``; None without one."""
        remote = self.cache.remote
        if remote is None or src.sha256 is None:
            return None
        from bale.cache.remote.builds import SharedBuild

        pins = getattr(self.context, "pins", None)  # the locked build dependencies (IndexBuildContext)
        locked = pins.for_link(src.link) if pins is not None else None
        tags = self.context.interpreter.tags
        return SharedBuild(
            remote, self.cache, src.sha256, src.label, src.name, tags[0] if tags else "py3-none-any",
            config, locked.requires if locked else None,
        )  # fmt: skip

    def _sdist_dir(self, src: _Source) -> Path:
        assert src.sha256 is not None
        return self._build_dir(src.name, src.sha256)

    def _build_dir(self, name: str, sha256: str) -> Path:
        """What is built from the sdist of ``name`` with this sha256: its METADATA, its wheels."""
        return self.cache.package_dir("builds", name) / sha256

    def _wheel_key(
        self, config: dict[str, str | list[str]] | None, *, editable: bool, isolation: bool
    ) -> str:
        python = self.context.interpreter
        material = {
            "python": [python.implementation, str(python.version), python.platform, python.tags[:1]],
            "config": config or {},
            "editable": editable,
            "isolation": isolation,
        }
        if not isolation and self.environment is not None:
            material["environment"] = os.fspath(self.environment.root)
        encoded = json.dumps(material, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()[:20]

    def _file_lock(self, path: Path, label: str) -> FileLock:
        from bale.fs.lock import FileLock

        return FileLock(path, label=label, on_wait=self.reporter.warn)

    def _scratch_dir(self) -> Path:
        with self._lock:
            if self._scratch is None:
                self._scratch = self.cache.make_temp_dir()
            return self._scratch

    def _build_timeout(self) -> float:
        """Seconds a hook process may run: the constructor's ``timeout``, else ``BALE_BUILD_TIMEOUT``
        (read when the first build starts, so a bad value fails builds only)."""
        if self._timeout is None:
            from bale.dist.limits import build_timeout

            self._timeout = build_timeout()
        return self._timeout

    def _count(self, **deltas: int) -> None:
        with self._lock:
            self._stats = replace(self._stats, **{k: getattr(self._stats, k) + v for k, v in deltas.items()})


# -- source trees and archives ---------------------------------------------------------------------


def _load_toml(path: Path) -> dict[str, Any]:
    from bale.project.inputs import load_toml

    return load_toml(path)


def _tree_name(root: Path) -> str:
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            name = _load_toml(pyproject).get("project", {}).get("name")
        except (BaleError, AttributeError):
            name = None
        if isinstance(name, str) and name:
            return normalize(name)
    return normalize(root.name) or "_unnamed"


def _read_build_system(root: Path, src: _Source) -> _BuildSystem:
    """``[build-system]`` of the tree at ``root``, with PEP 517's defaults for older projects."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        if not (root / "setup.py").is_file() and not (root / "setup.cfg").is_file():
            raise BaleError(
                f"Cannot build {src.label}: {root} has neither pyproject.toml nor setup.py",
                hint="a source tree needs a pyproject.toml with a [build-system] table",
            )
        return _BuildSystem(DEFAULT_REQUIRES, LEGACY_BACKEND, None)
    table = _load_toml(pyproject).get("build-system")
    if table is None:
        return _BuildSystem(DEFAULT_REQUIRES, LEGACY_BACKEND, None)
    if not isinstance(table, dict):
        raise BaleError(f"[build-system] in {pyproject} is not a table")
    requires = table.get("requires")
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise BaleError(
            f"[build-system] in {pyproject} has no `requires` list of strings",
            hint='PEP 518 makes it mandatory, e.g. requires = ["setuptools>=61"]',
        )
    from packaging.requirements import InvalidRequirement, Requirement

    for text in requires:
        try:
            Requirement(text)
        except InvalidRequirement as err:
            from bale.model.requirement_errors import caret_lines, explain

            why = explain(err, text)
            raise BaleError(
                f"[build-system] requires in {pyproject} has an invalid requirement {text!r}: {why.message}",
                context=caret_lines(text, why.start, why.end),
            ) from err
    backend = table.get("build-backend")
    if backend is None:
        return _BuildSystem(tuple(requires), LEGACY_BACKEND, None)
    if not isinstance(backend, str) or not backend.strip():
        raise BaleError(f"[build-system] build-backend in {pyproject} is not a string")
    paths = table.get("backend-path")
    if paths is not None and (not isinstance(paths, list) or not all(isinstance(p, str) for p in paths)):
        raise BaleError(f"[build-system] backend-path in {pyproject} is not a list of strings")
    return _BuildSystem(tuple(requires), backend.strip(), tuple(paths) if paths is not None else None)


def unpack_sdist(archive: Path, dest: Path) -> Path:
    """Extract the sdist at ``archive`` into the new (or empty) folder ``dest``; the tree's root.

    Every member is checked first (``bale.dist.archive``): names, links, devices, sizes and counts
    within ``BALE_MAX_*``. Raises ``UnsafeArchiveError`` naming the member at fault, ``BaleError`` for
    a damaged file; ``dest`` is deleted on failure.
    """
    from bale.dist.archive import unpack_source_archive

    unpack_source_archive(archive, dest)
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return dest


def _pkg_info_from_archive(archive: Path) -> bytes | None:
    """The top-level ``<name-version>/PKG-INFO`` of an sdist, read without unpacking the rest."""
    import tarfile
    import zipfile
    import zlib

    from bale.dist.archive import Rejected, read_top_member

    try:
        return read_top_member(archive, "PKG-INFO")
    except (Rejected, tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return None  # the build path reports a broken archive with its own message


def _static_metadata(archive: Path) -> tuple[bytes | None, str]:
    """Metadata a resolver may trust without a build, and where it came from: PKG-INFO when PEP 643
    lets it (see ``is_static_metadata``), else a wholly static ``[project]`` table, unless a PEP 643
    PKG-INFO (2.2+) says a field is dynamic: the backend's own word beats the table's."""
    data = _pkg_info_from_archive(archive)
    if data is not None:
        if is_static_metadata(data):
            return data, "PKG-INFO"
        if _metadata_version(data) >= (2, 2):
            return None, ""
    return _static_pyproject(archive), "static pyproject.toml"


def _metadata_version(data: bytes) -> tuple[int, ...]:
    for line in data.split(b"\n", 16)[:16]:
        if line.lower().startswith(b"metadata-version:"):
            try:
                return tuple(int(part) for part in line.split(b":", 1)[1].strip().split(b"."))
            except ValueError:
                return ()
    return ()


def _static_pyproject(archive: Path) -> bytes | None:
    """The metadata of the sdist's wholly static ``[project]`` table (``dist.static_pyproject``)."""
    import tarfile
    import zipfile
    import zlib

    from bale.dist.archive import Rejected, read_top_member
    from bale.dist.static_pyproject import metadata_from_pyproject

    try:
        pyproject = read_top_member(archive, "pyproject.toml", limit=1024 * 1024)
    except (Rejected, tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return None
    return metadata_from_pyproject(pyproject) if pyproject is not None else None


def is_static_metadata(data: bytes) -> bool:
    """Whether ``data`` (PKG-INFO) is PEP 643 metadata whose Requires-Dist, Requires-Python and
    Provides-Extra are final, so a resolver may use it without building the sdist."""
    from packaging.metadata import parse_email
    from packaging.version import InvalidVersion, Version

    try:
        raw, _ = parse_email(data)
    except (ValueError, UnicodeDecodeError):
        return False
    try:
        if Version(str(raw.get("metadata_version", "0"))) < Version("2.2"):
            return False
    except InvalidVersion:
        return False
    if not raw.get("name") or not raw.get("version"):
        return False
    dynamic = {str(item).strip().lower() for item in raw.get("dynamic", [])}
    return not (dynamic & _RESOLUTION_FIELDS)


def _read_metadata_dir(dist_info: Path, src: _Source) -> bytes:
    try:
        return (dist_info / "METADATA").read_bytes()
    except OSError as err:
        raise BaleError(
            f"The build backend of {src.label} prepared metadata without a METADATA file",
            context=[f"looked for {dist_info / 'METADATA'}"],
        ) from err


def _wheel_metadata(wheel: Path) -> bytes:
    """The ``*.dist-info/METADATA`` member of a wheel."""
    import zipfile

    with zipfile.ZipFile(wheel) as handle:
        names = [n for n in handle.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise BaleError(f"The built wheel {wheel.name} has no single .dist-info/METADATA")
        return handle.read(names[0])


def _write_metadata(directory: Path, data: bytes) -> None:
    from bale.fs.atomic import write_atomic

    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(directory / "METADATA", data)


def _find_wheel(entry: Path) -> Path | None:
    try:
        with os.scandir(entry) as entries:
            for item in entries:
                if item.name.endswith(".whl"):
                    return Path(item.path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return None


# -- environments ----------------------------------------------------------------------------------


def _venv_interpreter(base: Interpreter, root: Path) -> Interpreter:
    from bale.python.layout import PYTHON_NAME, SCRIPTS_DIR

    python = root / base.scheme_paths.get("scripts", SCRIPTS_DIR) / PYTHON_NAME
    return replace(base, executable=python, sys_executable=python, prefix=root, is_venv=True)


def _isolated_environ(env: PythonEnvironment) -> dict[str, str]:
    """The hook process's environment: the build venv first on PATH, nothing of the user's site."""
    environ = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    scripts = os.fspath(env.python.parent)
    environ["PATH"] = scripts + os.pathsep + environ.get("PATH", "")
    environ["VIRTUAL_ENV"] = os.fspath(env.root)
    environ["PYTHONNOUSERSITE"] = "1"
    return environ


def _plain_environ(env: PythonEnvironment | None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "__PYVENV_LAUNCHER__")}
    if env is not None:
        environ["PATH"] = os.fspath(env.python.parent) + os.pathsep + environ.get("PATH", "")
        environ["VIRTUAL_ENV"] = os.fspath(env.root)
    return environ


def _silence_backend_warnings() -> None:
    """pyproject-hooks re-emits the backend's warnings in this process, where they would print to
    stderr; engines never print, so they are filtered. Re-added before every hook because callers
    (pytest, ``warnings.catch_warnings``) may restore the filters meanwhile; an existing identical
    filter is replaced, not duplicated."""
    import warnings

    from pyproject_hooks import BuildBackendWarning

    warnings.filterwarnings("ignore", category=BuildBackendWarning)


def _backend_unavailable(backend: _Backend, err: Exception) -> BaleError:
    trace = str(getattr(err, "traceback", "") or "").strip().splitlines()
    message = str(err).split("\n\nTraceback:", 1)[0]
    context = [message]
    if trace:
        context.append(trace[-1])
    requires = ", ".join(backend.system.requires) or "(nothing)"
    context.append(f"[build-system] requires: {requires}")
    source, name = backend.source.label, backend.system.backend
    return BaleError(
        f"Cannot build {source}: its build backend {name!r} cannot be imported",
        context=context,
        hint="check build-backend in pyproject.toml: one of the [build-system] requires must provide it",
    )


def _plain_config(settings: ConfigSettings | None) -> dict[str, str | list[str]] | None:
    if not settings:
        return None
    return {str(k): (list(v) if isinstance(v, (list, tuple)) else str(v)) for k, v in settings.items()}


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


__all__ = [
    "DEFAULT_REQUIRES",
    "LEGACY_BACKEND",
    "BuildContext",
    "BuildCycleError",
    "BuildLink",
    "BuildRequirementsError",
    "BuildStats",
    "Builder",
    "ConfigSettings",
    "current_build_chain",
    "is_static_metadata",
]
