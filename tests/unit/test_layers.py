"""Imports point down only (ARCHITECTURE.md, "Layers"): the pure core does no I/O, the I/O layer no wiring."""

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
    "index/simple_pages.py",
    "vcs/__init__.py",
    "errors.py",
    "report.py",
    "audit/osv.py",
    "audit/matching.py",
    "audit/findings.py",
    "audit/ignores.py",
    "audit/fix_plan.py",
    "audit/formats.py",
    "audit/licenses.py",
    "audit/pin_rewrite.py",
    "policy/typosquat.py",
    "policy/model.py",
    "policy/evaluate.py",
    "project/script.py",
    "migrate",
    "tool/receipt.py",
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


def _pure_module(name: str) -> bool:
    """Whether the module ``bale.x.y`` is one of the pure files of an I/O package (``index/simple.py``)."""
    return "/".join(name.split(".")[1:]) + ".py" in PURE


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
            if (io_package and not _pure_module(name)) or name.startswith("bale.vcs.git"):
                offences.append(f"{path.relative_to(SRC)} imports {name}")
    assert offences == []


# The I/O layer never reaches back up into the wiring or the front, not even for type hints: a
# callback up is how the distribution pipeline once grew a ten-module import loop.
IO_LAYER = ["dist", "index", "http", "cache", "install"]
WIRING = {"ops", "cli", "context"}


def _bale_imports(path: Path) -> list[str]:
    """Every ``bale.*`` module ``path`` imports, at any depth (functions and TYPE_CHECKING blocks too);
    ``from bale import x`` counts as ``bale.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            if node.module == "bale":
                names.extend(f"bale.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.append(f"(relative) {node.module}")
    return [n for n in names if n.startswith(("bale.", "(relative)"))]


def test_io_layer_imports_no_wiring() -> None:
    files = [f for entry in IO_LAYER for f in sorted((SRC / entry).rglob("*.py"))]
    assert len(files) >= 20, "the I/O layer should not be empty"
    offences = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in files
        for name in _bale_imports(path)
        if name.startswith("(relative)") or name.split(".")[1] in WIRING
    ]
    assert offences == []


def test_the_layer_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from bale import context\n"
        "if TYPE_CHECKING:\n"
        "    from bale.ops.settings import IndexSettings\n"
        "def f():\n"
        "    import bale.cli.main\n"
        "    from . import sibling\n",
        encoding="utf-8",
    )
    found = _bale_imports(module)
    assert found == ["bale.context", "bale.ops.settings", "bale.cli.main", "(relative) None"]


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []
