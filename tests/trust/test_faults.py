"""The machine's faults are user errors, never "a bug in bale": full disk, permission denied, no file locks,
bytes that are not UTF-8, NUL bytes in paths and corrupt wheels each give one paragraph naming the file."""

from __future__ import annotations

import builtins
import errno
import os
import socket
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bale.cli.os_errors import from_os_error
from tests.support.builders import Pkg, _record_text, _zip_bytes, make_bad_wheel, wheel_members
from tests.support.cli import BaleRunner, Result, src_dir

# -- injected faults ---------------------------------------------------------------------------------
# A full disk or a permission denied cannot be made real without root (and the tests may run as root,
# where modes do not deny): a sitecustomize on PYTHONPATH makes the bale subprocess's own file
# operations fail, only under one directory, exactly as the kernel would report it.

_INJECTOR = """
import builtins, errno, io, os

_FAULT = os.environ.get("BALE_TEST_FAULT", "")
_UNDER = os.environ.get("BALE_TEST_FAULT_UNDER", "")


def _hit(path):
    try:
        text = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return bool(_UNDER) and (text == _UNDER or text.startswith(_UNDER + os.sep))


def _fail(path):
    code = getattr(errno, _FAULT)
    raise OSError(code, os.strerror(code), os.fsdecode(path))


if _FAULT in ("ENOSPC", "EACCES", "EROFS"):
    _open, _os_open, _link, _mkdir = builtins.open, os.open, os.link, os.mkdir

    def _writing(mode):
        return any(flag in mode for flag in "wax+")

    def open(file, mode="r", *args, **kwargs):
        if not isinstance(file, int) and _writing(mode) and _hit(file):
            _fail(file)
        return _open(file, mode, *args, **kwargs)

    def os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and _hit(path):
            _fail(path)
        return _os_open(path, flags, *args, **kwargs)

    def link(src, dst, *args, **kwargs):
        if _hit(dst):
            _fail(dst)
        return _link(src, dst, *args, **kwargs)

    def mkdir(path, *args, **kwargs):
        if _hit(path) and os.path.abspath(path) != _UNDER:
            _fail(path)
        return _mkdir(path, *args, **kwargs)

    builtins.open = io.open = open
    os.open, os.link, os.mkdir = os_open, link, mkdir

elif _FAULT == "ENOLCK":
    import fcntl

    def _no_locks(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    fcntl.flock = fcntl.lockf = _no_locks
"""


Injector = Callable[[str, Path], dict[str, str]]


@pytest.fixture
def inject(tmp_path: Path) -> Injector:
    """``inject("ENOSPC", directory)`` -> the environment that makes bale fail that way under it."""
    folder = tmp_path / "inject"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(_INJECTOR)

    def env(fault: str, under: Path) -> dict[str, str]:
        return {
            "PYTHONPATH": os.pathsep.join([str(folder), str(src_dir())]),
            "BALE_TEST_FAULT": fault,
            "BALE_TEST_FAULT_UNDER": os.path.abspath(under),
        }

    return env


@pytest.fixture
def venv(run_bale: BaleRunner, tmp_path: Path) -> Path:
    result = run_bale("venv", tmp_path / "venv")
    assert result.code == 0, result
    return tmp_path / "venv"


def _site_packages(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Lib" / "site-packages"
    return next((venv / "lib").glob("python*/site-packages"))


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts)


def _assert_user_error(result: Result, *needles: str) -> None:
    """Exit 1, one paragraph on stderr (``error:`` first, ``hint:`` last, no blank line), no traceback."""
    assert result.code == 1, result
    lines = result.stderr.rstrip("\n").split("\n")
    errors = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert len(errors) == 1, result
    paragraph = lines[errors[0] :]
    assert paragraph[-1].startswith("hint: "), result
    assert all(line.strip() for line in paragraph), result
    assert "Traceback" not in result.stderr and "bug in bale" not in result.stderr, result
    for needle in needles:
        assert needle in "\n".join(paragraph), (needle, result)


# -- every OSError through the top-level handler -----------------------------------------------------


def _os_error_classes() -> list[type[OSError]]:
    found: list[type[OSError]] = []
    stack: list[type[OSError]] = [OSError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    builtin = [cls for cls in found if cls.__module__ == "builtins"]
    # Plus the stdlib ones a run meets on the network; all must be built-ins or these.
    return sorted({*builtin, socket.gaierror, socket.herror, ssl.SSLError}, key=lambda cls: cls.__name__)


def _errors_to_walk() -> Iterator[tuple[str, OSError]]:
    path = os.path.join(os.sep, "somewhere", "bale-target", "file.txt")
    for cls in _os_error_classes():
        yield cls.__name__, cls(errno.EIO, "Input/output error", path)
    for name in ("ENOSPC", "EROFS", "ENOLCK", "EACCES", "EPERM", "EDQUOT", "EMFILE", "ENOENT", "EEXIST"):
        code = getattr(errno, name)
        yield f"OSError-{name}", OSError(code, os.strerror(code), path)


ERRORS = list(_errors_to_walk())


@pytest.mark.parametrize("error", [error for _, error in ERRORS], ids=[name for name, _ in ERRORS])
def test_every_os_error_is_a_user_error_naming_the_path(
    error: OSError, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bale.cli import commands
    from bale.cli.main import main

    def fail(*args: object) -> int:
        raise error

    monkeypatch.setattr(commands, "run", fail)
    code = main(["cache", "dir"])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = err.rstrip("\n").split("\n")
    assert lines[0] == f"error: {error.strerror}: {error.filename}", err
    assert lines[-1].startswith("hint: "), err
    assert all(line.strip() for line in lines) and len(lines) <= 4, err
    assert "bug in bale" not in err and "Traceback" not in err


def test_the_hint_fits_the_fault() -> None:
    def hint(code: int, path: str = "/x/y", cache: str | None = None) -> str:
        text = from_os_error(OSError(code, os.strerror(code), path), cache_root=cache).hint
        assert text is not None
        return text

    assert "Free some space on the disk holding /x/y" in hint(errno.ENOSPC)
    assert "bale cache prune" in hint(errno.ENOSPC, "/c/archive-v2/f", cache="/c")
    assert "bale cache prune" not in hint(errno.ENOSPC)
    assert "check its owner and permissions" in hint(errno.EACCES)
    assert "BALE_CACHE_DIR" in hint(errno.EACCES, "/c/simple-v1", cache="/c")
    assert "read-only filesystem" in hint(errno.EROFS)
    assert "file locks" in hint(errno.ENOLCK)
    # No path at all (a socket error): the message is the reason alone, still a user error.
    bare = from_os_error(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"))
    assert bare.message == "Connection reset by peer" and bare.code == 1
    assert bare.hint is not None and "--offline" in bare.hint
    renamed = from_os_error(OSError(errno.EXDEV, "Invalid cross-device link", "/a", None, "/b"))
    assert renamed.message == "Invalid cross-device link: /a -> /b"


def test_a_closed_stdout_stays_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bale.cli import commands
    from bale.cli.main import main

    def fail(*args: object) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(commands, "run", fail)
    assert main(["cache", "dir"]) == 1
    assert capsys.readouterr().err == ""


# -- real faults through the CLI ----------------------------------------------------------------------


def test_full_disk_while_installing_names_the_file_and_leaves_no_package(
    run_bale: BaleRunner,
    venv: Path,
    make_pkg: Callable[..., Path],
    find_links_dir: Callable[..., Path],
    inject: Injector,
) -> None:
    links = find_links_dir([make_pkg("demo", "1.0")])
    site = _site_packages(venv)
    before = _listing(site)
    result = run_bale(
        "pip", "install", "--no-index", "--find-links", links, "demo",
        virtual_env=venv, env=inject("ENOSPC", site),
    )  # fmt: skip
    _assert_user_error(result, "No space left on device: " + str(site), "Free some space on the disk holding")
    assert _listing(site) == before
    # The same command with space again works: nothing was left half-done in the cache either.
    again = run_bale("pip", "install", "--no-index", "--find-links", links, "demo", virtual_env=venv)
    assert again.code == 0, again
    assert (site / "demo" / "__init__.py").is_file()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_output_to_a_full_disk_is_a_user_error(run_bale: BaleRunner, tmp_path: Path) -> None:
    # A real ENOSPC, no injection: /dev/full refuses every write that way.
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "bale", "cache", "dir"],
            cwd=tmp_path,
            env=run_bale.env(),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    result = Result(("cache", "dir"), completed.returncode, "", completed.stderr)
    _assert_user_error(
        result, "error: No space left on device", "Free some space on the disk bale was writing to"
    )


def test_permission_denied_creating_an_environment(
    run_bale: BaleRunner, tmp_path: Path, inject: Injector
) -> None:
    parent = tmp_path / "shared"
    parent.mkdir()
    result = run_bale("venv", parent / "venv", env=inject("EACCES", parent))
    # The path named is the one refused: the venv itself or the folder it is staged in beside it.
    _assert_user_error(result, f"Permission denied: {parent}{os.sep}", "check its owner and permissions")
    assert list(parent.iterdir()) == []


def test_full_disk_in_the_cache_names_the_cache_and_suggests_pruning(
    run_bale: BaleRunner,
    venv: Path,
    make_pkg: Callable[..., Path],
    find_links_dir: Callable[..., Path],
    inject: Injector,
) -> None:
    links = find_links_dir([make_pkg("demo", "1.0")])
    result = run_bale(
        "pip", "install", "--no-index", "--find-links", links, "demo",
        virtual_env=venv, env=inject("ENOSPC", run_bale.cache_dir / ".tmp"),
    )  # fmt: skip
    _assert_user_error(
        result, "No space left on device: " + str(run_bale.cache_dir / ".tmp"), "bale cache prune"
    )
    assert not (_site_packages(venv) / "demo").exists()


def test_permission_denied_on_the_environment(
    run_bale: BaleRunner,
    venv: Path,
    make_pkg: Callable[..., Path],
    find_links_dir: Callable[..., Path],
    inject: Injector,
) -> None:
    links = find_links_dir([make_pkg("demo", "1.0")])
    site = _site_packages(venv)
    before = _listing(site)
    result = run_bale(
        "pip", "install", "--no-index", "--find-links", links, "demo",
        virtual_env=venv, env=inject("EACCES", site),
    )  # fmt: skip
    _assert_user_error(result, "Permission denied: " + str(site), "check its owner and permissions")
    assert _listing(site) == before


def test_permission_denied_on_the_cache(
    run_bale: BaleRunner,
    venv: Path,
    make_pkg: Callable[..., Path],
    find_links_dir: Callable[..., Path],
    inject: Injector,
) -> None:
    links = find_links_dir([make_pkg("demo", "1.0")])
    result = run_bale(
        "pip", "install", "--no-index", "--find-links", links, "demo",
        virtual_env=venv, env=inject("EACCES", run_bale.cache_dir),
    )  # fmt: skip
    _assert_user_error(result, "Permission denied: " + str(run_bale.cache_dir), "BALE_CACHE_DIR")
    assert not (_site_packages(venv) / "demo").exists()


def test_a_cache_dir_under_a_file_is_a_user_error(
    run_bale: BaleRunner,
    venv: Path,
    make_pkg: Callable[..., Path],
    find_links_dir: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # A real fault, no injection: BALE_CACHE_DIR below a regular file.
    (tmp_path / "plain-file").write_text("not a directory\n")
    cache = tmp_path / "plain-file" / "cache"
    links = find_links_dir([make_pkg("demo", "1.0")])
    result = run_bale(
        "pip", "install", "--no-index", "--find-links", links, "demo",
        virtual_env=venv, env={"BALE_CACHE_DIR": str(cache)},
    )  # fmt: skip
    _assert_user_error(result, f"Not a directory: {cache}", "Something else is in the way")


def test_no_file_locks_falls_back_with_one_warning(
    run_bale: BaleRunner,
    venv: Path,
    make_pkg: Callable[..., Path],
    find_links_dir: Callable[..., Path],
    inject: Injector,
) -> None:
    # NFS without lockd: flock and lockf both answer ENOLCK. bale warns and goes on unlocked.
    links = find_links_dir([make_pkg("demo", "1.0")])
    result = run_bale(
        "pip", "install", "--no-index", "--find-links", links, "demo",
        virtual_env=venv, env=inject("ENOLCK", Path(os.sep)),
    )  # fmt: skip
    assert result.code == 0, result
    warning = (
        f"warning: The filesystem holding {run_bale.cache_dir} does not support file locks "
        "(No locks available); continuing without locking, so do not run several bale commands on it at once"
    )
    assert result.stderr.count(warning) == 1, result
    assert (_site_packages(venv) / "demo" / "__init__.py").is_file()


def test_a_pyproject_that_is_not_utf8_names_the_line(run_bale: BaleRunner, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    text = '[project]\nname = "demo"\nversion = "1.0"\ndescription = "café"\n'
    (project / "pyproject.toml").write_bytes(text.encode("latin-1"))
    result = run_bale("lock", cwd=project)
    _assert_user_error(result, "Save the file as UTF-8")
    assert result.stderr.splitlines()[:3] == [
        f"error: {project / 'pyproject.toml'}:4:19: not valid UTF-8 (byte 0xe9 at offset 58)",
        '  description = "caf\N{REPLACEMENT CHARACTER}',
        "                    ^",
    ]
    assert not (project / "pylock.toml").exists()


def _latin1_wheel(dest: Path) -> Path:
    """A wheel whose METADATA (listed in RECORD with its true hash) has a Latin-1 byte."""
    pkg = Pkg("latin", "1.0")
    members = [
        (name, data + "Author: Jos\xe9\n".encode("latin-1") if name.endswith("/METADATA") else data)
        for name, data in wheel_members(pkg)
    ]
    record = f"{pkg.dist_info}/RECORD"
    members.append((record, _record_text(record, members)))
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / pkg.wheel_filename
    path.write_bytes(_zip_bytes(members))
    return path


def test_a_wheel_whose_metadata_is_not_utf8_is_refused(
    run_bale: BaleRunner, venv: Path, tmp_path: Path
) -> None:
    wheel = _latin1_wheel(tmp_path / "links")
    site = _site_packages(venv)
    before = _listing(site)
    result = run_bale("pip", "install", "--no-index", "--find-links", wheel.parent, "latin", virtual_env=venv)
    assert result.code == 1, result
    assert (
        f"warning: Skipping latin 1.0: {wheel.name} has invalid metadata: not valid UTF-8 at line 4, "
        "column 12 (byte 0xe9 at offset"
    ) in result.stderr, result
    assert "Traceback" not in result.stderr and "bug in bale" not in result.stderr
    assert _listing(site) == before


def test_installed_metadata_that_is_not_utf8_names_the_file(run_bale: BaleRunner, venv: Path) -> None:
    dist_info = _site_packages(venv) / "olde-1.0.dist-info"
    dist_info.mkdir()
    metadata = dist_info / "METADATA"
    metadata.write_bytes(
        "Metadata-Version: 2.1\nName: olde\nVersion: 1.0\nAuthor: Jos\xe9\n".encode("latin-1")
    )
    (dist_info / "RECORD").write_text("olde-1.0.dist-info/METADATA,,\n")
    # Listing reads only name and version: it works.
    listed = run_bale("pip", "list", virtual_env=venv)
    assert listed.code == 0 and "olde" in listed.stdout, listed
    # Reading the metadata (Requires-Dist may be among the undecodable fields) is a clear error.
    shown = run_bale("pip", "show", "olde", virtual_env=venv)
    _assert_user_error(shown, f"{metadata}:4:12: not valid UTF-8", "reinstall olde to repair it")


def test_a_corrupt_wheel_names_the_file(run_bale: BaleRunner, venv: Path, tmp_path: Path) -> None:
    links = tmp_path / "links"
    wheel = make_bad_wheel(links, "truncated")
    site = _site_packages(venv)
    before = _listing(site)
    result = run_bale("pip", "install", "--no-index", "--find-links", links, "evil", virtual_env=venv)
    _assert_user_error(result, wheel.name, f"file: {wheel}", "not a valid wheel")
    assert _listing(site) == before


def test_a_nul_byte_in_a_path_is_a_user_error(run_bale: BaleRunner, venv: Path, tmp_path: Path) -> None:
    # argv cannot carry a NUL; files can (a requirements file saved as UTF-16 is full of them).
    requirements = tmp_path / "requirements.txt"
    requirements.write_bytes(b"-r other\x00.txt\n")
    result = run_bale("pip", "install", "-r", requirements, virtual_env=venv)
    _assert_user_error(result, "A path contains a NUL byte", "UTF-16")


def test_injector_only_touches_its_directory(tmp_path: Path) -> None:
    # The fault injection is test machinery: check it fails inside and only inside its directory.
    namespace: dict[str, object] = {}
    saved = (builtins.open, os.open, os.link, os.mkdir)
    os.environ["BALE_TEST_FAULT"], os.environ["BALE_TEST_FAULT_UNDER"] = "ENOSPC", str(tmp_path / "full")
    try:
        exec(compile(textwrap.dedent(_INJECTOR), "sitecustomize", "exec"), namespace)
        (tmp_path / "full").mkdir()
        with pytest.raises(OSError) as caught:
            open(tmp_path / "full" / "x", "wb")  # noqa: SIM115
        assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path / "full" / "x")
        with open(tmp_path / "fine", "wb") as handle:
            handle.write(b"ok")
    finally:
        builtins.open, os.open, os.link, os.mkdir = saved
        import io

        io.open = saved[0]
        del os.environ["BALE_TEST_FAULT"], os.environ["BALE_TEST_FAULT_UNDER"]
