"""bale and pip sharing one real venv: each must see, use and remove what the other installed."""

from __future__ import annotations

import os
from pathlib import Path

from bale.fs.link import Linker
from bale.install.bytecode import compile_bytecode
from bale.install.installed import scan_site_packages
from bale.install.uninstall import uninstall
from bale.install.wheel import install_tree
from tests.install.conftest import Venv, listing, snapshot, unpack
from tests.support.builders import Pkg, make_wheel

MODULE = (
    "import sys\n__version__ = '1.0'\n"
    "def main():\n    print('interop-demo', __version__, sys.argv[1:])\n"
    "def gui():\n    print('gui')\n"
)


def interop_pkg() -> Pkg:
    return Pkg(
        "Interop_Demo",
        "1.0",
        files={"interop_demo/__init__.py": MODULE, "interop_demo/res/data.json": "{}\n"},
        entry_points={
            "console_scripts": {"interop-demo": "interop_demo:main"},
            "gui_scripts": {"interop-demo-gui": "interop_demo:gui"},
        },
        data={
            "scripts": {
                "interop-tool": "#!python\nimport interop_demo\nprint('tool', interop_demo.__version__)\n"
            },
            "headers": {"interop.h": "#define INTEROP 1\n"},
            "data": {"share/interop-demo/readme.txt": "hello\n"},
        },
    )


SCHEME_FOLDERS = {"include", "include/site", "include/site/python3.11"}


def test_pip_sees_uses_and_uninstalls_a_bale_install(venv: Venv, tmp_path: Path) -> None:
    before = listing(venv.root)
    tree = unpack(interop_pkg(), tmp_path)
    dist = install_tree(
        tree,
        venv.scheme,
        name="Interop_Demo",
        version="1.0",
        requested=True,
        direct_url=None,
        linker=Linker(),
    )
    sources = [dist.dist_info.parent / "interop_demo" / "__init__.py"]
    assert compile_bytecode(sources, venv.python) == []

    imported = venv.run(venv.python, "-c", "import interop_demo; print(interop_demo.__file__)")
    assert imported.stdout.strip() == str(venv.scheme.purelib / "interop_demo" / "__init__.py")
    bin_dir = venv.scheme.scripts
    assert venv.run(bin_dir / "interop-demo", "x").stdout == "interop-demo 1.0 ['x']\n"
    assert venv.run(bin_dir / "interop-demo-gui").stdout == "gui\n"
    assert venv.run(bin_dir / "interop-tool").stdout == "tool 1.0\n"
    assert (venv.scheme.headers / "Interop_Demo" / "interop.h").is_file()
    assert (venv.root / "share" / "interop-demo" / "readme.txt").read_text() == "hello\n"

    listed = venv.pip("list", "--format=freeze").stdout.splitlines()
    assert "Interop_Demo==1.0" in listed
    shown = venv.pip("show", "-f", "-v", "interop-demo").stdout
    assert "Name: Interop_Demo\n" in shown
    assert "Installer: bale\n" in shown
    shown_files = {line.strip() for line in shown.split("Files:\n", 1)[1].splitlines()}
    assert {
        "interop_demo/__init__.py",
        "interop_demo/res/data.json",
        "../../../bin/interop-demo",
        "../../../bin/interop-tool",
        "../../../include/site/python3.11/Interop_Demo/interop.h",
        "../../../share/interop-demo/readme.txt",
        "interop_demo-1.0.dist-info/RECORD",
        "interop_demo-1.0.dist-info/INSTALLER",
    } <= shown_files
    assert venv.pip("check").returncode == 0

    venv.pip("uninstall", "-y", "interop-demo")
    after = listing(venv.root)
    assert before - after == set()
    # Only empty shared folders may stay: the headers scheme folder bale made, and pip keeps the
    # "share" parent of the data folder it removed.
    assert after - before <= SCHEME_FOLDERS | {"share"}
    assert "Interop_Demo" not in venv.pip("list", "--format=freeze").stdout


def test_bale_sees_and_uninstalls_a_pip_install(venv: Venv, tmp_path: Path) -> None:
    before = listing(venv.root)
    wheels = tmp_path / "wheels"
    make_wheel(interop_pkg(), wheels)
    venv.pip("install", "--no-index", "--find-links", wheels, "interop-demo")
    assert venv.run(venv.scheme.scripts / "interop-demo").stdout == "interop-demo 1.0 []\n"
    assert (venv.scheme.purelib / "interop_demo" / "__pycache__").is_dir()  # pip compiled it

    found = scan_site_packages([venv.scheme.purelib, venv.scheme.platlib])
    dist = found["interop-demo"]  # type: ignore[index]
    assert str(dist.version) == "1.0"
    assert dist.installer == "pip"
    assert dist.requested is True
    assert dist.dist_info == venv.scheme.purelib / "interop_demo-1.0.dist-info"

    removed = uninstall(dist, venv.scheme)
    names = {p.name for p in removed}
    assert {"interop-demo", "interop-demo-gui", "interop-tool", "interop.h", "readme.txt"} <= names
    after = listing(venv.root)
    assert before - after == set()
    assert after - before <= SCHEME_FOLDERS
    assert "interop-demo" not in scan_site_packages([venv.scheme.purelib])
    assert "Interop_Demo" not in venv.pip("list", "--format=freeze").stdout


def test_pip_reinstalls_over_a_bale_install_without_touching_the_cache(venv: Venv, tmp_path: Path) -> None:
    tree = unpack(interop_pkg(), tmp_path)
    cache_before = snapshot(tree)
    install_tree(
        tree,
        venv.scheme,
        name="Interop_Demo",
        version="1.0",
        requested=True,
        direct_url=None,
        linker=Linker(),
    )
    wheels = tmp_path / "wheels"
    venv.pip("install", "--force-reinstall", "--no-index", "--find-links", wheels, "interop-demo")
    assert snapshot(tree) == cache_before
    assert (
        os.stat(venv.scheme.purelib / "interop_demo" / "__init__.py").st_ino
        != os.stat(tree / "interop_demo" / "__init__.py").st_ino
    )
