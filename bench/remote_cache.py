"""Times a cold install of sdist-only packages with a warm remote cache, building locally, and with uv.

Five sdist-only packages (setuptools, the real backend from .wheelhouse) are served on 127.0.0.1
and moto's S3 server stands in for the team's bucket. Each cold run starts from an empty local cache
and an empty venv: bale with the remote cache already holding the wheels (filled once by another
"machine"), bale building locally, and uv (which must build). Then the overhead of a configured
but empty remote cache on a warm local install (everything in the local cache; fresh venv each
run): the target is under 5%.

    python bench/remote_cache.py [--runs 5] [--warm-runs 15] [--uv .venv/bin/uv] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.builders import Pkg, make_sdist  # noqa: E402
from tests.support.index import build_simple_tree  # noqa: E402
from tests.support.servers import StaticIndexServer  # noqa: E402

WHEELHOUSE = ROOT / ".wheelhouse"
NAMES = ("alpha", "bravo", "charlie", "delta", "echo")
BUCKET = "bench-cache"


def fresh_venv(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="cold runs per row")
    parser.add_argument("--warm-runs", type=int, default=15, help="warm runs for the overhead")
    parser.add_argument("--uv", default=str(ROOT / ".venv" / "bin" / "uv"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--overhead-only", action="store_true", help="only the warm-install overhead")
    options = parser.parse_args()
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
    )
    s3.create_bucket(Bucket=BUCKET)
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        files = [make_sdist(Pkg(name, "1.0"), base / "sdists") for name in NAMES]
        server = StaticIndexServer(build_simple_tree(files, base / "index")).start()
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("BALE_", "UV_", "VIRTUAL_ENV"))}
            env.update(
                AWS_ACCESS_KEY_ID="x",
                AWS_SECRET_ACCESS_KEY="y",
                AWS_REGION="us-east-1",
                AWS_ENDPOINT_URL=endpoint,
            )
            env["UV_PYTHON_DOWNLOADS"] = "never"
            links = ["--find-links", str(WHEELHOUSE)]
            venv = base / "venv"
            bale = [sys.executable, "-m", "bale", "pip", "install", "-i", server.url, *links, *NAMES]
            remote = {"BALE_REMOTE_CACHE": f"s3://{BUCKET}/team"}
            empty = {"BALE_REMOTE_CACHE": f"s3://{BUCKET}/empty", "BALE_REMOTE_CACHE_READONLY": "1"}

            def bale_run(cache: Path, extra: dict[str, str]) -> float:
                fresh_venv(venv)
                return timed(
                    bale,
                    {**env, **extra, "BALE_CACHE_DIR": str(cache), "VIRTUAL_ENV": str(venv)},
                    base,
                    refuse_warnings=True,
                )

            def cold(extra: dict[str, str]) -> float:
                cache = base / "cold-cache"
                shutil.rmtree(cache, ignore_errors=True)
                return bale_run(cache, extra)

            rows: dict[str, list[float]] = {}
            if not options.overhead_only:
                bale_run(base / "machine-a", remote)  # machine A fills the remote cache
                rows["bale, warm remote cache"] = [cold(remote) for _ in range(options.runs)]
                rows["bale, building locally"] = [cold({}) for _ in range(options.runs)]
            uv_times = []
            for _ in range(0 if options.overhead_only else options.runs):
                fresh_venv(venv)
                uv_cache = base / "uv-cache"
                shutil.rmtree(uv_cache, ignore_errors=True)
                argv = [
                    options.uv,
                    "pip",
                    "install",
                    "--python",
                    str(venv / "bin" / "python"),
                    "-i",
                    server.url,
                ]
                uv_env = {**env, "UV_CACHE_DIR": str(uv_cache)}
                uv_times.append(timed([*argv, *links, *NAMES], uv_env, base, refuse_warnings=True))
            if uv_times:
                rows["uv, building"] = uv_times

            warm_cache = base / "warm-cache"
            bale_run(warm_cache, {})
            without, with_empty = [], []
            for _ in range(options.warm_runs):  # interleaved, so drift hits both alike
                without.append(bale_run(warm_cache, {}))
                with_empty.append(bale_run(warm_cache, empty))
        finally:
            server.stop()
            moto.stop()
    medians = {label: statistics.median(times) for label, times in rows.items()}
    for label, median in medians.items():
        print(f"cold install of {len(NAMES)} sdists, {label:24} median {median * 1000:7.0f} ms")
    plain, configured = statistics.median(without), statistics.median(with_empty)
    overhead = (configured - plain) / plain * 100
    # The fastest run of each, too: on a shared machine the median carries the neighbours' load.
    best = (min(with_empty) - min(without)) / min(without) * 100
    print(f"warm local install: {plain * 1000:.0f} ms; with an empty remote cache configured: "
          f"{configured * 1000:.0f} ms ({overhead:+.1f}%; fastest runs {best:+.1f}%)")  # fmt: skip
    if options.json:
        result = {
            "cold_median_s": {k: round(v, 4) for k, v in medians.items()},
            "warm_s": round(plain, 4),
            "warm_with_empty_remote_s": round(configured, 4),
            "overhead_percent": round(overhead, 2),
            "overhead_percent_fastest": round(best, 2),
        }
        options.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
