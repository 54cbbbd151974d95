"""Measures the typosquatting guard: false positives, detection per technique, and the cost of a check.

Against the list bale ships (src/bale/policy/data/popular.txt):

- popular: each popular name checked as the guard checks it (0 flags by construction), and checked
  against the list without itself (how many genuine popular names the rules alone would flag);
- detection: for the top --top names, one typosquat per name and technique (deletion, transposition,
  keyboard neighbour, homoglyph, separator, py-prefix, order swap), leaving out any that is itself a
  popular name; the share flagged, and the share flagged as the name it was made from;
- real names: --sample names drawn from ../.library/env/packages/pypi.tsv (every PyPI project, column 1)
  that are not popular; the share flagged, by technique, with examples;
- cost: reading the shipped list once, and one check: the mean over one pass of the sample, and each
  name's best of three runs (median, mean, 99th percentile, max), the neighbours' noise filtered out.

    python bench/typosquat.py [--top 1000] [--sample 20000] [--seed 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPI_NAMES = ROOT.parent / ".library" / "env" / "packages" / "pypi.tsv"
sys.path.insert(0, str(ROOT / "src"))

from bale.model.names import normalize  # noqa: E402
from bale.policy.typosquat import PopularNames, keyboard_neighbours  # noqa: E402

LOOKALIKES = {"o": "0", "l": "1", "i": "l", "s": "5", "m": "rn", "w": "vv", "d": "cl", "0": "o", "1": "l"}


def delete(name: str, rng: random.Random) -> str | None:
    if len(name) < 2:
        return None
    at = rng.randrange(len(name))
    return name[:at] + name[at + 1 :]


def transpose(name: str, rng: random.Random) -> str | None:
    spots = [i for i in range(len(name) - 1) if name[i] != name[i + 1]]
    if not spots:
        return None
    at = rng.choice(spots)
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


def keyboard(name: str, rng: random.Random) -> str | None:
    spots = [i for i, letter in enumerate(name) if keyboard_neighbours(letter)]
    if not spots:
        return None
    at = rng.choice(spots)
    return name[:at] + rng.choice(sorted(keyboard_neighbours(name[at]))) + name[at + 1 :]


def homoglyph(name: str, rng: random.Random) -> str | None:
    spots = [i for i, letter in enumerate(name) if letter in LOOKALIKES]
    if not spots:
        return None
    at = rng.choice(spots)
    return name[:at] + LOOKALIKES[name[at]] + name[at + 1 :]


def separator(name: str, rng: random.Random) -> str | None:
    """Drop one ``-`` (``python-dateutil`` -> ``pythondateutil``), or add one inside a name without."""
    dashes = [i for i, letter in enumerate(name) if letter == "-"]
    if dashes:
        at = rng.choice(dashes)
        return name[:at] + name[at + 1 :]
    if len(name) < 4:
        return None
    at = rng.randrange(2, len(name) - 1)
    return name[:at] + "-" + name[at:]


def py_prefix(name: str, rng: random.Random) -> str | None:
    """Drop a ``py``/``python`` prefix the name has, else add one."""
    for prefix in ("python-", "py-", "python", "py"):
        if name.startswith(prefix) and len(name) - len(prefix) >= 3:
            return name[len(prefix) :]
    return rng.choice(("py", "python-", "py-", "python")) + name


def order(name: str, rng: random.Random) -> str | None:
    tokens = name.split("-")
    if len(tokens) < 2:
        return None
    shuffled = tokens[:]
    while shuffled == tokens:
        rng.shuffle(shuffled)
    return "-".join(shuffled)


TECHNIQUES: dict[str, Callable[[str, random.Random], str | None]] = {
    "deletion": delete,
    "transposition": transpose,
    "keyboard": keyboard,
    "homoglyph": homoglyph,
    "separator": separator,
    "py-prefix": py_prefix,
    "order": order,
}


def load_popular() -> tuple[PopularNames, float]:
    start = time.perf_counter()
    from bale.policy.popular import popular_names

    popular = popular_names()
    return popular, time.perf_counter() - start


def popular_checks(popular: PopularNames) -> dict[str, object]:
    flagged = [name for name in popular.names if popular.lookalike(name) is not None]
    colliding: dict[str, list[str]] = {}
    for name in popular.names:
        others = {hit.popular for hit in popular.candidates(name)}
        if others:
            colliding[name] = sorted(others, key=lambda other: popular.rank(other) or 0)
    return {
        "names": len(popular),
        "flagged": len(flagged),
        "leave_one_out": len(colliding),
        "leave_one_out_rate": len(colliding) / len(popular),
        "leave_one_out_examples": [f"{name} ~ {others[0]}" for name, others in list(colliding.items())[:12]],
    }


def detection(popular: PopularNames, top: int, rng: random.Random) -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for technique, make in TECHNIQUES.items():
        made = flagged = attributed = 0
        missed: list[str] = []
        for name in popular.names[:top]:
            squat = make(name, rng)
            if squat is None:
                continue
            squat = normalize(squat)
            if squat in popular or squat == name:
                continue
            made += 1
            found = popular.lookalike(squat)
            if found is not None:
                flagged += 1
                attributed += found.popular == name
            elif len(missed) < 6:
                missed.append(f"{squat} (from {name})")
        results[technique] = {
            "made": made,
            "flagged": flagged,
            "rate": flagged / made if made else 0.0,
            "as_source": attributed / made if made else 0.0,
            "missed": missed,
        }
    return results


def real_names(popular: PopularNames, sample: int, rng: random.Random) -> dict[str, object]:
    with PYPI_NAMES.open(encoding="utf-8") as handle:
        next(handle)
        names = sorted({normalize(line.split("\t", 1)[0]) for line in handle} - set(popular.names))
    chosen = rng.sample(names, min(sample, len(names)))
    by_technique: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)
    times: list[float] = []
    flagged = 0
    for name in chosen:
        # Each name's best of three: on a shared machine one run alone mostly measures the neighbours.
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            found = popular.lookalike(name)
            best = min(best, time.perf_counter() - start)
        times.append(best)
        if found is None:
            continue
        flagged += 1
        by_technique[found.technique] += 1
        if len(examples[found.technique]) < 8:
            examples[found.technique].append(f"{name} ~ {found.popular} (rank {found.rank})")
    times.sort()
    start = time.perf_counter()
    for name in chosen:
        popular.lookalike(name)
    whole = (time.perf_counter() - start) / len(chosen)
    return {
        "pypi_names": len(names),
        "checked": len(chosen),
        "flagged": flagged,
        "rate": flagged / len(chosen),
        "by_technique": dict(by_technique.most_common()),
        "examples": dict(examples),
        "check_one_pass_us": whole * 1e6,
        "check_median_us": statistics.median(times) * 1e6,
        "check_mean_us": statistics.fmean(times) * 1e6,
        "check_p99_us": times[int(len(times) * 0.99)] * 1e6,
        "check_max_us": times[-1] * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=1000, help="make typosquats of the N most popular names")
    parser.add_argument("--sample", type=int, default=20000, help="real non-popular names to check")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    popular, build = load_popular()
    report: dict[str, object] = {"build_ms": build * 1e3}
    report["popular"] = checks = popular_checks(popular)
    print(f"list: {len(popular)} names, read and indexed in {build * 1e3:.1f} ms")
    print(
        f"popular names flagged: {checks['flagged']} of {checks['names']}; against the list without "
        f"themselves: {checks['leave_one_out']} ({checks['leave_one_out_rate']:.1%}), e.g. "
        + ", ".join(checks["leave_one_out_examples"][:6])  # type: ignore[index]
    )
    report["detection"] = found = detection(popular, args.top, rng)
    print(f"\ndetection on typosquats of the top {args.top}:")
    print(f"  {'technique':<14} {'made':>5} {'flagged':>8} {'rate':>7} {'as source':>10}")
    for technique, row in found.items():
        print(
            f"  {technique:<14} {row['made']:>5} {row['flagged']:>8} {row['rate']:>7.1%} "
            f"{row['as_source']:>10.1%}  missed e.g. {', '.join(row['missed'][:3]) or '-'}"  # type: ignore[call-overload]
        )
    if PYPI_NAMES.is_file():
        report["real"] = real = real_names(popular, args.sample, rng)
        print(
            f"\nreal non-popular PyPI names: {real['flagged']} of {real['checked']} flagged "
            f"({real['rate']:.2%})"
        )
        for technique, count in real["by_technique"].items():  # type: ignore[attr-defined]
            shown = ", ".join(real["examples"][technique][:4])  # type: ignore[index]
            print(f"  {technique:<14} {count:>5}  e.g. {shown}")
        print(
            f"\none check: {real['check_one_pass_us']:.0f} us on average over one pass; each name's best of "
            f"three: median {real['check_median_us']:.0f} us, mean {real['check_mean_us']:.0f} us, "
            f"p99 {real['check_p99_us']:.0f} us, max {real['check_max_us']:.0f} us"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
