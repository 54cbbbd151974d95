"""Read a built distribution's name, version and core metadata, and check it before an upload."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
import zlib
from bale.model.record import record
from pathlib import Path

from packaging.version import Version

from bale.errors import BaleError
from bale.model.names import NormalizedName

SDIST = "sdist"
WHEEL = "bdist_wheel"
# Read no more than this of a METADATA member: a README makes it large, never this large.
_MAX_METADATA = 16 * 1024 * 1024
# The content types PyPI renders; a missing one means reStructuredText there.
_RST = "text/x-rst"


@record(frozen=True, slots=True)
class Distribution:
    """A wheel or sdist file with what its file name says and the core metadata it carries."""

    path: Path
    filetype: str  # SDIST or WHEEL, the legacy upload API's names
    name: NormalizedName
    version: Version
    pyversion: str  # "source" for an sdist, the wheel's python tag ("py3", "cp312") for a wheel
    metadata: bytes  # PKG-INFO or .dist-info/METADATA, as written

    @property
    def filename(self) -> str:
        return self.path.name


def is_distribution_name(filename: str) -> bool:
    """Whether ``filename`` looks like a wheel or sdist (by its suffix only)."""
    lower = filename.lower()
    return lower.endswith((".whl", ".tar.gz", ".zip"))


def read_distribution(path: Path) -> Distribution:
    """Parse ``path``'s file name and read its core metadata; raises BaleError naming the file.

    Cost: opens the archive and reads one member (a wheel's central directory, or an sdist's tar
    headers up to ``PKG-INFO``, which sits near the front of what build backends write).
    """
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    filename = path.name
    if not path.is_file():
        raise BaleError(f"Cannot publish {path}: no such file")
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            pyversion = filename[: -len(".whl")].split("-")[-3]
            return Distribution(path, WHEEL, name, version, pyversion, _wheel_metadata(path))
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return Distribution(path, SDIST, name, version, "source", _sdist_metadata(path))
    except (InvalidWheelFilename, InvalidSdistFilename) as err:
        raise BaleError(
            f"Cannot publish {filename}: its file name is not a valid distribution name",
            context=[str(err), f"file: {path}"],
            hint="publish the files a build backend wrote, with their names unchanged",
        ) from err
    raise BaleError(
        f"Cannot publish {filename}: it is neither a wheel (.whl) nor a source distribution (.tar.gz)",
        context=[f"file: {path}"],
    )


def check_distribution(dist: Distribution) -> list[str]:
    """What an index would refuse about ``dist`` (empty when nothing): invalid core metadata, a name or
    version that differs from the file name's, an sdist that is not a .tar.gz, a README that does not
    render. Reads nothing more from disk."""
    from packaging.metadata import Metadata, parse_email
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion

    problems: list[str] = []
    if dist.filetype == SDIST and not dist.filename.endswith(".tar.gz"):
        problems.append("source distributions must be .tar.gz files (PEP 625); indexes refuse .zip")
    try:
        Metadata.from_email(dist.metadata, validate=True)
    except Exception as err:  # packaging raises an ExceptionGroup of InvalidMetadata (or ValueError)
        causes = getattr(err, "exceptions", None) or [err]
        problems.extend(f"invalid metadata: {cause}" for cause in causes)
    raw, _unparsed = parse_email(dist.metadata)
    name = raw.get("name")
    if name is not None and canonicalize_name(name) != dist.name:
        problems.append(f"the metadata names the project {name!r}, the file name says {dist.name!r}")
    version = raw.get("version")
    if version is not None:
        try:
            same = Version(version) == dist.version
        except InvalidVersion:
            same = True  # already reported as invalid metadata
        if not same:
            problems.append(f"the metadata says version {version}, the file name says {dist.version}")
    description = raw.get("description") or ""
    content_type = (raw.get("description_content_type") or _RST).split(";", 1)[0].strip().lower()
    if description.strip() and content_type == _RST:
        problem = rst_problem(description)
        if problem is not None:
            problems.append(f"the description (README) does not render as reStructuredText: {problem}")
    return problems


def rst_problem(text: str) -> str | None:
    """Why ``text`` fails to render as reStructuredText the way PyPI renders it (warnings count), or
    None when it renders or docutils is not installed (then nothing can be said, and nothing is).

    Raw HTML and file inclusion are off, as on PyPI; the parse takes ~20 ms for a long README.
    """
    try:
        from docutils.core import publish_doctree  # type: ignore[import-untyped,unused-ignore]
        from docutils.utils import SystemMessage  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    overrides = {
        "halt_level": 2,  # stop at the first warning: PyPI refuses a README with warnings
        "report_level": 5,  # and print nothing
        "warning_stream": io.StringIO(),
        "raw_enabled": False,
        "file_insertion_enabled": False,
        "_disable_config": True,
    }
    try:
        publish_doctree(text, settings_overrides=overrides)
    except SystemMessage as err:
        # "<string>:4: (WARNING/2) Inline emphasis start-string without end-string."
        text = re.sub(r"\s+", " ", str(err)).strip()
        found = re.match(r"<string>:(\d+): \(\w+/\d\) (.*)", text)
        return f"line {found.group(1)}: {found.group(2)}" if found else text
    except Exception as err:  # docutils raises plain errors on some malformed input
        return f"{type(err).__name__}: {err}"
    return None


def _wheel_metadata(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                found = "none" if not names else ", ".join(names)
                raise BaleError(
                    f"Cannot publish {path.name}: a wheel needs exactly one .dist-info/METADATA "
                    f"(found {found})",
                    context=[f"file: {path}"],
                )
            info = archive.getinfo(names[0])
            if info.file_size > _MAX_METADATA:
                raise BaleError(
                    f"Cannot publish {path.name}: its {names[0]} is {info.file_size} bytes, more than any "
                    "index accepts",
                    context=[f"file: {path}"],
                )
            return archive.read(info)
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as err:
        raise _unreadable(path, err) from err


def _sdist_metadata(path: Path) -> bytes:
    """The ``<name>-<version>/PKG-INFO`` at the top of an sdist (the one of its only top folder)."""
    from bale.dist.archive import Rejected, read_top_member

    try:
        data = read_top_member(path, "PKG-INFO")
    except Rejected as rejection:
        raise BaleError(
            f"Cannot publish {path.name}: its {rejection.describe()}", context=[f"file: {path}"]
        ) from None
    except (tarfile.TarError, zipfile.BadZipFile, OSError, zlib.error, EOFError) as err:
        raise _unreadable(path, err) from err
    if data is not None:
        return data
    raise BaleError(
        f"Cannot publish {path.name}: the source distribution has no PKG-INFO in its top folder",
        context=[f"file: {path}"],
        hint="build it with a PEP 517 backend (bale build --sdist), which writes PKG-INFO",
    )


def _unreadable(path: Path, err: BaseException) -> BaleError:
    return BaleError(
        f"Cannot publish {path.name}: it is not a readable archive",
        context=[f"file: {path}", f"error: {err}"],
    )


__all__ = [
    "SDIST",
    "WHEEL",
    "Distribution",
    "check_distribution",
    "is_distribution_name",
    "read_distribution",
    "rst_problem",
]
