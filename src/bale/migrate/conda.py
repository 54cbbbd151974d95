"""conda's environment.yml as an Imported value: its ``pip:`` list, the conda packages the index also
has (under the same name or a known one), ``python`` as requires-python, the rest as system needs.

A small reader of the environment.yml subset conda itself writes (``conda env export``) and people
write by hand: top-level ``key: value`` and ``key:`` with block lists of ``- item`` (one nested ``- pip:``
list), comments, quoted scalars. Anything else (flow lists, anchors, block scalars, several documents)
is an error naming the line: bale does not depend on a YAML library for one file format, and a wrong
guess at YAML would import the wrong packages silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bale.migrate.imported import Imported, problem
from bale.model.record import record

__all__ = ["CONDA_NAMES", "Environment", "from_environment", "parse_environment"]

# conda-forge / defaults names whose PyPI distribution is named otherwise.
CONDA_NAMES = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "py-xgboost": "xgboost",
    "py-lightgbm": "lightgbm",
    "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "pyqt": "PyQt5",
    "tensorflow-base": "tensorflow",
    "python-graphviz": "graphviz",
    "protobuf": "protobuf",
    "pyyaml": "PyYAML",
    "scikit-learn": "scikit-learn",
    "ruamel.yaml": "ruamel.yaml",
}
# Never Python packages, whatever an index may host under the name: not asked about.
_SYSTEM = {
    "gcc", "gxx", "gfortran", "clang", "make", "mkl", "openssl", "zlib",
    "openblas", "blas", "lapack", "ca-certificates", "certifi-system", "tk", "xz", "ncurses", "readline",
    "sqlite", "git", "nodejs", "r-base", "cudnn", "nccl", "cudatoolkit", "compilers", "ffmpeg", "hdf5",
}  # fmt: skip


@record
class Environment:
    name: str | None = None
    channels: list[str] = field(default_factory=list)
    dependencies: list[tuple[int, str]] = field(default_factory=list)  # (line, spec)
    pip: list[tuple[int, str]] = field(default_factory=list)


def _scalar(text: str, file: str, line: int) -> str:
    text = text.strip()
    if text[:1] in ("[", "{", "&", "*", "|", ">", "!"):
        raise problem(f"{file}:{line}", f"bale reads block lists and plain values only, got {text!r}")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _strip_comment(line: str) -> str:
    quote = None
    for i, char in enumerate(line):
        if char in "'\"" and quote in (None, char):
            quote = None if quote else char
        elif char == "#" and quote is None and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def parse_environment(text: str, file: str = "environment.yml") -> Environment:
    """The environment.yml subset described above; BaleError at the first line outside it."""
    env = Environment()
    key: str | None = None
    in_pip = False
    pip_indent = -1
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line.strip() or (line.strip() == "---" and number == 1):
            continue
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise problem(f"{file}:{number}", "a tab in the indentation (YAML allows spaces only)")
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if indent == 0 and not body.startswith("- "):
            match = re.match(r"^([A-Za-z_][\w-]*)\s*:(.*)$", body)
            if match is None:
                raise problem(f"{file}:{number}", f"expected `key:` or `key: value`, got {body!r}")
            key, value = match[1], match[2].strip()
            in_pip = False
            if key == "name" and value:
                env.name = _scalar(value, file, number)
            elif value and key in ("channels", "dependencies"):
                raise problem(f"{file}:{number}", f"{key}: expected a block list (`- item` lines)")
            continue
        if not body.startswith("-"):
            raise problem(f"{file}:{number}", f"expected a `- item` line, got {body!r}")
        item = body[1:].strip()
        if in_pip and indent > pip_indent:
            env.pip.append((number, _scalar(item, file, number)))
            continue
        in_pip = False
        if key == "channels":
            env.channels.append(_scalar(item, file, number))
        elif key == "dependencies":
            if re.match(r"^pip\s*:\s*$", item):
                in_pip, pip_indent = True, indent
            elif item.endswith(":"):
                raise problem(f"{file}:{number}", f"bale reads only the `pip:` nested list, got {item!r}")
            else:
                env.dependencies.append((number, _scalar(item, file, number)))
    return env


_SPEC = re.compile(r"^(?:(?P<channel>[\w.\-/]+)::)?(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<version>.*)$")


def _conda_specifier(version: str) -> str | None:
    """A conda version spec as PEP 440: ``=1.2`` is conda's fuzzy ``1.2.*``, ``==1.2`` and the spaced
    ``numpy 1.2`` exact; a build string (``=1.2=py311_0``) is dropped. None when there is no PEP 440
    form (an ``|``)."""
    version = version.strip()
    if not version:
        return ""
    if "|" in version:
        return None
    if version.startswith("=") and not version.startswith("=="):
        release = version[1:].split("=")[0]
        return f"=={release}" if release.endswith("*") else f"=={release}.*"
    first = version.split()[0]
    if first[0] in "<>!~=":
        return first.split("=", 3)[0] if first.count("=") > 2 else first
    return f"=={first}"


def from_environment(
    env: Environment, exists: Callable[[str], bool], file: str = "environment.yml"
) -> Imported:
    """``exists(name)``: whether the index has a project page for ``name`` (asked once per package)."""
    imported = Imported(tool="conda", files=[file], name=env.name)
    for line, spec in env.dependencies:
        match = _SPEC.match(spec)
        if match is None:
            raise problem(f"{file}:{line}", f"cannot read the conda package {spec!r}")
        name, version = match["name"], match["version"]
        key = canonicalize_name(name)
        if key == "pip":
            continue  # the installer of the `pip:` list, which bale replaces
        if key == "python":
            specifier = _conda_specifier(version)
            if specifier:
                lower = specifier.removeprefix("==").removesuffix(".*")
                imported.requires_python = f">={lower}" if specifier.startswith("==") else specifier
            continue
        specifier = _conda_specifier(version)
        candidate = CONDA_NAMES.get(key, name)
        system = (
            key in _SYSTEM or key.startswith(("lib", "cuda", "_")) or "compiler" in key
            or not exists(str(canonicalize_name(candidate)))
        )  # fmt: skip
        if system:
            imported.system.append(spec)
            continue
        if specifier is None:
            imported.notes.append(
                f"{file}:{line}: {spec}: its version spec has no PEP 440 form; imported unbounded"
            )
            specifier = ""
        if candidate != name:
            imported.notes.append(f"{file}:{line}: conda's {name} is {candidate} on the index")
        imported.dependencies.append(f"{candidate}{specifier}")
    for line, item in env.pip:
        if item.startswith("-"):
            imported.notes.append(f"{file}:{line}: pip option {item!r} not imported; import that file itself")
            continue
        try:
            Requirement(item)
        except InvalidRequirement as error:
            raise problem(f"{file}:{line}", f"pip: {item!r} is not a requirement: {error}") from None
        imported.dependencies.append(item)
    if imported.system:
        imported.notes.append(
            f"{file}: {len(imported.system)} conda packages have no counterpart on the index: the "
            "environment must provide them (listed in a comment at the end of pyproject.toml)"
        )
    return imported
