"""Times `bale --version` and `bale venv` beside uv and the interpreter's own start-up (issue 17's budgets).

Every run is interleaved (A B C, then C B A, ...) so that the machine's noise hits each command alike;
the report gives each command's median and min, and the ratio of bale's median to uv's:

- floor: `python -c pass` and `python -S -c pass` with the interpreter bale runs on (bale's venv
  python, whose site.py runs its .pth files) and with the base interpreter the venvs are made from;
- startup: `bale --version` and `uv --version` (budget: at most 20 ms and x3 uv);
- venv: `bale venv DIR --python PY` and `uv venv DIR --python PY`, each with a new, empty cache
  (the interpreter is never known in advance; budget: x2 uv);
- venv-warm: the same with a cache kept from the first run (what a user who made a venv before sees,
  and what ../shared/bench measures once it has prepared its warm caches: bale then writes the venv
  from the kept interpreter facts, ``cli/venv_replay.py``).

The environment is cleaned as ../shared/bench cleans it (no BALE_*/UV_*/PYTHON* settings), and the
base interpreter's directory goes first on PATH, so no pyenv shim runs.

    python bench/startup.py [--runs 21] [--python PY] [--bale PATH] [--uv PATH] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = {"startup": (0.020, 3.0), "venv": (None, 2.0)}  # scenario -> (absolute seconds, ratio to uv)


def clean_env(base: Path) -> dict[str, str]:
    drop = (
        "BALE_",
        "UV_",
        "PIP_",
        "VIRTUAL_ENV",
        "CONDA_",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONHOME",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    env["PATH"] = str(base.parent) + os.pathsep + env.get("PATH", "")
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default="python3.11", help="the interpreter venvs are made from")
    parser.add_argument("--bale", default=str(ROOT / ".venv" / "bin" / "bale"))
    parser.add_argument("--uv", default=shutil.which("uv") or str(ROOT / ".venv" / "bin" / "uv"))
    parser.add_argument("--json", help="write every run here")
    args = parser.parse_args()
    args.bale, args.uv = os.path.abspath(args.bale), os.path.abspath(args.uv)

    found = shutil.which(args.python) or args.python
    # Resolve a pyenv shim to the real interpreter, as ../shared/bench does.
    base = Path(
        subprocess.check_output([found, "-c", "import sys; print(sys.executable)"], text=True).strip()
    )
    bale_python = Path(args.bale).with_name("python")
    env = clean_env(base)
    work = Path(tempfile.mkdtemp(prefix="bale-startup-"))
    warm = {"bale": work / "warm-bale", "uv": work / "warm-uv"}
    counter = 0

    def venv(tool: str, cache: Path | None) -> list[str]:
        nonlocal counter
        counter += 1
        target = str(work / f"venv-{counter}")
        if cache is None:
            cache = work / f"cache-{counter}"
        if tool == "bale":
            return [args.bale, "--cache-dir", str(cache), "venv", target, "--python", str(base)]
        return [args.uv, "venv", target, "--python", str(base), "--cache-dir", str(cache)]

    commands: dict[str, dict[str, object]] = {
        "floor": {
            "bale's python -c pass": [str(bale_python), "-c", "pass"],
            "bale's python -S -c pass": [str(bale_python), "-S", "-c", "pass"],
            "base python -c pass": [str(base), "-c", "pass"],
            "base python -S -c pass": [str(base), "-S", "-c", "pass"],
        },
        "startup": {"uv": [args.uv, "--version"], "bale": [args.bale, "--version"]},
        "venv": {"uv": lambda: venv("uv", None), "bale": lambda: venv("bale", None)},
        "venv-warm": {"uv": lambda: venv("uv", warm["uv"]), "bale": lambda: venv("bale", warm["bale"])},
    }
    for tool, cache in warm.items():  # fill the warm caches (untimed)
        timed(venv(tool, cache), env, work)

    results: dict[str, dict[str, list[float]]] = {}
    for scenario, entries in commands.items():
        names = list(entries)
        times: dict[str, list[float]] = {name: [] for name in names}
        for run in range(args.runs):
            for name in names if run % 2 == 0 else reversed(names):
                spec = entries[name]
                argv = spec() if callable(spec) else spec
                times[name].append(timed(argv, env, work))  # type: ignore[arg-type]
            for leftover in work.glob("venv-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            for leftover in work.glob("cache-*"):
                shutil.rmtree(leftover, ignore_errors=True)
        results[scenario] = times

    print(f"# {args.runs} interleaved runs; base interpreter {base}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'scenario':10} {'command':28} {'median':>9} {'min':>9} {'ratio':>7}  budget")
    failed = False
    for scenario, times in results.items():
        baseline = statistics.median(times["uv"]) if "uv" in times else None
        for name, values in times.items():
            median = statistics.median(values)
            ratio = f"x{median / baseline:.2f}" if baseline else ""
            verdict = ""
            if name == "bale" and scenario in BUDGETS and baseline:
                absolute, relative = BUDGETS[scenario]
                ok = median / baseline <= relative and (absolute is None or median <= absolute)
                limit = f"<= x{relative:g}" + (f" and <= {absolute * 1000:.0f} ms" if absolute else "")
                verdict = f"{'ok' if ok else 'OVER'} ({limit})"
                failed |= not ok
            low = min(values) * 1000
            print(f"{scenario:10} {name:28} {median * 1000:7.1f}ms {low:7.1f}ms {ratio:>7}  {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"base": str(base), "runs": results}, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
