"""Two packages installed together that ship the same file: one staging folder holds them both, and
which one's file ends up installed is decided by the install order, never by the link threads."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli.conftest import make_stdlib_venv


def _packages(make_pkg) -> list[Path]:  # type: ignore[no-untyped-def]
    made = []
    for name in ("alpha", "beta", "gamma"):
        files = {f"{name}/__init__.py": "", "shared/common.txt": f"from {name}\n"}
        files.update({f"{name}/part{i}.py": f"N = {i}\n" for i in range(30)})
        scripts = {"console_scripts": {"shared-tool": f"{name}:__init__"}}
        made.append(make_pkg(name, "1.0", files=files, entry_points=scripts))
    return made


def test_the_same_file_from_two_packages_is_the_later_ones_every_time(
    make_pkg, find_links_dir, run_bale, tmp_path: Path
) -> None:
    links = find_links_dir(_packages(make_pkg))
    winners = set()
    for attempt in range(4):
        venv = make_stdlib_venv(tmp_path / f"venv{attempt}")
        result = run_bale(
            "pip", "install", "alpha", "beta", "gamma", "--no-index", "--find-links", links,
            virtual_env=venv.root,
        )  # fmt: skip
        assert result.code == 0, result
        site = venv.site_packages()
        winners.add((site / "shared" / "common.txt").read_text())
        script = (venv.root / "bin" / "shared-tool").read_text()
        winners.add(script.split("from ")[1].split(" import")[0])
        for name in ("alpha", "beta", "gamma"):
            record = (site / f"{name}-1.0.dist-info" / "RECORD").read_text()
            assert "shared/common.txt," in record and f"{name}/part29.py," in record
            assert (site / name / "part29.py").read_text() == "N = 29\n"
        # Nothing of the staging folder is left behind.
        assert not any(p.name.startswith(".bale") for p in site.iterdir())
        done = subprocess.run([str(venv.python), "-c", "import alpha, beta, gamma"], check=False)
        assert done.returncode == 0
    assert winners == {"from gamma\n", "gamma"}, winners


def test_a_file_of_one_package_where_another_has_a_folder_is_refused_before_the_install(
    make_pkg, find_links_dir, run_bale, tmp_path: Path
) -> None:
    # ``clash/data`` is a file in one wheel and a folder (``clash/data/x.txt``) in the other.
    first = make_pkg("filer", "1.0", files={"filer.py": "", "clash/data": "a file\n"})
    second = make_pkg("folderer", "1.0", files={"folderer.py": "", "clash/data/x.txt": "in a folder\n"})
    links = find_links_dir([first, second])
    venv = make_stdlib_venv(tmp_path / "venv")
    result = run_bale(
        "pip", "install", "filer", "folderer", "--no-index", "--find-links", links,
        virtual_env=venv.root,
    )  # fmt: skip
    assert result.code != 0
    assert "Traceback" not in result.stderr
    words = " ".join(result.stderr.split())
    assert "filer 1.0" in words and "folderer 1.0" in words and "clash/data" in words, result.stderr
    site = venv.site_packages()
    # Nothing half-done: neither package, and no staging folder, is in the (empty) environment.
    assert sorted(p.name for p in site.iterdir()) == []
