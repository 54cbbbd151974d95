"""Times `bale audit` on the 100 pins of ../shared/bench/workloads/jupyter.txt, beside pip-audit.

Everything is served on 127.0.0.1 from the shared PyPA advisory snapshot (../shared/data/osv-pypi):
an OSV API (querybatch, query, vulns) and the PyPI export. Scenarios, each the median of --runs:

- offline: `bale audit --offline pylock.toml` with the export in bale's cache (after --update-db);
- db: `bale audit --db all.zip pylock.toml` (the index of the file already built);
- online: `bale audit --service-url URL pylock.toml` (requests per run are counted);
- pip-audit: `pip-audit -r jupyter.txt --no-deps --disable-pip -s osv --osv-url URL/v1/query`
  (one request per package, as pip-audit asks), when pip-audit is installed (--pip-audit PATH);
- startup: `bale --version`, for scale.

    python bench/audit.py [--runs 7] [--pip-audit /path/to/pip-audit] [--json out.json]
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

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PINS = SHARED / "bench" / "workloads" / "jupyter.txt"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def pins() -> list[tuple[str, str]]:
    found = []
    for line in PINS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, rest = line.partition("==")
            found.append((name.strip(), rest.split(";")[0].strip()))
    return found


def write_lock(path: Path, packages: list[tuple[str, str]]) -> None:
    """A PEP 751 lock of the pins, one (made-up) wheel each: the audit reads names and versions."""
    lines = ['lock-version = "1.0"', 'created-by = "bench"', ""]
    for name, version in packages:
        stem = name.replace("-", "_")
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            "",
            "[[packages.wheels]]",
            f'name = "{stem}-{version}-py3-none-any.whl"',
            f'url = "https://files.example/{stem}-{version}-py3-none-any.whl"',
            f'hashes = {{ sha256 = "{"0" * 64}" }}',
            "",
        ]
    path.write_text("\n".join(lines))


def timed(argv: list[str], env: dict[str, str], runs: int, *, ok: tuple[int, ...] = (0, 1)) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pip-audit", default=shutil.which("pip-audit"))
    parser.add_argument("--json")
    args = parser.parse_args()
    from tests.support.osv_server import OsvServer

    server = OsvServer(shared_zip=True).start()
    work = Path(tempfile.mkdtemp(prefix="bale-audit-bench-"))
    try:
        packages = pins()
        lock = work / "pylock.toml"
        write_lock(lock, packages)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BALE_", "PIP_", "UV_"))}
        env.update(BALE_CACHE_DIR=str(work / "cache"), PYTHONPATH=str(ROOT / "src"), BALE_NO_PROGRESS="1")
        bale = [sys.executable, "-m", "bale"]
        subprocess.run(
            [*bale, "audit", "--update-db", "--db-url", server.db_url], env=env, check=True, cwd=work
        )
        results: dict[str, list[float]] = {}
        results["offline"] = timed([*bale, "audit", "--offline", str(lock)], env, args.runs)
        zip_copy = work / "all.zip"
        zip_copy.write_bytes((SHARED / "data" / "osv-pypi" / "pypi-osv-all.zip").read_bytes())
        timed([*bale, "audit", "--db", str(zip_copy), str(lock)], env, 1)  # builds the file's index
        results["db"] = timed([*bale, "audit", "--db", str(zip_copy), str(lock)], env, args.runs)
        before = len(server.requests)
        results["online"] = timed([*bale, "audit", "--service-url", server.url, str(lock)], env, args.runs)
        online = server.requests[before:]
        batches = sum(1 for r in online if r.path == "/v1/querybatch") / args.runs
        details = sum(1 for r in online if r.path.startswith("/v1/vulns/")) / args.runs
        found = subprocess.run(
            [*bale, "audit", "--offline", "--format", "json", str(lock)],
            env=env,
            capture_output=True,
            text=True,
        )
        findings = len(json.loads(found.stdout)["vulnerabilities"])
        results["startup"] = timed([*bale, "--version"], env, args.runs, ok=(0,))
        pip_requests = None
        if args.pip_audit:
            before = len(server.requests)
            argv = [args.pip_audit, "-r", str(PINS), "--no-deps", "--disable-pip", "-s", "osv"]
            argv += ["--osv-url", f"{server.url}/v1/query", "--cache-dir", str(work / "pip-audit-cache")]
            results["pip-audit"] = timed(argv, env, args.runs)
            pip_requests = (len(server.requests) - before) / args.runs
        medians = {name: statistics.median(times) for name, times in results.items()}
        print(
            f"{len(packages)} packages, {findings} findings; "
            f"online: {batches:g} querybatch + {details:g} vulns requests"
        )
        if pip_requests is not None:
            print(f"pip-audit: {pip_requests:g} requests per run")
        for name, median in medians.items():
            ratio = (
                f"  (pip-audit / bale online x{medians['pip-audit'] / medians['online']:.1f})"
                if name == "pip-audit"
                else ""
            )
            print(f"{name:10} median {median * 1000:7.0f} ms  min {min(results[name]) * 1000:7.0f} ms{ratio}")
        if args.json:
            Path(args.json).write_text(json.dumps({"runs": results, "medians": medians}, indent=2))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
