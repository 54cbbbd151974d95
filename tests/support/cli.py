"""Run the bale CLI in a subprocess with an isolated environment, and scrub its output for comparison."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BaleRunner", "Result", "bale_env", "scrub", "src_dir"]

# Variables that would let the host's configuration leak into a test run.
_DROPPED_PREFIXES = ("BALE_", "PIP_", "UV_", "PYTHON", "CONDA_", "VIRTUAL_ENV", "XDG_")
_DROPPED_NAMES = {"VIRTUAL_ENV", "PYENV_VERSION", "COLUMNS", "LINES", "FORCE_COLOR", "CLICOLOR_FORCE"}
# Kept from the PYTHON* family: byte-code and buffering switches do not change behaviour under test.
_KEPT_NAMES = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}


def src_dir() -> Path:
    """The checkout's ``src`` directory, found from this file (tests/support/cli.py)."""
    return Path(__file__).resolve().parents[2] / "src"


@functools.cache
def _needs_src_on_path(python: str) -> bool:
    """True when ``python`` cannot import bale without help (i.e. bale is not installed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [python, "-c", "import bale"], env=env, capture_output=True, cwd=os.path.dirname(python) or None
    )
    return probe.returncode != 0


def bale_env(
    home: Path,
    *,
    extra: Mapping[str, str | None] | None = None,
    virtual_env: Path | str | None = None,
    python: str = sys.executable,
) -> dict[str, str]:
    """An environment for a bale subprocess that sees nothing of the host's configuration.

    HOME, XDG dirs and BALE_CACHE_DIR point under ``home``; NO_COLOR=1 and COLUMNS=100 make output
    stable; VIRTUAL_ENV is set only when ``virtual_env`` is given; PYTHONPATH holds the checkout's src
    only when bale is not installed. ``extra`` entries override (None removes a variable).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k in _KEPT_NAMES or not (k in _DROPPED_NAMES or k.startswith(_DROPPED_PREFIXES))
    }
    home = Path(home)
    env.update(
        {
            "HOME": str(home / "home"),
            "USERPROFILE": str(home / "home"),
            "XDG_CONFIG_HOME": str(home / "home" / ".config"),
            # The system bale.toml too: never the machine's /etc/xdg (tests that want one set their own).
            "XDG_CONFIG_DIRS": str(home / "etc-xdg"),
            "XDG_CACHE_HOME": str(home / "home" / ".cache"),
            "XDG_DATA_HOME": str(home / "home" / ".local" / "share"),
            "BALE_CACHE_DIR": str(home / "cache"),
            "NO_COLOR": "1",
            "COLUMNS": "100",
            # bale may shell out to pip in some tests; keep it off the machine's configured indexes.
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INPUT": "1",
        }
    )
    if virtual_env is not None:
        env["VIRTUAL_ENV"] = str(virtual_env)
    if _needs_src_on_path(python):
        env["PYTHONPATH"] = str(src_dir())
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass(frozen=True)
class Result:
    """Outcome of one bale run."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"$ bale {' '.join(self.args)}\n[exit {self.code}]\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


class BaleRunner:
    """Runs ``python -m bale ARGS`` with ``bale_env(home)``; the ``run_bale`` fixture is one of these."""

    def __init__(self, home: Path, *, cwd: Path | None = None, python: str = sys.executable) -> None:
        self.home = Path(home)
        self.cwd = Path(cwd) if cwd is not None else self.home
        self.python = python
        self.cache_dir = self.home / "cache"

    def env(
        self, env: Mapping[str, str | None] | None = None, virtual_env: Path | str | None = None
    ) -> dict[str, str]:
        return bale_env(self.home, extra=env, virtual_env=virtual_env, python=self.python)

    def __call__(
        self,
        *args: str | Path,
        cwd: Path | str | None = None,
        env: Mapping[str, str | None] | None = None,
        virtual_env: Path | str | None = None,
        input: str | None = None,
        timeout: float = 120,
    ) -> Result:
        argv = tuple(str(a) for a in args)
        workdir = Path(cwd) if cwd is not None else self.cwd
        workdir.mkdir(parents=True, exist_ok=True)
        completed = subprocess.run(
            [self.python, "-m", "bale", *argv],
            cwd=workdir,
            env=self.env(env, virtual_env),
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
        return Result(argv, completed.returncode, completed.stdout, completed.stderr)


_TIME = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|µs|us|s)\b")
_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d+\b")


def scrub(text: str, replacements: Mapping[str | Path, str] | None = None) -> str:
    """Make output comparable: replace paths (also as file:// URIs and resolved), timings and ports.

    ``scrub(out, {tmp_path: "[TMP]"})`` turns ``/tmp/pytest-1/x/venv`` into ``[TMP]/venv``;
    ``in 0.41s`` / ``in 12ms`` become ``in [TIME]``; ``127.0.0.1:41234`` becomes ``127.0.0.1:[PORT]``.
    Longer paths are replaced first, so nested replacements work.
    """
    pairs: list[tuple[str, str]] = []
    for key, label in (replacements or {}).items():
        if not str(key):
            continue
        pairs.append((str(key), label))
        if isinstance(key, Path) or os.path.isabs(str(key)):
            path = Path(key)
            for variant in (path.resolve(), path):
                pairs.append((str(variant), label))
                if variant.is_absolute():
                    # Percent-encoded characters make the URI differ from "file://" + path.
                    pairs.append((variant.as_uri(), "file://" + label))
    for needle, label in sorted(pairs, key=lambda pair: -len(pair[0])):
        text = text.replace(needle, label)
    text = _TIME.sub("[TIME]", text)
    text = _PORT.sub(r"\1:[PORT]", text)
    return text
