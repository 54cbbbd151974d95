"""Times a warm `bale run script.py` (PEP 723) beside `uv run --script script.py`.

Five small wheels (one with a console script and a dependency chain) are built and served on 127.0.0.1;
the script asks for three of them. Each tool runs once cold (its cache empty: resolve, download,
install), then --runs warm runs; the medians are printed with their ratio, and `python script.py`
with no tool for scale. Requests to the index during the warm runs are counted (bale's must be 0).

    python bench/script.py [--runs 15] [--uv .venv/bin/uv] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
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
# dependencies = ["app", "tool", "fmt"]
# ///
import app, tool, fmt
print(app.__version__, tool.__version__, fmt.__version__)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--uv", default=str(ROOT / ".venv" / "bin" / "uv"))
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        wheels = base / "wheels"
        files = [
            make_wheel(Pkg("app", "1.0", requires_dist=["lib", "util"]), wheels),
            make_wheel(Pkg("lib", "2.0"), wheels),
            make_wheel(Pkg("util", "1.0"), wheels),
            make_wheel(Pkg("tool", "1.0", entry_points={"console_scripts": {"tool": "tool:main"}}), wheels),
            make_wheel(Pkg("fmt", "3.1"), wheels),
        ]
        server = StaticIndexServer(build_simple_tree(files, base / "index")).start()
        try:
            work = base / "work"
            work.mkdir()
            major, minor = sys.version_info[:2]
            (work / "script.py").write_text(SCRIPT.format(major=major, minor=minor))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("BALE_", "UV_", "VIRTUAL_ENV"))}
            env.update(BALE_CACHE_DIR=str(base / "bale-cache"), UV_CACHE_DIR=str(base / "uv-cache"))
            env["UV_PYTHON_DOWNLOADS"] = "never"
            bale = [sys.executable, "-m", "bale", "run", "-i", server.url, "-p", sys.executable, "script.py"]
            uv = [options.uv, "run", "--index-url", server.url, "-p", sys.executable, "--script", "script.py"]
            rows: dict[str, dict[str, float]] = {}
            startup = [sys.executable, "-c", "pass"]
            for label, argv in (("bale", bale), ("uv", uv), ("python -c pass", startup)):
                cold = timed(argv, env, work)
                seen = len(server.requests)
                warm = [timed(argv, env, work) for _ in range(options.runs)]
                rows[label] = {
                    "cold_s": round(cold, 4),
                    "warm_median_s": round(statistics.median(warm), 4),
                    "warm_requests": len(server.requests) - seen,
                }
        finally:
            server.stop()
    ratio = round(rows["bale"]["warm_median_s"] / rows["uv"]["warm_median_s"], 2)
    for label, row in rows.items():
        cold, warm = row["cold_s"] * 1000, row["warm_median_s"] * 1000
        requests = row["warm_requests"]
        print(f"{label:15} cold {cold:7.1f} ms   warm median {warm:6.1f} ms   warm requests {requests:.0f}")
    print(f"warm bale / uv: {ratio}")
    if options.json:
        options.json.write_text(json.dumps({"rows": rows, "ratio_bale_over_uv_warm": ratio}, indent=2) + "\n")


if __name__ == "__main__":
    main()
