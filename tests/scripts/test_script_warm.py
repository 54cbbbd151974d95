"""The warm `bale run script.py` (cli.script_warm): its stamp serves only while its inputs are the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bale.cache.cache import BUCKET_DIRS
from bale.cli.script_warm import BUCKET_DIR, block_text
from bale.ops.script import COMPLETE
from tests.support.cli import bale_env

SHOW = "import lib; print('lib', lib.__version__)\n"


def _script(folder: Path, dependencies: str, name: str = "script.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"# /// script\n# dependencies = [{dependencies}]\n# ///\n{SHOW}")
    return path


def _imports(run_bale, cwd: Path, *args: str) -> tuple[str, str]:
    """stdout, and the modules imported, of a run under -X importtime."""
    env = bale_env(run_bale.home)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bale", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_the_constants_agree_with_the_cache_and_ops_script() -> None:
    assert BUCKET_DIRS["environments"] == BUCKET_DIR
    assert COMPLETE == ".bale-complete"  # the marker warm_environment checks by name


def test_block_text_takes_only_one_plain_block() -> None:
    one = "#!/usr/bin/env python\n# /// script\n# dependencies = []\n# ///\nprint(1)\n"
    assert block_text(one) == "# /// script\n# dependencies = []\n# ///"
    assert block_text(one + "# /// script\n# ///\n") is None  # two blocks: the full parse reports it
    assert block_text("# /// script\n# dependencies = []\n") is None  # unclosed
    assert block_text("print(1)\n") is None


def test_a_warm_run_imports_nothing_heavy_and_misses_when_an_input_changes(
    make_pkg, static_index, run_bale, tmp_path: Path
) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("lib", "2.0")])
    work = tmp_path / "work"
    script = _script(work, '"lib"')
    first = run_bale("run", "-i", server.url, "script.py", cwd=work)
    assert first.code == 0 and first.stdout == "lib 2.0\n", first
    requests = len(server.requests)
    out, imported = _imports(run_bale, work, "run", "-i", server.url, "script.py", "extra-arg")
    assert out == "lib 2.0\n"
    assert len(server.requests) == requests
    for heavy in ("bale.ops.script", "bale.python.discover", "bale.context", "tomllib"):
        assert f" {heavy}\n" not in imported, heavy

    # The block changed: the stamp does not match, the full path resolves again.
    script.write_text(script.read_text().replace('"lib"', '"lib<2"'))
    changed = run_bale("run", "-i", server.url, "script.py", cwd=work)
    assert changed.code == 0 and changed.stdout == "lib 1.0\n", changed
    # Another option (here the index): a different key, the full path.
    other = static_index([make_pkg("lib", "1.0")])
    moved = run_bale("run", "-i", other.url, "script.py", cwd=work)
    assert moved.code == 0 and moved.stdout == "lib 1.0\n", moved
    assert len(other.requests) > 0
    # The environment lost its marker (half removed): built again, not run broken.
    stamp = next((run_bale.cache_dir / BUCKET_DIR / "warm").glob("*.json"))
    import json

    environment = Path(json.loads(stamp.read_text())["environment"])
    (environment / COMPLETE).unlink()
    rebuilt = run_bale("run", "-i", other.url, "script.py", cwd=work)
    assert rebuilt.code == 0 and rebuilt.stdout == "lib 1.0\n", rebuilt
    assert "Installed 1 package" in rebuilt.stderr
    # A lock beside the script: the warm path stands aside (its freshness is checked every time).
    assert run_bale("lock", "--script", "script.py", "-i", other.url, cwd=work).code == 0
    _out, imported = _imports(run_bale, work, "run", "-i", other.url, "script.py")
    assert " bale.ops.script\n" in imported
