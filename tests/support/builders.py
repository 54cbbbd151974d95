"""Build wheels and sdists in tests, byte-for-byte reproducibly, including deliberately broken ones."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = [
    "BAD_WHEEL_KINDS",
    "FIXED_DATE_TIME",
    "FIXED_EPOCH",
    "Pkg",
    "make_bad_wheel",
    "make_sdist",
    "make_wheel",
    "record_hash",
    "sha256_bytes",
    "sha256_of",
    "wheel_members",
]

# 2020-01-01T00:00:00Z: later than the zip epoch (1980) so every tool accepts it, fixed so bytes repeat.
FIXED_EPOCH = 1577836800
FIXED_DATE_TIME = (2020, 1, 1, 0, 0, 0)

DATA_SCHEMES = ("scripts", "headers", "data", "purelib", "platlib")

BAD_WHEEL_KINDS = (
    "traversal",
    "absolute",
    "drive",
    "duplicate",
    "record-mismatch",
    "record-missing-file",
    "entry-point-path",
    "truncated",
)

Content = str | bytes

_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*(['"])([^'"]+)\1""")


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path | str) -> str:
    """Hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_hash(data: bytes) -> str:
    """The RECORD form of a hash: ``sha256=<urlsafe base64, no padding>``."""
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _as_bytes(content: Content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _escape(name: str) -> str:
    """Name as it appears in wheel/sdist file names and .dist-info directories."""
    return re.sub(r"[-_.]+", "_", name).lower()


@dataclass
class Pkg:
    """A distribution to build: its core metadata and what goes inside.

    ``files`` defaults to one module ``<import_name>/__init__.py`` holding ``__version__`` and a ``main()``
    that prints "<name> <version>" (so ``entry_points={"console_scripts": {"x": "<import_name>:main"}}``
    works out of the box). Extras named in ``requires_dist`` markers are added to Provides-Extra.
    """

    name: str
    version: str = "1.0"
    requires_dist: list[str] = field(default_factory=list)
    requires_python: str | None = None
    tags: str = "py3-none-any"
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)
    files: dict[str, Content] | None = None
    data: dict[str, dict[str, Content]] = field(default_factory=dict)
    provides_extra: list[str] = field(default_factory=list)
    metadata_version: str = "2.1"
    summary: str | None = None
    license: str | None = None
    root_is_purelib: bool = True
    extra_metadata: list[str] = field(default_factory=list)
    description: str | None = None
    build_tag: str | None = None
    import_name: str | None = None

    # -- derived names ------------------------------------------------------------------------------
    @property
    def normalized_name(self) -> str:
        """PEP 503 name (``My.Pkg`` -> ``my-pkg``)."""
        return str(canonicalize_name(self.name))

    @property
    def escaped_name(self) -> str:
        """Name as used in file names (``My.Pkg`` -> ``my_pkg``)."""
        return _escape(self.name)

    @property
    def file_version(self) -> str:
        """Version as used in file names: normalized when valid, else escaped as-is."""
        try:
            return str(Version(self.version)).replace("-", "_")
        except InvalidVersion:
            return self.version.replace("-", "_")

    @property
    def module(self) -> str:
        """Top-level import name of the default module."""
        return self.import_name or self.escaped_name

    @property
    def wheel_filename(self) -> str:
        build = f"-{self.build_tag}" if self.build_tag else ""
        return f"{self.escaped_name}-{self.file_version}{build}-{self.tags}.whl"

    @property
    def sdist_filename(self) -> str:
        return f"{self.escaped_name}-{self.file_version}.tar.gz"

    @property
    def dist_info(self) -> str:
        return f"{self.escaped_name}-{self.file_version}.dist-info"

    @property
    def data_dir(self) -> str:
        return f"{self.escaped_name}-{self.file_version}.data"

    # -- contents -----------------------------------------------------------------------------------
    def package_files(self) -> dict[str, Content]:
        """Files at the root of the wheel / source tree (``files`` or the default module)."""
        if self.files is not None:
            return dict(self.files)
        source = (
            f'"""{self.name} {self.version}, built by the bale test bed."""\n\n'
            f"__version__ = {json.dumps(self.version)}\n\n\n"
            "def main():\n"
            f"    print({json.dumps(f'{self.name} {self.version}')})\n"
        )
        return {f"{self.module}/__init__.py": source}

    def extras(self) -> list[str]:
        """Provides-Extra values: the declared ones, then those named in requirement markers."""
        found = list(self.provides_extra)
        for req in self.requires_dist:
            _, sep, marker = req.partition(";")
            if sep:
                found.extend(m.group(2) for m in _EXTRA_MARKER.finditer(marker))
        seen: set[str] = set()
        result = []
        for extra in found:
            if extra not in seen:
                seen.add(extra)
                result.append(extra)
        return result

    def metadata_text(self, metadata_version: str | None = None) -> str:
        """The METADATA (or PKG-INFO) document."""
        lines = [
            f"Metadata-Version: {metadata_version or self.metadata_version}",
            f"Name: {self.name}",
            f"Version: {self.version}",
        ]
        if self.summary is not None:
            lines.append(f"Summary: {self.summary}")
        if self.license is not None:
            lines.append(f"License: {self.license}")
        if self.requires_python is not None:
            lines.append(f"Requires-Python: {self.requires_python}")
        lines.extend(f"Requires-Dist: {req}" for req in self.requires_dist)
        lines.extend(f"Provides-Extra: {extra}" for extra in self.extras())
        lines.extend(self.extra_metadata)
        text = "\n".join(lines) + "\n"
        if self.description is not None:
            text += "\n" + self.description
        return text

    def wheel_text(self) -> str:
        """The WHEEL file: one Tag line per tag the (possibly compressed) tag string expands to."""
        lines = [
            "Wheel-Version: 1.0",
            "Generator: bale-testbed (0)",
            f"Root-Is-Purelib: {'true' if self.root_is_purelib else 'false'}",
        ]
        lines.extend(f"Tag: {tag}" for tag in sorted(str(t) for t in parse_tag(self.tags)))
        if self.build_tag:
            lines.append(f"Build: {self.build_tag}")
        return "\n".join(lines) + "\n"

    def entry_points_text(self) -> str | None:
        if not self.entry_points:
            return None
        chunks = []
        for group, entries in self.entry_points.items():
            body = "".join(f"{name} = {target}\n" for name, target in entries.items())
            chunks.append(f"[{group}]\n{body}")
        return "\n".join(chunks)

    def top_level(self) -> list[str]:
        names = set()
        for path in self.package_files():
            first = path.split("/", 1)[0]
            if "/" not in path:
                if not path.endswith(".py"):
                    continue
                first = first[: -len(".py")]
            names.add(first)
        return sorted(names)


def wheel_members(pkg: Pkg) -> list[tuple[str, bytes]]:
    """Every member of ``pkg``'s wheel but RECORD, in archive order."""
    members: list[tuple[str, bytes]] = [(p, _as_bytes(c)) for p, c in pkg.package_files().items()]
    for scheme, files in pkg.data.items():
        if scheme not in DATA_SCHEMES:
            raise ValueError(f"unknown wheel data scheme {scheme!r}; expected one of {DATA_SCHEMES}")
        members.extend((f"{pkg.data_dir}/{scheme}/{rel}", _as_bytes(c)) for rel, c in files.items())
    info = pkg.dist_info
    members.append((f"{info}/METADATA", pkg.metadata_text().encode("utf-8")))
    members.append((f"{info}/WHEEL", pkg.wheel_text().encode("utf-8")))
    entry_points = pkg.entry_points_text()
    if entry_points is not None:
        members.append((f"{info}/entry_points.txt", entry_points.encode("utf-8")))
    top_level = pkg.top_level()
    if top_level:
        members.append((f"{info}/top_level.txt", ("\n".join(top_level) + "\n").encode("utf-8")))
    return members


def _record_text(record_path: str, entries: Iterable[tuple[str, bytes]]) -> bytes:
    lines = [f"{_csv_field(path)},{record_hash(data)},{len(data)}" for path, data in entries]
    lines.append(f"{_csv_field(record_path)},,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv_field(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _zip_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # "duplicate" bad wheels write one name twice on purpose.
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, data in members:
                info = zipfile.ZipInfo(path, date_time=FIXED_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                executable = "/scripts/" in path or path.startswith("bin/")
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.create_system = 3  # unix, so the mode bits above are honoured
                archive.writestr(info, data)
    return buffer.getvalue()


def _write(dest_dir: Path | str, filename: str, data: bytes) -> Path:
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / filename
    path.write_bytes(data)
    return path


def _wheel_bytes(pkg: Pkg) -> bytes:
    members = wheel_members(pkg)
    record_path = f"{pkg.dist_info}/RECORD"
    members.append((record_path, _record_text(record_path, members)))
    return _zip_bytes(members)


def make_wheel(pkg: Pkg, dest_dir: Path | str) -> Path:
    """Write ``pkg`` as a valid wheel into ``dest_dir``; same ``pkg`` -> same bytes."""
    return _write(dest_dir, pkg.wheel_filename, _wheel_bytes(pkg))


# -- sdists -----------------------------------------------------------------------------------------


def _toml_str(value: str) -> str:
    return json.dumps(value)  # JSON strings are valid TOML basic strings for our inputs


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def _split_extra(requirement: str) -> tuple[str | None, str]:
    """("x", "dep; rest-of-marker") for a requirement guarded by ``extra == "x"``, else (None, req)."""
    head, sep, marker = requirement.partition(";")
    if not sep:
        return None, requirement
    match = _EXTRA_MARKER.search(marker)
    if match is None:
        return None, requirement
    # Only the plain forms are handled: `extra == "x"` alone or joined with `and`.
    rest = _EXTRA_MARKER.sub("", marker)
    rest = re.sub(r"^\s*and\s+|\s+and\s*$", "", rest.strip()).strip()
    rest = re.sub(r"\(\s*\)", "", rest).strip()
    return match.group(2), head.strip() + (f"; {rest}" if rest else "")


def pyproject_text(pkg: Pkg) -> str:
    """A setuptools pyproject.toml declaring ``pkg`` statically."""
    dependencies: list[str] = []
    optional: dict[str, list[str]] = {extra: [] for extra in pkg.extras()}
    for req in pkg.requires_dist:
        extra, plain = _split_extra(req)
        if extra is None:
            dependencies.append(plain)
        else:
            optional.setdefault(extra, []).append(plain)
    lines = [
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {_toml_str(pkg.name)}",
        f"version = {_toml_str(pkg.version)}",
    ]
    if pkg.summary is not None:
        lines.append(f"description = {_toml_str(pkg.summary)}")
    if pkg.requires_python is not None:
        lines.append(f"requires-python = {_toml_str(pkg.requires_python)}")
    if pkg.license is not None:
        lines.append(f"license = {{text = {_toml_str(pkg.license)}}}")
    lines.append(f"dependencies = {_toml_list(dependencies)}")
    if optional:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{_toml_str(extra)} = {_toml_list(reqs)}" for extra, reqs in optional.items()]
    for group, entries in pkg.entry_points.items():
        table = {
            "console_scripts": "project.scripts",
            "gui_scripts": "project.gui-scripts",
        }.get(group, f"project.entry-points.{_toml_str(group)}")
        lines += ["", f"[{table}]"]
        lines += [f"{_toml_str(name)} = {_toml_str(target)}" for name, target in entries.items()]
    packages = sorted({p.rsplit("/", 1)[0].replace("/", ".") for p in pkg.package_files() if "/" in p})
    modules = sorted(p[: -len(".py")] for p in pkg.package_files() if "/" not in p and p.endswith(".py"))
    lines += ["", "[tool.setuptools]", f"packages = {_toml_list(packages)}"]
    if modules:
        lines.append(f"py-modules = {_toml_list(modules)}")
    non_python = {p for p in pkg.package_files() if "/" in p and not p.endswith(".py")}
    if non_python:
        lines.append("include-package-data = true")
        lines += ["", "[tool.setuptools.package-data]"]
        by_package: dict[str, list[str]] = {}
        for p in sorted(non_python):
            package, _, rel = p.rpartition("/")
            by_package.setdefault(package.replace("/", "."), []).append(rel)
        lines += [f"{_toml_str(package)} = {_toml_list(rels)}" for package, rels in by_package.items()]
    return "\n".join(lines) + "\n"


def make_sdist(pkg: Pkg, dest_dir: Path | str) -> Path:
    """Write ``pkg`` as a setuptools sdist (PKG-INFO 2.2, pyproject.toml, sources); reproducible bytes.

    ``pkg.data`` is not represented in sdists.
    """
    top = f"{pkg.escaped_name}-{pkg.file_version}"
    members: dict[str, bytes] = {
        "PKG-INFO": pkg.metadata_text(metadata_version="2.2").encode("utf-8"),
        "pyproject.toml": pyproject_text(pkg).encode("utf-8"),
    }
    members.update((p, _as_bytes(c)) for p, c in pkg.package_files().items())
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        directories = sorted({f"{top}/{d}" for p in members for d in _parents(p)} | {top})
        for directory in directories:
            info = _tar_info(directory, tarfile.DIRTYPE, 0o755)
            archive.addfile(info)
        for path in sorted(members):
            data = members[path]
            info = _tar_info(f"{top}/{path}", tarfile.REGTYPE, 0o644)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, mtime=FIXED_EPOCH) as gz:
        gz.write(tar_buffer.getvalue())
    return _write(dest_dir, pkg.sdist_filename, gz_buffer.getvalue())


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _tar_info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = FIXED_EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


# -- broken wheels ----------------------------------------------------------------------------------


def make_bad_wheel(dest_dir: Path | str, kind: str, name: str = "evil", version: str = "1.0") -> Path:
    """A wheel named like a valid one but unsafe or corrupt in the way ``kind`` says (see BAD_WHEEL_KINDS).

    Path kinds (traversal, absolute, drive) list the bad member in RECORD with a correct hash, so the
    path is the only fault.
    """
    if kind not in BAD_WHEEL_KINDS:
        raise ValueError(f"unknown bad wheel kind {kind!r}; expected one of {BAD_WHEEL_KINDS}")
    pkg = Pkg(name, version)
    if kind == "entry-point-path":
        pkg.entry_points = {"console_scripts": {"../../bin/evil": f"{pkg.module}:main"}}
        return make_wheel(pkg, dest_dir)
    if kind == "truncated":
        whole = _wheel_bytes(pkg)
        return _write(dest_dir, pkg.wheel_filename, whole[: len(whole) // 2])

    members = wheel_members(pkg)
    record_path = f"{pkg.dist_info}/RECORD"
    module_path = f"{pkg.module}/__init__.py"
    payload = b"you should not see this file\n"
    if kind in ("traversal", "absolute", "drive"):
        bad_path = {"traversal": "../evil.txt", "absolute": "/tmp/evil.txt", "drive": "C:/evil.txt"}[kind]
        members.insert(0, (bad_path, payload))
        record = _record_text(record_path, members)
    elif kind == "duplicate":
        record = _record_text(record_path, members)
        members.append((module_path, b"raise SystemExit('second copy of a duplicated member')\n"))
    elif kind == "record-mismatch":
        listed = [(p, d if p != module_path else d + b"# not what is in the archive\n") for p, d in members]
        lines = _record_text(record_path, listed).decode("utf-8").splitlines()
        # Keep the true size so the digest is the only lie.
        real_size = len(dict(members)[module_path])
        lines = [
            f"{line.rsplit(',', 1)[0]},{real_size}" if line.startswith(module_path + ",") else line
            for line in lines
        ]
        record = ("\n".join(lines) + "\n").encode("utf-8")
    else:  # record-missing-file
        record = _record_text(record_path, members)
        members.insert(0, (f"{pkg.module}/unlisted.py", b"UNLISTED = True\n"))
    members.append((record_path, record))
    return _write(dest_dir, pkg.wheel_filename, _zip_bytes(members))
