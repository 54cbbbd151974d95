"""The resolution memo: a repeated resolve with a warm cache reads its stored answer, and only while
every index page it read is unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.index import build_simple_tree


def _universe(make_pkg) -> list[Path]:
    return [make_pkg("app", "1.0", requires_dist=["lib>=1"]), make_pkg("lib", "1.0"), make_pkg("lib", "2.0")]


def test_a_repeated_compile_reads_the_memo_and_a_changed_page_resolves_again(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    (tmp_path / "requirements.in").write_text("app\n")
    args = ("pip", "compile", "requirements.in", "-i", server.url, "--no-header")
    first = run_bale(*args)
    assert first.code == 0, first
    assert first.stdout == "app==1.0\n    # via -r requirements.in\nlib==2.0\n    # via app\n"
    memos = list((run_bale.cache_dir / "resolutions-v1").rglob("*.json"))
    assert len(memos) == 1

    # Without the metadata in the cache, only the memo can answer with no request at all.
    shutil.rmtree(run_bale.cache_dir / "metadata-v1")
    server.requests.clear()
    again = run_bale(*args)
    assert again.code == 0, again
    assert again.stdout == first.stdout
    assert server.requests == []
    without = run_bale(*args, env={"BALE_NO_MEMO": "1"})
    assert without.stdout == first.stdout
    assert any(r.path.endswith(".metadata") for r in server.requests)

    # Other inputs are another resolution.
    other = run_bale(*args, "--resolution", "lowest")
    assert other.code == 0, other
    assert "lib==1.0" in other.stdout

    # A page that is no longer fresh (here: gone from the page cache) means resolving again, and a
    # new release on the index is then seen.
    build_simple_tree([make_pkg("lib", "3.0")], server.root)  # adds the file, rewrites the pages
    shutil.rmtree(run_bale.cache_dir / "simple-v1")
    newer = run_bale(*args)
    assert newer.code == 0, newer
    assert "lib==3.0" in newer.stdout


def test_a_repeated_lock_in_a_new_checkout_reads_the_memo(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index(_universe(make_pkg))
    texts = []
    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        (root / "pyproject.toml").write_text(
            '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["app"]\n'
        )
        if name == "two":
            shutil.rmtree(run_bale.cache_dir / "metadata-v1")
            server.requests.clear()
        # -v: a replay (tests/replay) would otherwise answer before the memo is reached.
        result = run_bale("lock", "-i", server.url, "-v", cwd=root)
        assert result.code == 0, result
        assert "Resolved 2 packages" in result.stderr
        texts.append((root / "pylock.toml").read_text())
    assert texts[0] == texts[1]
    assert server.requests == []
