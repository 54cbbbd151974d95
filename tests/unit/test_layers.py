"""The pure core imports nothing that touches the world (ARCHITECTURE.md, "Layers")."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "bale"

PURE = [
    "model",
    "markers",
    "resolver",
    "lock",
    "plan.py",
    "index/simple.py",
    "vcs/__init__.py",
    "errors.py",
    "report.py",
]
FORBIDDEN_STDLIB = {
    "os",
    "sys",
    "subprocess",
    "socket",
    "time",
    "shutil",
    "tempfile",
    "urllib.request",
    "http.client",
    "threading",
    "concurrent.futures",
    "random",
}
IO_PACKAGES = {
    "fs",
    "cache",
    "http",
    "index",
    "dist",
    "python",
    "install",
    "project",
    "requirements",
    "ops",
    "cli",
    "context",
    "audit",
    "policy",
    "tool",
    "publish",
}


def _pure_files() -> list[Path]:
    files: list[Path] = []
    for entry in PURE:
        path = SRC / entry
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            files.append(path)
    return files


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_pure_modules_import_no_io() -> None:
    files = _pure_files()
    assert len(files) >= 8, "the pure layer should not be empty"
    offences: list[str] = []
    for path in files:
        for name in _imports(path):
            top = name.split(".")
            if name in FORBIDDEN_STDLIB or top[0] in FORBIDDEN_STDLIB:
                offences.append(f"{path.relative_to(SRC)} imports {name}")
            io_package = top[0] == "bale" and len(top) > 1 and top[1] in IO_PACKAGES
            # bale.vcs itself is pure; its git module runs git.
            if (io_package and name != "bale.index.simple") or name.startswith("bale.vcs.git"):
                offences.append(f"{path.relative_to(SRC)} imports {name}")
    assert offences == []


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []
