"""install_tree: where each file of an unpacked wheel lands, what RECORD says, and the rollback."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bale.errors import BaleError
from bale.fs.link import Linker
from bale.install.record import parse_record, record_hash
from bale.install.wheel import install_tree
from bale.model.scheme import InstallScheme
from tests.install.conftest import listing, snapshot
from tests.support.builders import Pkg

TOOL = "#!python\nimport demo\nprint('tool', demo.__version__)\n"


def demo_pkg(**fields: object) -> Pkg:
    values: dict[str, object] = {
        "files": {
            "demo/__init__.py": "__version__ = '1.0'\ndef main():\n    print('hi')\n",
            "demo/sub/data.txt": "payload\n",
        },
        "entry_points": {
            "console_scripts": {"demo-cli": "demo:main"},
            "gui_scripts": {"demo-gui": "demo:main"},
        },
        "data": {
            "scripts": {"demo-tool": TOOL, "plain.sh": "#!/bin/sh\necho plain\n"},
            "headers": {"demo.h": "#define DEMO 1\n"},
            "data": {"share/demo/readme.txt": "read me\n"},
        },
    }
    values.update(fields)
    return Pkg("Demo", "1.0", **values)  # type: ignore[arg-type]


def install(tree: Path, scheme: InstallScheme, **options: object) -> object:
    kwargs: dict[str, object] = {
        "name": "Demo",
        "version": "1.0",
        "requested": False,
        "direct_url": None,
        "linker": Linker(),
    }
    kwargs.update(options)
    return install_tree(tree, scheme, **kwargs)  # type: ignore[arg-type]


def test_files_land_in_their_scheme_paths(tree_of: Callable[[Pkg], Path], scheme: InstallScheme) -> None:
    tree = tree_of(demo_pkg())
    dist = install(tree, scheme)

    site = scheme.purelib
    assert (site / "demo" / "__init__.py").read_text().startswith("__version__")
    assert (site / "demo" / "sub" / "data.txt").read_text() == "payload\n"
    assert (scheme.headers / "Demo" / "demo.h").read_text() == "#define DEMO 1\n"
    assert (scheme.data / "share" / "demo" / "readme.txt").read_text() == "read me\n"
    assert (site / "demo-1.0.dist-info" / "INSTALLER").read_text() == "bale\n"
    assert not (site / "demo-1.0.data").exists()
    assert not scheme.platlib.exists()
    assert dist.dist_info == site / "demo-1.0.dist-info"  # type: ignore[attr-defined]
    assert str(dist) == "demo 1.0"


def test_scripts_get_the_env_interpreter_and_exec_bits(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    install(tree_of(demo_pkg()), scheme)
    python = os.fspath(scheme.python)

    tool = (scheme.scripts / "demo-tool").read_text()
    assert tool == f"#!{python}\nimport demo\nprint('tool', demo.__version__)\n"
    assert (scheme.scripts / "plain.sh").read_text() == "#!/bin/sh\necho plain\n"
    for name in ("demo-cli", "demo-gui", "demo-tool", "plain.sh"):
        mode = (scheme.scripts / name).stat().st_mode
        assert mode & stat.S_IXUSR, name
    launcher = (scheme.scripts / "demo-cli").read_text()
    assert launcher.startswith(f"#!{python}\n")
    assert "from demo import main as _entry" in launcher
    assert "sys.exit(_entry())" in launcher


def test_root_is_purelib_false_goes_to_platlib(tree_of: Callable[[Pkg], Path], scheme: InstallScheme) -> None:
    pkg = demo_pkg(root_is_purelib=False, tags="cp311-cp311-linux_x86_64", data={"purelib": {"pure.py": ""}})
    install(tree_of(pkg), scheme)
    assert (scheme.platlib / "demo" / "__init__.py").is_file()
    assert (scheme.platlib / "demo-1.0.dist-info" / "RECORD").is_file()
    assert (scheme.purelib / "pure.py").is_file()
    record = parse_record((scheme.platlib / "demo-1.0.dist-info" / "RECORD").read_text())
    paths = {row[0] for row in record}
    assert "../../../lib/python3.11/site-packages/pure.py" in paths
    assert "../../../bin/demo-cli" in paths


def test_record_lists_every_installed_file_with_hashes(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    tree = tree_of(demo_pkg())
    install(tree, scheme, requested=True, direct_url='{"url": "file:///w/demo-1.0-py3-none-any.whl"}')
    site = scheme.purelib
    rows = parse_record((site / "demo-1.0.dist-info" / "RECORD").read_text())

    paths = [row[0] for row in rows]
    assert len(paths) == len(set(paths))
    installed = {
        os.path.relpath(os.path.join(d, f), site).replace(os.sep, "/")
        for d, _, files in os.walk(scheme.data)
        for f in files
    }
    assert set(paths) == installed
    assert "../../../bin/demo-cli" in paths
    assert "../../../include/site/python3.11/Demo/demo.h" in paths
    assert "../../../share/demo/readme.txt" in paths
    for path, digest, size in rows:
        if path == "demo-1.0.dist-info/RECORD":
            assert (digest, size) == ("", "")
            continue
        data = (site / path).read_bytes()
        assert digest == record_hash(data), path
        assert size == str(len(data)), path


def test_record_hashes_of_linked_files_come_from_the_wheel(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    tree = tree_of(demo_pkg())
    record_file = tree / "demo-1.0.dist-info" / "RECORD"
    # A cache entry is trusted (validated at unpack): a marker digest shows it is copied, not recomputed.
    real = record_hash((tree / "demo/sub/data.txt").read_bytes())
    text = record_file.read_text().replace(real, "sha256=MARK")
    record_file.unlink()
    record_file.write_text(text)
    install(tree, scheme)
    rows = {row[0]: row for row in parse_record((scheme.purelib / "demo-1.0.dist-info/RECORD").read_text())}
    assert rows["demo/sub/data.txt"][1] == "sha256=MARK"


def test_cache_files_are_hardlinked_and_never_written(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    tree = tree_of(demo_pkg())
    before = snapshot(tree)
    install(tree, scheme)
    install(tree, scheme)  # a reinstall over the first must not write through the links either
    assert snapshot(tree) == before

    def inode(path: Path) -> int:
        return path.stat().st_ino

    site = scheme.purelib
    assert inode(site / "demo/__init__.py") == inode(tree / "demo/__init__.py")
    assert inode(site / "demo-1.0.dist-info/METADATA") == inode(tree / "demo-1.0.dist-info/METADATA")
    assert inode(scheme.headers / "Demo/demo.h") == inode(tree / "demo-1.0.data/headers/demo.h")
    assert inode(site / "demo-1.0.dist-info/RECORD") != inode(tree / "demo-1.0.dist-info/RECORD")
    assert inode(scheme.scripts / "demo-tool") != inode(tree / "demo-1.0.data/scripts/demo-tool")
    assert inode(scheme.scripts / "plain.sh") != inode(tree / "demo-1.0.data/scripts/plain.sh")


def test_requested_and_direct_url_are_written_when_asked(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    tree = tree_of(demo_pkg())
    url = json.dumps({"url": "file:///src/demo", "dir_info": {"editable": False}})
    dist = install(tree, scheme, requested=True, direct_url=url, installer="bale 0.1")
    info = scheme.purelib / "demo-1.0.dist-info"
    assert (info / "REQUESTED").read_bytes() == b""
    assert json.loads((info / "direct_url.json").read_text()) == json.loads(url)
    assert (info / "INSTALLER").read_text() == "bale 0.1\n"
    assert dist.requested is True  # type: ignore[attr-defined]
    assert dist.direct_url == {"url": "file:///src/demo", "dir_info": {"editable": False}}  # type: ignore[attr-defined]
    assert dist.installer == "bale 0.1"  # type: ignore[attr-defined]


def test_requested_and_direct_url_are_absent_by_default(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    dist = install(tree_of(demo_pkg()), scheme)
    info = scheme.purelib / "demo-1.0.dist-info"
    assert not (info / "REQUESTED").exists()
    assert not (info / "direct_url.json").exists()
    assert dist.requested is False  # type: ignore[attr-defined]


class FailingLinker:
    """A real linker that breaks after ``limit`` files, like a full disk would."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.calls = 0
        self.inner = Linker()

    def link(self, source: str, destination: str, /) -> None:
        self.calls += 1
        if self.calls > self.limit:
            raise OSError(28, "No space left on device", destination)
        self.inner.link(source, destination)


@pytest.mark.parametrize("limit", [0, 1, 3, 6])
def test_failure_midway_leaves_nothing_of_the_dist(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme, limit: int
) -> None:
    (scheme.purelib / "other.py").write_text("# another dist's file\n")
    tree = tree_of(demo_pkg())
    before = listing(scheme.data)
    cache_before = snapshot(tree)
    linker = FailingLinker(limit)
    with pytest.raises(OSError, match="No space left"):
        install(tree, scheme, linker=linker)
    assert linker.calls == limit + 1
    assert listing(scheme.data) == before
    assert snapshot(tree) == cache_before


def test_invalid_entry_point_rolls_back(tmp_path: Path, scheme: InstallScheme) -> None:
    # Hand-made tree: unpack validation would refuse this entry point before install ever saw it.
    tree = tmp_path / "tree"
    (tree / "demo").mkdir(parents=True)
    (tree / "demo" / "__init__.py").write_text("")
    info = tree / "demo-1.0.dist-info"
    info.mkdir()
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[console_scripts]\nbad = os; import shutil:x\n")
    (info / "RECORD").write_text(
        "demo/__init__.py,,\ndemo-1.0.dist-info/WHEEL,,\ndemo-1.0.dist-info/METADATA,,\n"
        "demo-1.0.dist-info/entry_points.txt,,\ndemo-1.0.dist-info/RECORD,,\n"
    )
    before = listing(scheme.data)
    with pytest.raises(BaleError, match="invalid entry point") as caught:
        install(tree, scheme)
    assert "bad" in str(caught.value)
    assert listing(scheme.data) == before


def test_unknown_data_key_is_refused(tmp_path: Path, scheme: InstallScheme) -> None:
    tree = tmp_path / "tree"
    (tree / "demo-1.0.data" / "elsewhere").mkdir(parents=True)
    (tree / "demo-1.0.data" / "elsewhere" / "x").write_text("x")
    info = tree / "demo-1.0.dist-info"
    info.mkdir()
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
    (info / "RECORD").write_text("demo-1.0.dist-info/WHEEL,,\ndemo-1.0.data/elsewhere/x,,\n")
    before = listing(scheme.data)
    with pytest.raises(BaleError, match=r"unknown location: demo-1\.0\.data/elsewhere/x"):
        install(tree, scheme)
    assert listing(scheme.data) == before


def test_file_shared_with_another_dist_is_replaced(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme
) -> None:
    (scheme.purelib / "demo").mkdir()
    (scheme.purelib / "demo" / "__init__.py").write_text("old = True\n")
    tree = tree_of(demo_pkg())
    install(tree, scheme)
    assert (scheme.purelib / "demo" / "__init__.py").read_text().startswith("__version__")


@pytest.mark.parametrize("name", ["../evil", "a/b", ".."])
def test_names_that_would_escape_the_headers_folder_are_refused(
    tree_of: Callable[[Pkg], Path], scheme: InstallScheme, name: str
) -> None:
    tree = tree_of(demo_pkg())
    before = listing(scheme.data)
    with pytest.raises(BaleError, match="cannot install a distribution named"):
        install(tree, scheme, name=name)
    assert listing(scheme.data) == before


def test_missing_tree_is_a_bale_error(tmp_path: Path, scheme: InstallScheme) -> None:
    with pytest.raises(BaleError, match=r"cannot read the unpacked wheel of Demo 1\.0") as caught:
        install(tmp_path / "gone", scheme)
    assert "cache clean" in (caught.value.hint or "")
