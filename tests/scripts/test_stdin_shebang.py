"""`bale run -` reads the script from standard input; `#!/usr/bin/env -S bale run --script` works."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BLOCK = '# /// script\n# dependencies = ["lib"]\n# ///\n'


def test_run_dash_reads_the_script_from_stdin(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    code = BLOCK + "import sys, lib\nprint(lib.__version__, sys.argv[1:])\n"
    result = run_bale("run", "-i", server.url, "-", "x", input=code, cwd=tmp_path)
    assert result.code == 0, result
    assert result.stdout == "1.0 ['x']\n"
    plain = run_bale("run", "-", input="print('no block')\n", cwd=tmp_path)
    assert plain.code == 0, plain
    assert plain.stdout == "no block\n"


@pytest.mark.skipif(shutil.which("env") is None or sys.platform == "win32", reason="needs env -S")
def test_a_shebang_runs_the_script_through_bale(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index([make_pkg("lib", "1.0")])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "bale"
    launcher.write_text(f'#!/bin/sh\nexec "{run_bale.python}" -m bale "$@"\n')
    launcher.chmod(0o755)
    block = BLOCK.replace("# ///\n", f'# [tool.bale]\n# index = "{server.url}"\n# ///\n', 1)
    for name, text in {
        "tool": "#!/usr/bin/env -S bale run --script\n"
        + block
        + "import lib\nprint('lib', lib.__version__)\n",
        "bare": "#!/usr/bin/env -S bale run --script\nimport sys\nprint('bare', sys.argv[1:])\n",
    }.items():
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    env = run_bale.env()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    ran = subprocess.run(
        [tmp_path / "tool"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert (ran.returncode, ran.stdout) == (0, "lib 1.0\n"), ran.stderr
    bare = subprocess.run(
        [tmp_path / "bare", "1"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert (bare.returncode, bare.stdout) == (0, "bare ['1']\n"), bare.stderr
