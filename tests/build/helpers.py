"""Source trees and sdists for build tests, written by hand for each backend, plus a tiny in-tree backend."""

from __future__ import annotations

import gzip
import io
import tarfile
import textwrap
from pathlib import Path

FIXED_EPOCH = 1577836800


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``root``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def tar_sdist(files: dict[str, str], dest: Path, top: str) -> Path:
    """An sdist ``<top>.tar.gz`` in ``dest`` holding ``files`` under ``<top>/``; reproducible bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for relative in sorted(files):
            data = textwrap.dedent(files[relative]).lstrip("\n").encode("utf-8")
            info = tarfile.TarInfo(f"{top}/{relative}")
            info.size = len(data)
            info.mtime = FIXED_EPOCH
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=FIXED_EPOCH) as gz:
        gz.write(buffer.getvalue())
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{top}.tar.gz"
    path.write_bytes(packed.getvalue())
    return path


def setuptools_pyproject(name: str, version: str = "1.0", *, extra: str = "") -> str:
    return f"""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "{version}"
        {extra}
    """


# A PEP 517 backend in a single file, used through backend-path so it needs no requirement at all:
# builds take ~60 ms. Hooks are left out per test by deleting them from the module text.
IN_TREE_BACKEND = """
import base64
import hashlib
import os
import zipfile

NAME = "{name}"
VERSION = "{version}"
REQUIRES = {requires!r}


def _metadata():
    lines = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + VERSION]
    lines += ["Requires-Dist: " + r for r in REQUIRES]
    return "\\n".join(lines) + "\\n"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def _write_wheel(directory, editable=False):
    info = "%s-%s.dist-info" % (NAME, VERSION)
    members = [(NAME + "/__init__.py", b"VALUE = 'in-tree'\\n")]
    if editable:
        members = [(NAME + ".pth", (os.getcwd() + "\\n").encode())]
    members += [
        (info + "/METADATA", _metadata().encode()),
        (info + "/WHEEL", b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"),
    ]
    record = "\\n".join(_record_line(p, d) for p, d in members) + "\\n" + info + "/RECORD,,\\n"
    members.append((info + "/RECORD", record.encode()))
    filename = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, data in members:
            archive.writestr(path, data)
    return filename


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, editable=True)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, "%s-%s.dist-info" % (NAME, VERSION))
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as handle:
        handle.write(_metadata())
    return os.path.basename(info)
"""


def in_tree_files(
    name: str,
    version: str = "1.0",
    *,
    requires: tuple[str, ...] = (),
    build_requires: tuple[str, ...] = (),
    without: tuple[str, ...] = (),
) -> dict[str, str]:
    """Files of a project built by ``IN_TREE_BACKEND``; ``without`` names hooks to leave out."""
    backend = IN_TREE_BACKEND.format(name=name, version=version, requires=list(requires))
    for hook in without:
        start = backend.index(f"\ndef {hook}(")
        end = backend.find("\n\n\ndef ", start + 1)
        backend = backend[:start] + (backend[end:] if end != -1 else "\n")
    requires_toml = ", ".join(f'"{r}"' for r in build_requires)
    return {
        "pyproject.toml": f"""
            [build-system]
            requires = [{requires_toml}]
            build-backend = "bale_test_backend"
            backend-path = ["."]
        """,
        "bale_test_backend.py": backend,
    }
