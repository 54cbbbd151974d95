"""``bale tool update-shell``: add the tools' bin dir to PATH in the user's shell start-up file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_MARKER = "# Added by `bale tool update-shell`"


def rc_file(env: Mapping[str, str] = os.environ) -> tuple[Path, str]:
    """The start-up file of the user's shell (from SHELL) and the line that puts ``{bin}`` on PATH."""
    home = Path(env.get("HOME") or Path.home())
    shell = Path(env.get("SHELL", "")).name
    if shell == "zsh":
        return Path(env.get("ZDOTDIR") or home) / ".zshrc", 'export PATH="{bin}:$PATH"'
    if shell == "fish":
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        return config / "fish" / "config.fish", 'fish_add_path "{bin}"'
    if shell == "bash":
        return home / ".bashrc", 'export PATH="{bin}:$PATH"'
    return home / ".profile", 'export PATH="{bin}:$PATH"'


def update_shell(bin_dir: Path, env: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """Append the PATH line to the shell's file unless it is there already; returns (file, changed)."""
    path, template = rc_file(env)
    line = template.format(bin=bin_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if line in text:
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{prefix}{_MARKER}\n{line}\n")
    return path, True
