"""Backtracking-heavy resolutions on the public index: `bale pip compile` beside `uv pip compile`.

The shared harness's local mirror holds one version per package, so its resolves never backtrack. These
sets make a solver walk down many releases: each rejected version costs its metadata (a PEP 658 file, or
a build when a tool cannot find one). Both tools start with an empty cache, resolve for Python 3.12 with
the same `--exclude-newer`, and must give the same pins; runs are interleaved, medians reported.

- `fastapi-starlette`: an old starlette cap sends fastapi back through dozens of releases;
- `numba-numpy`: a numpy 2.1 floor sends numba back past every release that caps numpy, down to ones
  with no wheel for Python 3.12 (only their other wheels' metadata tells, without a build).

    python bench/backtrack.py [--runs 3] [--uv PATH] [--index URL] [--json out.json]
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
import time
from pathlib import Path

SETS = {
    "fastapi-starlette": ["starlette<0.37", "fastapi<0.116"],
    "numba-numpy": ["numpy>=2.1,<2.2", "numba>0.1,<0.61"],
}
CUTOFF = "2026-11-01T00:00:00Z"


def tool(name: str, given: str | None) -> str:
    found = given or shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed next to this Python or on PATH")
    return found


def pins(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sorted(line.split()[0] for line in lines if "==" in line and not line.startswith("#"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--uv")
    parser.add_argument("--bale")
    parser.add_argument("--index", default="https://pypi.org/simple")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    commands = {
        "uv": [tool("uv", args.uv), "pip", "compile", "--python-version", "3.12", "--exclude-newer", CUTOFF],
        "bale": [
            tool("bale", args.bale),
            "pip",
            "compile",
            "--python-version",
            "3.12",
            "--exclude-newer",
            CUTOFF,
        ],
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BALE_", "UV_", "PIP_"))}
    work = Path(tempfile.mkdtemp(prefix="bale-backtrack-"))
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for name, requirements in SETS.items():
            (work / f"{name}.in").write_text("\n".join(requirements) + "\n", encoding="utf-8")
            for run in range(args.runs):
                order = list(commands) if run % 2 == 0 else list(reversed(commands))
                for who in order:
                    cache = work / f"cache-{who}-{name}-{run}"
                    env = {**base, "UV_CACHE_DIR" if who == "uv" else "BALE_CACHE_DIR": str(cache)}
                    output = work / f"{name}-{who}.txt"
                    argv = [*commands[who], f"{name}.in", "-i", args.index, "-q", "-o", str(output)]
                    started = time.perf_counter()
                    done = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True)
                    elapsed = time.perf_counter() - started
                    shutil.rmtree(cache, ignore_errors=True)
                    if done.returncode != 0:
                        raise SystemExit(f"{who} failed on {name} ({done.returncode}):\n{done.stderr}")
                    results.setdefault(name, {}).setdefault(who, []).append(elapsed)
            same = pins(work / f"{name}-uv.txt") == pins(work / f"{name}-bale.txt")
            uv, bale = (statistics.median(results[name][who]) for who in ("uv", "bale"))
            verdict = "same pins" if same else "DIFFERENT PINS"
            print(f"{name:18} uv {uv:6.2f} s  bale {bale:6.2f} s  x{bale / uv:.2f}  ({verdict})")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
