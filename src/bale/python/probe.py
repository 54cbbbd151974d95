"""Ask an interpreter about itself (version, markers, tags, install scheme), once per interpreter file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from bale.errors import BaleError
from bale.model.record import record
from bale.model.target import TargetEnv

# Bump whenever _probe_script.py or the cached fields change: old cache entries then read as misses.
PROBE_FORMAT = 1
_MARKER = "@bale-probe@"
_TIMEOUT_SECONDS = 60
# Runs first in the target so that an old interpreter answers "unsupported" instead of failing to parse
# the probe script (Python 3.8 syntax, stdlib only); the script itself arrives on stdin.
_BOOTSTRAP = (
    "import sys\n"
    "if sys.version_info < (3, 8):\n"
    "    print('\\n" + _MARKER + '{"unsupported": "%d.%d.%d"}\' % tuple(sys.version_info[:3]))\n'
    "    sys.exit(0)\n"
    "exec(compile(sys.stdin.read(), '<bale-probe>', 'exec'), {'__name__': '__main__'})\n"
)


@record(frozen=True)
class Interpreter:
    """What one Python executable reported about itself.

    ``executable`` is the path as bale found it (a venv's ``bin/python`` stays that, unresolved);
    ``base_executable`` is the interpreter a venv was created from (``sys_executable`` otherwise).
    ``tags`` are wheel tag strings, most preferred first; ``scheme_paths`` maps sysconfig path names
    to paths relative to a venv prefix (``purelib`` -> ``lib/python3.12/site-packages``).
    """

    executable: Path
    sys_executable: Path
    base_executable: Path
    version: Version
    implementation: str
    prefix: Path
    base_prefix: Path
    is_venv: bool
    markers: Mapping[str, str] = field(hash=False)
    tags: tuple[str, ...] = field(hash=False, repr=False)
    scheme_paths: Mapping[str, str] = field(hash=False, repr=False)
    pointer_size: int
    platform: str
    gil_disabled: bool
    _target: TargetEnv | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    @property
    def major_minor(self) -> str:
        """``"3.12"``: the version as it appears in ``pythonX.Y`` and ``lib/pythonX.Y``."""
        return f"{self.version.major}.{self.version.minor}"

    def target(self) -> TargetEnv:
        """The target environment (markers and parsed tags) this interpreter installs for."""
        if self._target is None:
            from packaging.tags import Tag

            # Tag(*split) instead of parse_tag: ~1,000 tags, none of them compressed; 0.6 ms instead of 3.
            tags = tuple(Tag(*text.split("-")) for text in self.tags)
            target = TargetEnv(python_version=self.version, markers=dict(self.markers), tags=tags)
            object.__setattr__(self, "_target", target)
            return target
        return self._target

    def to_json(self) -> dict[str, Any]:
        return {
            "executable": str(self.executable),
            "sys_executable": str(self.sys_executable),
            "base_executable": str(self.base_executable),
            "version": str(self.version),
            "implementation": self.implementation,
            "prefix": str(self.prefix),
            "base_prefix": str(self.base_prefix),
            "is_venv": self.is_venv,
            "markers": dict(self.markers),
            "tags": list(self.tags),
            "scheme": dict(self.scheme_paths),
            "pointer_size": self.pointer_size,
            "platform": self.platform,
            "gil_disabled": self.gil_disabled,
        }

    @classmethod
    def from_json(cls, executable: Path, data: Mapping[str, Any]) -> Interpreter:
        """Build from the probe's output (or a cache entry); raises KeyError/ValueError if malformed."""
        return cls(
            executable=executable,
            sys_executable=Path(data["sys_executable"]),
            base_executable=Path(data["base_executable"]),
            version=Version(data["version"]),
            implementation=str(data["implementation"]),
            prefix=Path(data["prefix"]),
            base_prefix=Path(data["base_prefix"]),
            is_venv=bool(data["is_venv"]),
            markers={str(k): str(v) for k, v in data["markers"].items()},
            tags=tuple(str(tag) for tag in data["tags"]),
            scheme_paths={str(k): str(v) for k, v in data["scheme"].items()},
            pointer_size=int(data["pointer_size"]),
            platform=str(data["platform"]),
            gil_disabled=bool(data["gil_disabled"]),
        )


def probe(executable: Path, cache_dir: Path | None = None) -> Interpreter:
    """Describe ``executable``, running it only when ``cache_dir`` has no entry for this exact file.

    The interpreter of a virtual environment is not run at all when its ``pyvenv.cfg`` names a base
    interpreter of the same version: a package that replaced ``bin/python`` would run with the user's
    rights, so the venv's facts are the base's (same binary, same markers, tags and scheme) with the
    venv's prefix (``environment_interpreter``). Otherwise a cache hit costs three ``stat`` calls and
    one small JSON read (~0.5 ms); a miss runs one subprocess (10-40 ms), except for the interpreter bale
    itself runs on, which this process describes (~3 ms, ``_facts_in_process``). ``cache_dir`` is the
    cache's ``interpreters-v1`` bucket.
    """
    executable = Path(os.path.abspath(executable))
    derived = environment_interpreter(executable, cache_dir)
    if derived is not None:
        return derived
    return _probe_file(executable, cache_dir)


def read_venv_config(root: Path) -> dict[str, str] | None:
    """The ``key = value`` lines of ``root/pyvenv.cfg`` (keys lowercased); None when unreadable."""
    try:
        text = (root / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    config: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip().lower()] = value.strip()
    return config


def _base_candidates(config: Mapping[str, str], name: str) -> list[Path]:
    """Where the base interpreter may be, as ``pyvenv.cfg`` tells (CPython 3.11+ and bale write
    ``executable``, virtualenv ``base-executable``, every tool ``home``)."""
    found = [Path(config[key]) for key in ("executable", "base-executable") if config.get(key)]
    home = config.get("home")
    version = (config.get("version_info") or config.get("version") or "").split(".")
    if home:
        names = [name]
        if len(version) >= 2 and version[0].isdigit() and version[1].isdigit():
            names.append(f"python{version[0]}.{version[1]}")
        names += ["python3", "python"]
        found.extend(Path(home, candidate) for candidate in dict.fromkeys(names))
    return found


def environment_interpreter(executable: Path, cache_dir: Path | None = None) -> Interpreter | None:
    """The facts of a venv's interpreter read from its ``pyvenv.cfg`` and its base's (cached) probe,
    without running ``executable``; None when ``executable`` is not in a venv or the file does not say
    enough (no base found, or one of another version), in which case the caller must run it.

    Costs one small read and the base's probe (a cache hit: ~0.5 ms).
    """
    root = executable.parent.parent
    config = read_venv_config(root)
    if config is None or not os.path.exists(executable):
        return None  # not a venv, or a broken one: the full probe names what is wrong
    version = config.get("version_info") or config.get("version")
    recorded = version.split(".")[:2] if version else []
    candidates = _base_candidates(config, executable.name)
    if os.path.islink(executable):
        # The file the venv's link reaches, when it is outside the venv, is what actually runs.
        target = os.path.realpath(executable)
        if not target.startswith(os.path.realpath(root) + os.sep):
            candidates.insert(0, Path(target))
    for candidate in candidates:
        if not candidate.is_file() or (candidate.parent.parent / "pyvenv.cfg").is_file():
            continue  # missing, or itself in a venv: only a real base interpreter is probed
        try:
            base = _probe_file(Path(os.path.abspath(candidate)), cache_dir)
        except BaleError:
            continue
        if base.is_venv or (recorded and recorded != [str(part) for part in base.version.release[:2]]):
            continue
        return replace(
            base,
            executable=executable,
            sys_executable=executable,
            base_executable=base.base_executable,
            prefix=root,
            base_prefix=base.base_prefix,
            is_venv=True,
        )
    return None


def _probe_file(executable: Path, cache_dir: Path | None) -> Interpreter:
    stamp = _stamp(executable)
    entry = (
        cache_dir / f"{hashlib.sha256(os.fsencode(executable)).hexdigest()[:32]}.json" if cache_dir else None
    )
    if entry is not None:
        cached = _read_entry(entry, executable, stamp)
        if cached is not None:
            return cached
    facts = _facts_in_process(executable) or _run_probe(executable)
    try:
        interpreter = Interpreter.from_json(executable, facts)
    except (KeyError, ValueError, TypeError, AttributeError, InvalidVersion) as err:
        raise BaleError(
            f"The Python interpreter at {executable} gave an answer bale does not understand",
            context=[f"{type(err).__name__}: {err}"],
        ) from err
    if entry is not None:
        _write_entry(entry, {"format": PROBE_FORMAT, "stamp": stamp, "interpreter": facts})
    return interpreter


def _stamp(executable: Path) -> list[Any]:
    """Identity of the interpreter file and of the pyvenv.cfg that changes what it reports."""
    try:
        # Follows links on purpose: a venv's bin/python is a link, and the file behind it is what changes.
        status = os.stat(executable)
    except OSError as err:
        if os.path.islink(executable):
            raise BaleError(
                f"The Python interpreter link {executable} is broken",
                context=[f"it points to {os.readlink(executable)}, which does not exist"],
                hint="if this is a virtual environment, recreate it with `bale venv --clear`",
            ) from err
        raise BaleError(f"No Python interpreter at {executable}", context=[str(err)]) from err
    stamp: list[Any] = [status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size]
    # CPython looks for pyvenv.cfg beside the executable and one level up (bin/ or Scripts/).
    for config in (executable.parent / "pyvenv.cfg", executable.parent.parent / "pyvenv.cfg"):
        try:
            config_status = os.stat(config)
        except OSError:
            stamp.append(None)
        else:
            stamp.append([config_status.st_mtime_ns, config_status.st_size])
    return stamp


def _read_entry(entry: Path, executable: Path, stamp: list[Any]) -> Interpreter | None:
    try:
        data = json.loads(entry.read_bytes())
        if data.get("format") != PROBE_FORMAT or data.get("stamp") != stamp:
            return None
        return Interpreter.from_json(executable, data["interpreter"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_entry(entry: Path, data: dict[str, Any]) -> None:
    from bale.fs.atomic import write_atomic

    # A cache that cannot be written only costs speed, so failures here are ignored.
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(entry, json.dumps(data, separators=(",", ":")))


def _facts_in_process(executable: Path) -> dict[str, Any] | None:
    """The probe's answer for ``executable`` computed here, when this process runs that very file.

    Running the interpreter costs 10-40 ms (it starts, then runs its site.py and every .pth file in
    its site-packages: 39 ms on the benchmark machine, whose site-packages imports certifi), the
    largest part of ``bale venv`` with the interpreter bale runs on. The facts a probe reports come
    from the binary, its standard library and ``sysconfig``, which this process shares; only the
    fields set by how the process started (``sys.executable``, prefixes, venv or not) are replaced by
    what ``executable`` started alone would say. None, meaning "run it", whenever that could differ:
    another file, a venv's interpreter (``pyvenv.cfg`` beside it), ``PYTHONHOME`` (which ``-I``
    ignores in the probe but this process obeyed), a ``_manylinux`` module (PEP 600) on either
    process's path, which the tags depend on, or a system other than Linux: a Windows venv's launcher
    is a copy, not a link, and macOS framework builds start through a stub; neither is checked yet.
    """
    import sys

    if sys.platform != "linux" or os.environ.get("PYTHONHOME"):
        return None

    running = os.path.realpath(sys.executable)
    base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    if os.path.realpath(executable) != running or base != running:
        return None
    if any(os.path.exists(folder / "pyvenv.cfg") for folder in (executable.parent, executable.parent.parent)):
        return None
    import importlib.machinery
    import site

    search = [*sys.path, *site.getsitepackages([sys.base_prefix])]
    if importlib.machinery.PathFinder.find_spec("_manylinux", search) is not None:
        return None
    from bale.python import _probe_script

    facts = _probe_script.facts()
    # As the interpreter reports itself when started by this path with no venv around it.
    facts.update(
        sys_executable=os.fspath(executable),
        base_executable=os.fspath(executable),
        prefix=sys.base_prefix,
        base_prefix=sys.base_prefix,
        is_venv=False,
    )
    return facts


def _run_probe(executable: Path) -> dict[str, Any]:
    import subprocess

    script = Path(__file__).with_name("_probe_script.py").read_text(encoding="utf-8")
    try:
        # -I: no user site, no PYTHON* variables, no script directory on sys.path. Not -S: on
        # Python < 3.11 site.py is what makes sys.prefix point at a venv.
        done = subprocess.run(
            [os.fspath(executable), "-I", "-c", _BOOTSTRAP],
            input=script.encode(),
            capture_output=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise BaleError(
            f"The Python interpreter at {executable} did not answer within {_TIMEOUT_SECONDS} s"
        ) from err
    except OSError as err:
        raise BaleError(
            f"Could not run {executable} as a Python interpreter", context=[err.strerror or str(err)]
        ) from err
    stdout = done.stdout.decode("utf-8", "replace")
    answer = next((line for line in reversed(stdout.splitlines()) if line.startswith(_MARKER)), None)
    if done.returncode != 0 or answer is None:
        output = (done.stderr.decode("utf-8", "replace") + "\n" + stdout).strip()
        lines = [line for line in output.splitlines() if line.strip()]
        context = [f"exit status {done.returncode}"]
        lines = [line if len(line) <= 160 else line[:157] + "..." for line in lines]
        context += lines[:6] if len(lines) <= 8 else [*lines[:3], "...", *lines[-3:]]
        raise BaleError(
            f"{executable} did not answer bale's query as a Python interpreter",
            context=context,
            hint="bale needs a CPython 3.8 or newer interpreter",
        )
    try:
        facts = json.loads(answer[len(_MARKER) :])
    except ValueError as err:
        raise BaleError(f"The Python interpreter at {executable} printed malformed JSON") from err
    if not isinstance(facts, dict):
        raise BaleError(f"The Python interpreter at {executable} printed malformed JSON")
    if "unsupported" in facts:
        raise BaleError(
            f"Python {facts['unsupported']} at {executable} is too old",
            hint="bale supports Python 3.8 and newer",
        )
    return facts
