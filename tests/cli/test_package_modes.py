"""uv's per-package resolution options: --prerelease-package, --exclude-newer-package, --fork-strategy."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
OLDER = f"{sys.version_info.major}.{sys.version_info.minor - 1}"
COMPILE = ("pip", "compile", "in.txt", "--no-header", "--no-annotate")


def test_prerelease_package_allows_one_package(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [make_pkg("a", "1.0"), make_pkg("a", "2.0b1"), make_pkg("b", "1.0"), make_pkg("b", "2.0b1")]
    )
    (tmp_path / "in.txt").write_text("a\nb\n")
    result = run_bale(*COMPILE, "--prerelease-package", "A=allow", "-i", server.url)
    assert result.stdout == "a==2.0b1\nb==1.0\n", result
    bad = run_bale(*COMPILE, "--prerelease-package", "a=sometimes", "-i", server.url)
    assert bad.code == 1, bad
    assert bad.stderr.startswith(
        "error: Invalid pre-release mode 'sometimes' for a in --prerelease-package (in the command line)\n"
    ), bad.stderr
    assert "Traceback" not in bad.stderr


def test_exclude_newer_package_gives_one_package_its_own_cutoff(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    files = [
        make_pkg("lib", "1.0"),
        make_pkg("lib", "2.0"),
        make_pkg("other", "1.0"),
        make_pkg("other", "2.0"),
    ]
    january, june = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 6, 1, tzinfo=timezone.utc)
    times = {f.name: (january if "-1.0-" in f.name else june) for f in files}
    server = static_index(files, upload_times=times)
    (tmp_path / "in.txt").write_text("lib\nother\n")
    args = (*COMPILE, "--exclude-newer", "2026-03-01", "-i", server.url)
    assert run_bale(*args).stdout == "lib==1.0\nother==1.0\n"
    exempt = run_bale(*args, "--exclude-newer-package", "lib=false")
    assert exempt.stdout == "lib==2.0\nother==1.0\n", exempt
    later = run_bale(*args, "--exclude-newer-package", "other=2026-07-01")
    assert later.stdout == "lib==1.0\nother==2.0\n", later


def _project(tmp_path: Path, extra: str = "") -> Path:
    root = tmp_path / "demo"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">={OLDER}"\n'
        f'dependencies = ["num"]\n{extra}'
    )
    return root


def _num_versions(root: Path) -> list[tuple[str, str | None]]:
    data = tomllib.loads((root / "pylock.toml").read_text())
    return sorted((p["version"], p.get("marker")) for p in data["packages"] if p["name"] == "num")


def test_fork_strategy_fewest_keeps_one_version(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index(
        [
            make_pkg("num", "1.0", requires_python=f">={OLDER}"),
            make_pkg("num", "2.0", requires_python=f">={HERE}"),
        ]
    )
    root = _project(tmp_path)
    assert run_bale("lock", "-i", server.url, cwd=root).code == 0
    assert [v for v, _ in _num_versions(root)] == ["1.0", "2.0"]
    fewest = run_bale("lock", "--fork-strategy", "fewest", "-i", server.url, cwd=root)
    assert fewest.code == 0, fewest
    assert _num_versions(root) == [("1.0", None)]
    # The same from [tool.bale], where it is part of what the lock depends on.
    configured = _project(tmp_path / "configured", '\n[tool.bale]\nfork-strategy = "fewest"\n')
    assert run_bale("lock", "-i", server.url, cwd=configured).code == 0, configured
    assert _num_versions(configured) == [("1.0", None)]
    (configured / "pyproject.toml").write_text(
        (configured / "pyproject.toml").read_text().replace('"fewest"', '"requires-python"')
    )
    stale = run_bale("lock", "--check", "-i", server.url, cwd=configured)
    assert stale.code == 1, stale
