"""How a universal resolve grows with the number of packages: `bale pip compile --universal` beside
`uv pip compile --universal`, at 25, 50, 100, 200 and 400 packages and the whole set (about 520).

The set is `bench/scale/union.in` (56+29 large real projects' top-level requirements: jupyterlab,
django, airflow-sized stacks such as prefect and dbt, dask[complete], transformers, gradio, ...),
locked once by uv against PyPI into `bench/scale/union.txt` (537 pins, 525 projects). mirror.py keeps one
version per project, so mirror `mirror-pins.txt` (union.txt's first pin of each project; twelve are pinned
twice, by Python version; 2 minutes, 4.6 GB), then run this against the mirror:

    python3 ../shared/bench/mirror.py build bench/scale/mirror-pins.txt --out /tmp/mirror-scale
    python bench/scale.py --mirror /tmp/mirror-scale [--runs 3] [--json F]

A size-N input is the first N projects of union.txt in leaves-first order (uv's `# via` notes give the
edges), so its closure is those N projects, give or take extras. Rows, per size and tool, median of
`--runs`:
- cold: an empty cache;
- edit: a warm cache after the input lost one requirement (a different one each run), so a cache of
  whole answers cannot serve it;
- peak memory (max RSS of the resolving process, cold run).
The mirror holds one version per package: no backtracking, so this measures per-package overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (25, 50, 100, 200, 400, 10_000)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def leaves_first(pins_file: Path) -> list[str]:
    """Requirements for the projects of a uv-annotated lock, each after every project it depends on;
    each with the marker it was locked under (audioop-lts exists for Python 3.13+ alone)."""
    deps: dict[str, set[str]] = {}
    markers: dict[str, list[str]] = {}
    current = ""
    for line in pins_file.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            current = normalize(line.split("==")[0].split("[")[0])
            deps.setdefault(current, set())
            markers.setdefault(current, []).append(line.partition(";")[2].strip())
        elif line.strip().startswith("#") and current:
            note = line.strip().lstrip("#").strip()
            parent = note.removeprefix("via").strip()
            if parent and not parent.startswith("-r") and " " not in parent:
                deps.setdefault(normalize(parent), set()).add(current)
    order: list[str] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in placed or name in visiting:  # a cycle: the later member comes first
            return
        visiting.add(name)
        for dep in sorted(deps.get(name, ())):
            place(dep)
        visiting.discard(name)
        placed.add(name)
        order.append(name)

    for name in sorted(deps):
        place(name)
    # a project pinned twice (by Python version) is mirrored at its first pin, for every Python
    return [
        f"{name} ; {found[0]}" if len(found := markers.get(name, [""])) == 1 and found[0] else name
        for name in order
    ]


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one command, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{out.decode(errors='replace')[-2000:]}")
    return took, usage.ru_maxrss // 1024


def count_pins(path: Path) -> int:
    names = {
        normalize(line.split("==")[0].split("[")[0])
        for line in path.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    }
    return len(names)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirror", required=True, type=Path, help="a mirror.py build of union.txt")
    parser.add_argument("--pins", type=Path, default=HERE / "scale" / "union.txt")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=18321)
    parser.add_argument("--bale", default=shutil.which("bale", path=str(Path(sys.executable).parent)))
    parser.add_argument("--uv", default=shutil.which("uv", path=str(Path(sys.executable).parent)))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.bale or not args.uv:
        raise SystemExit("bale and uv must be installed next to this Python (or given)")
    mirror_py = HERE.parent.parent / "shared" / "bench" / "mirror.py"
    server = subprocess.Popen(
        [sys.executable, str(mirror_py), "serve", str(args.mirror), "--port", str(args.port)],
        stdout=subprocess.DEVNULL,
    )
    index = f"http://127.0.0.1:{args.port}/simple"
    order = leaves_first(args.pins)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "BALE_", "PIP_", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"))
    }
    results = []
    try:
        time.sleep(0.5)
        with tempfile.TemporaryDirectory(prefix="bale-scale-") as tmp:
            root = Path(tmp)
            for size in SIZES:
                names = order[:size]
                for tool, exe in (("uv", args.uv), ("bale", args.bale)):
                    work = root / f"{tool}-{len(names)}"
                    work.mkdir()

                    def argv(req: Path, exe: str = exe) -> list[str]:
                        return [
                            exe,
                            "pip",
                            "compile",
                            str(req),
                            "-o",
                            "out.txt",
                            "--universal",
                            "--python-version",
                            "3.11",
                            "--index-url",
                            index,
                        ]

                    def env(cache: Path, tool: str = tool) -> dict[str, str]:
                        key = "UV_CACHE_DIR" if tool == "uv" else "BALE_CACHE_DIR"
                        return {**base, key: str(cache)}

                    full = work / "full.in"
                    full.write_text("\n".join(names) + "\n", encoding="utf-8")
                    colds, mems = [], []
                    for n in range(args.runs):
                        cache = work / f"cold-{n}"
                        took, mem = run(argv(full), env(cache), work)
                        colds.append(took)
                        mems.append(mem)
                        resolved = count_pins(work / "out.txt")
                        if n:
                            shutil.rmtree(cache)
                    warm = work / "cold-0"
                    edits = []
                    for n in range(args.runs):
                        edited = work / f"edit-{n}.in"
                        edited.write_text(
                            "\n".join(x for i, x in enumerate(names) if i != n * 7 % len(names)) + "\n",
                            encoding="utf-8",
                        )
                        edits.append(run(argv(edited), env(warm), work)[0])
                    row = {
                        "tool": tool,
                        "inputs": len(names),
                        "resolved": resolved,
                        "cold": statistics.median(colds),
                        "edit": statistics.median(edits),
                        "peak_mib": statistics.median(mems),
                    }
                    results.append(row)
                    print(
                        f"{tool:5} inputs={len(names):4} resolved={resolved:4} cold={row['cold']:.3f}s "
                        f"edit={row['edit']:.3f}s peak={row['peak_mib']}MiB",
                        flush=True,
                    )
                    shutil.rmtree(work)
                if size >= len(order):
                    break
    finally:
        server.terminate()
    print("\n| packages | uv cold | bale cold | ratio | uv edit | bale edit | ratio | uv MiB | bale MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    by = {(r["tool"], r["inputs"]): r for r in results}
    for inputs in sorted({r["inputs"] for r in results}):
        u, b = by[("uv", inputs)], by[("bale", inputs)]
        print(
            f"| {b['resolved']} | {u['cold']:.3f} | {b['cold']:.3f} | x{b['cold'] / u['cold']:.2f} "
            f"| {u['edit']:.3f} | {b['edit']:.3f} | x{b['edit'] / u['edit']:.2f} "
            f"| {u['peak_mib']} | {b['peak_mib']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
