"""Times `bale tool install` (cold and warm), `bx TOOL --version` and `bale run script.py` beside uv.

A tool package with a console script named unlike it (`hello-tool` provides `hello`) and a chain of two
dependencies is built and served on 127.0.0.1, so every number is hermetic. Measured, each tool's
cache and tool dir its own:

- tool install cold: an empty cache and tool dir (resolve, download, install, link);
- tool install warm: the cache filled, the tool uninstalled first (untimed): install from the cache;
- tool run warm: `bx --from hello-tool hello --version` / `uvx ...` once the environment is cached;
- run script warm: `bale run script.py` / `uv run --script script.py`, a PEP 723 script with one
  dependency, once its environment is cached.

Each is run --runs times (cold: a fresh cache each run); medians are printed with bale/uv ratios.

    python bench/tool.py [--runs 10] [--uv .venv/bin/uv] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.builders import Pkg, make_wheel  # noqa: E402
from tests.support.index import build_simple_tree  # noqa: E402
from tests.support.servers import StaticIndexServer  # noqa: E402

SCRIPT = """\
# /// script
# requires-python = ">={major}.{minor}"
# dependencies = ["hello-lib"]
# ///
import hello_lib
print(hello_lib.__version__)
"""


def median_of(
    runs: int, argv: list[str], env: dict[str, str], cwd: Path, before: Callable[[], None] | None = None
) -> float:
    """The median of ``runs`` timings; ``before`` runs untimed ahead of each."""
    found = []
    for _ in range(runs):
        if before is not None:
            before()
        found.append(timed(argv, env, cwd))
    return statistics.median(found)


def emptied(*folders: Path) -> Callable[[], None]:
    """Removes ``folders`` (a cold cache, no tool installed) before a timed run."""

    def remove() -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)

    return remove


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--uv", default=str(ROOT / ".venv" / "bin" / "uv"))
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    uvx = str(Path(options.uv).with_name("uvx"))
    bx = str(Path(sys.executable).with_name("bx"))
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        wheels = base / "wheels"
        entry = {"console_scripts": {"hello": "hello_tool:main"}}
        files = [
            make_wheel(Pkg("hello-tool", "1.0", requires_dist=["hello-lib"], entry_points=entry), wheels),
            make_wheel(Pkg("hello-lib", "2.0", requires_dist=["hello-util"]), wheels),
            make_wheel(Pkg("hello-util", "1.0"), wheels),
        ]
        server = StaticIndexServer(build_simple_tree(files, base / "index")).start()
        try:
            work = base / "work"
            work.mkdir()
            major, minor = sys.version_info[:2]
            (work / "script.py").write_text(SCRIPT.format(major=major, minor=minor))
            clean = {k: v for k, v in os.environ.items() if not k.startswith(("BALE_", "UV_", "VIRTUAL_ENV"))}
            clean.pop("PYTHONDONTWRITEBYTECODE", None)  # a recompile on every start is not bale's cost
            clean["UV_PYTHON_DOWNLOADS"] = "never"
            dirs = {
                "bale": ("BALE_CACHE_DIR", "BALE_TOOL_DIR", "BALE_TOOL_BIN_DIR"),
                "uv": ("UV_CACHE_DIR", "UV_TOOL_DIR", "UV_TOOL_BIN_DIR"),
            }
            envs = {
                tool: {**clean, **{name: str(base / tool / name.lower()) for name in names}}
                for tool, names in dirs.items()
            }
            url, python = server.url, sys.executable
            install = {
                "bale": [python, "-m", "bale", "tool", "install", "-i", url, "-p", python, "hello-tool"],
                "uv": [options.uv, "tool", "install", "--index-url", url, "-p", python, "hello-tool"],
            }
            run_tool = {
                "bale": [bx, "-i", url, "-p", python, "--from", "hello-tool", "hello", "--version"],
                "uv": [uvx, "--index-url", url, "-p", python, "--from", "hello-tool", "hello", "--version"],
            }
            run_script = {
                "bale": [python, "-m", "bale", "run", "-i", url, "-p", python, "script.py"],
                "uv": [options.uv, "run", "--index-url", url, "-p", python, "--script", "script.py"],
            }
            rows: dict[str, dict[str, float]] = {}
            for tool, env in envs.items():
                cache, tools, bins = (Path(env[name]) for name in dirs[tool])
                row = {
                    "tool_install_cold_s": median_of(
                        options.runs, install[tool], env, work, emptied(cache, tools, bins)
                    ),
                    "tool_install_warm_s": median_of(
                        options.runs, install[tool], env, work, emptied(tools, bins)
                    ),
                }
                timed(run_tool[tool], env, work)  # the first run builds the cached environment
                seen = len(server.requests)
                row["tool_run_warm_s"] = median_of(options.runs, run_tool[tool], env, work)
                timed(run_script[tool], env, work)
                row["run_script_warm_s"] = median_of(options.runs, run_script[tool], env, work)
                row["warm_requests"] = len(server.requests) - seen
                rows[tool] = {k: round(v, 4) for k, v in row.items()}
        finally:
            server.stop()
    ratios = {
        key: round(rows["bale"][key] / rows["uv"][key], 2) for key in rows["bale"] if key.endswith("_s")
    }
    for key, ratio in ratios.items():
        bale_ms, uv_ms = rows["bale"][key] * 1000, rows["uv"][key] * 1000
        print(f"{key[:-2]:20} bale {bale_ms:7.1f} ms   uv {uv_ms:7.1f} ms   bale/uv {ratio}")
    print(f"warm requests: bale {rows['bale']['warm_requests']:.0f}, uv {rows['uv']['warm_requests']:.0f}")
    if options.json:
        options.json.write_text(json.dumps({"rows": rows, "ratios_bale_over_uv": ratios}, indent=2) + "\n")


if __name__ == "__main__":
    main()
