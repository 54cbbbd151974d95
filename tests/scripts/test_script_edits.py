"""`bale init/add/remove --script`: the block is edited, every other byte of the file kept."""

from __future__ import annotations

import sys
from pathlib import Path

BODY = "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nimport sys  \r\n\n\nprint('body')\t\n"


def test_init_adds_a_block_after_the_shebang_and_keeps_the_rest(run_bale, tmp_path: Path) -> None:
    script = tmp_path / "tool.py"
    script.write_bytes(BODY.encode())
    result = run_bale("init", "--script", script, "--python", ">=3.9", cwd=tmp_path)
    assert result.code == 0, result
    assert result.stderr == f"Initialized script at `{script}`\n"
    assert script.read_bytes().decode() == (
        "#!/usr/bin/env python3\n"
        "# /// script\n"
        '# requires-python = ">=3.9"\n'
        "# dependencies = []\n"
        "# ///\n"
        "\n" + BODY.split("\n", 1)[1]
    )
    again = run_bale("init", "--script", script, cwd=tmp_path)
    assert again.code == 1
    assert again.stderr == f"error: {script} already has a `# /// script` block\n"


def test_init_creates_a_missing_script_that_runs(run_bale, tmp_path: Path) -> None:
    result = run_bale("init", "--script", "hello.py", cwd=tmp_path)
    assert result.code == 0, result
    major, minor = sys.version_info[:2]
    text = (tmp_path / "hello.py").read_text()
    assert text.startswith(
        f'# /// script\n# requires-python = ">={major}.{minor}"\n# dependencies = []\n# ///\n'
    )
    ran = run_bale("run", "hello.py", cwd=tmp_path)
    assert ran.code == 0, ran
    assert ran.stdout == "Hello from hello.py!\n"


def test_add_and_remove_edit_only_the_dependencies(make_pkg, static_index, run_bale, tmp_path: Path) -> None:
    server = static_index([make_pkg("lib", "1.0"), make_pkg("other", "1.0")])
    script = tmp_path / "tool.py"
    head = '#!/usr/bin/env -S bale run --script\n# /// script\n# requires-python = ">=3.9"  # kept\n'
    tail = "# ///\nimport lib  # the code\r\n"
    script.write_bytes((head + '# dependencies = ["other"]\n' + tail).encode())
    script.chmod(0o755)

    added = run_bale("add", "--script", script, "lib>=1", "-i", server.url, cwd=tmp_path)
    assert added.code == 0, added
    assert added.stderr == f"Added lib>=1 to `{script}`\n"
    assert script.read_bytes().decode() == (
        head + '# dependencies = [\n#     "other",\n#     "lib>=1",\n# ]\n' + tail
    )
    assert script.stat().st_mode & 0o777 == 0o755

    replaced = run_bale("add", "--script", script, "LIB<2", cwd=tmp_path)
    assert replaced.code == 0, replaced
    assert '#     "LIB<2",\n' in script.read_text()
    assert "lib>=1" not in script.read_text()

    removed = run_bale("remove", "--script", script, "other", "lib", cwd=tmp_path)
    assert removed.code == 0, removed
    assert script.read_bytes().decode() == head + "# dependencies = []\n" + tail

    missing = run_bale("remove", "--script", script, "nothere", cwd=tmp_path)
    assert missing.code == 1
    assert missing.stderr == (
        f"error: {script}: the script block has no dependency on nothere\n  it lists: nothing\n"
    )


def test_add_to_a_script_without_a_block_says_how_to_make_one(run_bale, tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("print(1)\n")
    result = run_bale("add", "--script", "plain.py", "lib", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr == (
        "error: plain.py has no `# /// script` block\nhint: create one with `bale init --script plain.py`\n"
    )
