"""What a package policy costs a resolve: `bale pip compile` of ../shared/bench/workloads/jupyter.in
against the shared harness's local mirror, with and without `--policy`, cold and warm.

The policy has a rule of every kind resolution evaluates: a deny list, allowed indexes and sources,
licences (read from the metadata the resolver fetches anyway) and only-binary. It has no cooldown: the
mirror's pages carry no upload times, and a cooldown refuses a file whose age it cannot tell.

A policy turns the stored resolutions off (a cooldown moves with the clock), so the warm case is also
timed without a policy and with ``BALE_NO_MEMO=1``: a fair "computed" baseline.

    python3 ../shared/bench/mirror.py build ../shared/bench/workloads/jupyter.txt --out MIRROR
    python bench/policy.py --mirror MIRROR [--runs 5] [--json out.json]
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

from timing import timed

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WORKLOAD = SHARED / "bench" / "workloads" / "jupyter.in"

POLICY = """\
deny = [
    {{ package = "requests<2", reason = "too old" }},
    {{ package = "urllib3<1.26", reason = "CVE-ridden" }},
    {{ package = "left-pad", reason = "not ours" }},
]
indexes = ["{url}"]
sources = {{ url = false, git = false, path = true }}
licenses = {{ deny = ["GPL-3.0-only", "AGPL-3.0-only"], unknown = "allow" }}
only-binary = ["numpy"]
"""


def bale() -> str:
    found = shutil.which("bale", path=str(Path(sys.executable).parent)) or shutil.which("bale")
    if found is None:
        raise SystemExit("bale is not installed next to this Python or on PATH")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirror", required=True, type=Path, help="a folder made by mirror.py build")
    parser.add_argument("--port", type=int, default=18151)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    server = subprocess.Popen(
        [
            sys.executable,
            str(SHARED / "bench" / "mirror.py"),
            "serve",
            str(args.mirror),
            "--port",
            str(args.port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{args.port}/simple"
    time.sleep(1.0)
    work = Path(tempfile.mkdtemp(prefix="bale-policy-bench-"))
    try:
        (work / "policy.toml").write_text(POLICY.format(url=url), encoding="utf-8")
        shutil.copy(WORKLOAD, work / "jupyter.in")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("BALE_", "UV_", "PIP_"))}
        compile_ = [bale(), "pip", "compile", "jupyter.in", "--python-version", "3.11", "-i", url, "-q"]
        with_policy = [*compile_, "--policy", str(work / "policy.toml")]
        results: dict[str, list[float]] = {}

        def run(label: str, argv: list[str], *, cold: bool, no_memo: bool = False) -> None:
            env = dict(base)
            cache = work / (f"cache-{label}-{len(results.get(label, []))}" if cold else "cache-warm")
            env["BALE_CACHE_DIR"] = str(cache)
            if no_memo:
                env["BALE_NO_MEMO"] = "1"
            results.setdefault(label, []).append(timed([*argv, "-o", f"out-{label}.txt"], env, work))
            if cold:
                shutil.rmtree(cache, ignore_errors=True)

        # Fill the warm cache once (both ways), then interleave the runs.
        for argv in (compile_, with_policy):
            run("fill", argv, cold=False)
        for _ in range(args.runs):
            run("cold", compile_, cold=True)
            run("cold+policy", with_policy, cold=True)
            run("warm (stored answer)", compile_, cold=False)
            run("warm computed", compile_, cold=False, no_memo=True)
            run("warm+policy", with_policy, cold=False)
        results.pop("fill")
        medians = {label: statistics.median(times) for label, times in results.items()}
        for label, median in medians.items():
            print(f"{label:22} {median * 1000:8.0f} ms")
        print(f"policy / no policy, cold:          x{medians['cold+policy'] / medians['cold']:.2f}")
        print(f"policy / no policy, warm computed: x{medians['warm+policy'] / medians['warm computed']:.2f}")
        stored = medians["warm (stored answer)"]
        print(f"policy / stored answer, warm:      x{medians['warm+policy'] / stored:.2f}")
        if args.json:
            args.json.write_text(
                json.dumps({"runs": results, "medians": medians}, indent=2), encoding="utf-8"
            )
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
