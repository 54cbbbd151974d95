"""A wrong metadata block is one clear error naming the script and the line, and nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest

CASES = {
    "unclosed": (
        "import os\n# /// script\n# dependencies = []\nprint(1)\n",
        "error: s.py, line 2: the `# /// script` block is never closed\n"
        "hint: end it with a line holding only `# ///`\n",
    ),
    "two blocks": (
        "# /// script\n# dependencies = []\n# ///\n\n# /// script\n# dependencies = []\n# ///\n",
        "error: s.py, line 5: a second `# /// script` block (the first starts at line 1)\n"
        "hint: a script has at most one metadata block: merge them\n",
    ),
    "invalid toml": (
        "# /// script\n# requires-python = '>=3.9'\n# dependencies = [\n#   'a' 'b'\n# ]\n# ///\n",
        "error: s.py, line 4: invalid TOML in the script block: Unclosed array\n",
    ),
    "unknown keys": (
        "# /// script\n# dependencies = []\n# python = '3'\n# [tool.bale]\n# indexx = 'x'\n# ///\n",
        "error: s.py, line 3: unknown key `python` in the script block\n"
        "  s.py, line 5: unknown key `tool.bale.indexx` in the script block\n"
        "hint: the block knows dependencies, requires-python, tool, and [tool.bale] index, indexes, "
        "exclude-newer\n",
    ),
    "bad requirement": (
        "# /// script\n# dependencies = [\n#   'ok',\n#   'no good',\n# ]\n# ///\n",
        None,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_block_errors_name_the_script_and_line(case: str, run_bale, tmp_path: Path) -> None:
    text, expected = CASES[case]
    (tmp_path / "s.py").write_text(text + "print('ran')\n")
    result = run_bale("run", "s.py", cwd=tmp_path)
    assert result.code == 1, result
    assert "ran" not in result.stdout
    assert "Traceback" not in result.stderr
    if expected is None:
        assert result.stderr.startswith(
            "Reading inline script metadata from `s.py`\nerror: s.py, line 4: invalid dependency 'no good'"
        ), result
    else:
        assert result.stderr == expected
