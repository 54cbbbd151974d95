"""Writes src/bale/policy/data/popular.txt, the typosquatting guard's list, from a top-PyPI download list.

The input is the "top-pypi-packages" dataset (hugovk/top-pypi-packages: 30-day downloads), either its
JSON (``{"last_update": ..., "rows": [{"project": ..., "download_count": ...}]}``) or its CSV
(``rank,project,download_count``); names are kept in download order, normalized (PEP 503), one a line,
under a comment header that says where they came from.

    python scripts/refresh_popular.py [SOURCE.json|SOURCE.csv] [--top 5000] [--output PATH]

SOURCE defaults to ../shared/data/top-pypi/top-pypi-5000.json; for a fresh list, download
https://hugovk.github.io/top-pypi-packages/top-pypi-packages.min.json and pass it.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "top-pypi" / "top-pypi-5000.json"
OUTPUT = ROOT / "src" / "bale" / "policy" / "data" / "popular.txt"


def read_source(path: Path) -> tuple[list[str], str]:
    """(names in download order, a description of the source) from the JSON or CSV form."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            rows = sorted(csv.DictReader(handle), key=lambda row: int(row["rank"]))
        return [row["project"] for row in rows], path.name
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = sorted(data["rows"], key=lambda row: -int(row["download_count"]))
    stamp = data.get("last_update", "unknown date")
    return [row["project"] for row in rows], f"{path.name}, last_update {stamp}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--top", type=int, default=5000, help="how many names to keep (default 5000)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    names, origin = read_source(args.source)
    kept = list(dict.fromkeys(canonicalize_name(name) for name in names))[: args.top]
    header = [
        "# The most downloaded PyPI projects, most downloaded first (rank = line number among names).",
        f"# From {origin}, top {len(kept)}; refresh with scripts/refresh_popular.py.",
    ]
    args.output.write_text("\n".join([*header, *kept]) + "\n", encoding="utf-8")
    print(f"wrote {len(kept)} names to {args.output}")


if __name__ == "__main__":
    main()
