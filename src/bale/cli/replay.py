"""Replays a repeated ``bale pip compile`` or ``bale lock`` before anything heavy is imported.

An answer is decided by the command line, the local files the command read and the index pages it read
(the resolution memo, ``ops/memo.py``, keeps answers by the last two). When the same command runs again
and all three are unchanged, the stored answer is given back here, before argparse, ``packaging`` or the
resolver are imported: a warm repeat then costs little more than starting Python.

What must be unchanged, checked in this order:

- the command line, the ``BALE_*`` environment, the running interpreter and the contents of the
  bale.toml configuration files (the entry's key);
- the bytes of every input file, and that a file that was missing still is; a file the command
  rewrites (the output, the lock) may also hold the answer itself, which leads to the same answer;
- every index page's cache file, by identity (inode, mtime and size: page cache entries are replaced
  by rename, never edited), and that it is still fresh.

Entries are recorded only when the command says its answer rests on files and pages alone (see
``CompileOutcome.inputs``): no build, no standard input, no clock-relative cutoff, no interpreter search.
Kept as ``marshal`` data, the one serializer that costs no import.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
import zlib

from bale import __version__
from bale.envvars import env_flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from bale.cli.printer import Printer
    from bale.context import Context

_FORMAT = 1
_BUCKET = "replays-v1"
# A file the command reads: its path (relative to the working directory, or absolute) and the contents
# it may hold, None meaning "does not exist".
_File = tuple[str, tuple[bytes | None, ...]]
# A page cache file: path, mtime_ns, size, inode, fresh until (epoch seconds).
_Page = tuple[str, int, int, int, float]


def replayable(argv: Sequence[str]) -> bool:
    """Whether ``argv`` names a command whose answers are replayed."""
    return list(argv[:2]) == ["pip", "compile"] or list(argv[:1]) == ["lock"]


def command_key(argv: Sequence[str]) -> str:
    """What a kept answer of ``argv`` rests on besides files: the command line, the ``BALE_*``
    environment, the running bale and interpreter, the bale.toml files."""
    words = [public(word) for word in argv]
    return "\0".join(
        [
            str(_FORMAT),
            __version__,
            sys.executable,
            sys.version,
            *words,
            "\1",
            *public_environment(),
            "\1",
            *config_files(),
        ]
    )


def public_environment(also: Sequence[str] = ()) -> list[str]:
    """The ``BALE_*`` variables (and ``also``), sorted, without credentials: kept answers are stored
    on disk, and an answer never depends on them (a run they fail stores nothing), nor does the page
    cache that vouches for it."""
    return sorted(
        f"{name}={public(value)}"
        for name, value in os.environ.items()
        if (name.startswith("BALE_") and not name.endswith(("_PASSWORD", "_USERNAME", "_TOKEN")))
        or name in also
    )


def config_files() -> list[str]:
    """Each bale.toml the command may read, with its contents: editing one gives another key.

    Every candidate counts, not only those bale would read (a system file appearing before the one
    in force changes the answer too); ``--config-file`` and ``--no-config`` are never replayed.
    """
    from bale.project.config_keys import candidate_paths

    if env_flag("BALE_NO_CONFIG"):
        return []
    named = os.environ.get("BALE_CONFIG_FILE")
    user, system = candidate_paths(os.environ)
    paths = [named] if named else [path for path in (user, *system) if path]
    out: list[str] = []
    for path in paths:
        try:
            data = _read(path)
        except OSError:
            data = b"\0unreadable"
        out.append(f"{path}={'' if data is None else data.decode('utf-8', 'surrogateescape')}")
    return out


def public(word: str) -> str:
    """``word`` without the ``user:password@`` of a URL in it (``--index-url=https://u:p@host/simple``)."""
    head, sep, rest = word.partition("://")
    if not sep:
        return word
    netloc, slash, tail = rest.partition("/")
    return f"{head}{sep}{netloc.rpartition('@')[2]}{slash}{tail}" if "@" in netloc else word


def _entry_path(key: str, root: str) -> str:
    return os.path.join(root, _BUCKET, f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}")


def replay(argv: Sequence[str]) -> int | None:
    """Give back the stored answer of ``argv`` and return the exit status; None when there is none."""
    started = time.perf_counter()
    if not replayable(argv) or env_flag("BALE_NO_MEMO"):
        return None
    from bale.cache import default_root

    key = command_key(argv)
    try:
        with open(_entry_path(key, default_root()), "rb") as fh:
            fmt, stored_key, where, outside, files, pages, answer = marshal.load(fh)
        if fmt != _FORMAT or stored_key != key or not _here(where, outside):
            return None
        if not all(holds(path, contents) for path, contents in files) or not _fresh(pages):
            return None
    except (OSError, EOFError, ValueError, TypeError):
        return None  # no entry, or one from another version of bale
    return _answer(answer, started)


def _depth(directory: str) -> int:
    return len([part for part in directory.split(os.sep) if part])


def _here(where: str | int | None, outside: Sequence[str]) -> bool:
    """Whether the working directory is one the entry holds in (see ``Recorder._forms``)."""
    cwd = os.getcwd()
    if (isinstance(where, str) and where != cwd) or (isinstance(where, int) and where != _depth(cwd)):
        return False
    return not any(_under(path, cwd) for path in outside)


def _under(path: str, directory: str) -> bool:
    return not os.path.relpath(path, directory).startswith("..")


def _read(path: str) -> bytes | None:
    """``path``'s bytes; None when it does not exist (OSError when it cannot be read, or is no regular
    file: reading a FIFO would wait for a writer, and a device such as /dev/null holds no answer)."""
    try:
        # Before opening: opening a FIFO to read already waits for its writer.
        if os.stat(path).st_mode & 0o170000 != 0o100000:
            raise OSError(f"{path} is not a regular file")
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def holds(path: str, contents: tuple[bytes | None, ...]) -> bool:
    """Whether ``path`` holds one of ``contents`` (None: is missing); never for an unreadable path."""
    try:
        return _read(path) in contents
    except OSError:
        return False


def _fresh(pages: Sequence[_Page]) -> bool:
    now = time.time()
    for path, mtime_ns, size, inode, until in pages:
        if now >= until:
            return False
        try:
            status = os.stat(path)
        except OSError:
            return False
        if (status.st_mtime_ns, status.st_size, status.st_ino) != (mtime_ns, size, inode):
            return False
    return True


def _answer(answer: tuple[int, tuple[str, ...], str | None, str, int, bool], started: float) -> int:
    """Do what the command did: show its warnings, write its file, print its summary (and text)."""
    from bale.cli.printer import Printer

    verbosity, warnings, path, text, count, to_stdout = answer
    printer = Printer(verbosity)
    for warning in warnings:
        printer.warn(warning)
    if path is not None:
        data = text.encode("utf-8")
        if not holds(path, (data,)):
            from bale.fs.atomic import write_atomic

            write_atomic(path, data)
    show_resolved(printer, count, time.perf_counter() - started)
    if to_stdout:
        printer.out.write(text)
    return 0


def show_resolved(printer: Printer, count: int, seconds: float) -> None:
    """The summary line of a resolution, as ``bale pip compile`` and ``bale lock`` print it."""
    from bale.cli.printer import elapsed, plural

    printer.info(printer.dim(f"Resolved {plural(count, 'package')} in {elapsed(seconds)}"))


class Recorder:
    """Records one run of a replayable command; ``store`` keeps its answer when that is sound."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.started = time.time()
        self.cwd = os.getcwd()

    def snapshot(self, path: str) -> bytes | None:
        """``path``'s bytes before the command rewrites it (None if missing or unreadable)."""
        try:
            return _read(path)
        except OSError:
            return None

    def store(
        self,
        ctx: Context,
        printer: Printer,
        *,
        inputs: Sequence[str] | None,
        written: Mapping[str, bytes | None],
        anchored: bool,
        warnings: Sequence[str],
        text: str,
        count: int,
        to_stdout: bool,
    ) -> None:
        """Keep this run's answer, if sound (best effort: a failure only costs the next run its speed).

        ``inputs`` are the absolute paths the answer was computed from (None: not from files alone);
        ``written`` maps the file the command wrote its answer to (at most one) to its bytes before the
        run. ``anchored``: the command finds every input at a fixed place relative to the working
        directory (``bale lock``), so the answer holds wherever the same files are.
        """
        if inputs is None or printer.verbosity > 0 or env_flag("BALE_NO_MEMO"):
            return  # -v shows the resolver's work, which a replay would not
        from bale.cache import default_root

        root = default_root()
        if "cache" not in ctx.__dict__ or os.path.abspath(ctx.cache.root) != os.path.abspath(root):
            return  # --cache-dir or --no-cache: the replay would not look there
        pages = ctx.http.page_files() if "http" in ctx.__dict__ else []
        if pages is None:
            return
        files = self._files(inputs, written, text)
        if files is None:
            return
        forms, where, outside = self._forms([path for path, _ in files], anchored)
        target = forms[next(iter(written))] if written else None
        answer = (printer.verbosity, tuple(warnings), target, text, count, to_stdout)
        key = command_key(self.argv)
        entry = (
            _FORMAT,
            key,
            where,
            outside,
            tuple((forms[path], contents) for path, contents in files),
            tuple(tuple(page) for page in pages),
            answer,
        )
        from bale.fs.atomic import write_atomic

        path = _entry_path(key, root)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, marshal.dumps(entry))  # type: ignore[arg-type]
        except OSError:
            return

    def _files(
        self, inputs: Sequence[str], written: Mapping[str, bytes | None], text: str
    ) -> list[_File] | None:
        """Each input with the contents it may hold, or None when one cannot vouch for the answer."""
        answer = text.encode("utf-8")
        files: list[_File] = []
        for path in dict.fromkeys([*inputs, *written]):
            if path in written:
                # Before the run, or holding this very answer: its pins then lead to the same answer.
                files.append((path, tuple(dict.fromkeys([written[path], answer]))))
                continue
            try:
                with open(path, "rb") as fh:
                    if os.fstat(fh.fileno()).st_mtime >= self.started - 0.01:
                        return None  # changed while the command ran: which version did it read?
                    data: bytes | None = fh.read()
            except FileNotFoundError:
                data = None
            except OSError:
                return None
            if data is not None and b"${" in data:
                return None  # pip's ${VAR} expansion: the file's meaning depends on the environment
            files.append((path, (data,)))
        return files

    def _forms(
        self, paths: list[str], anchored: bool
    ) -> tuple[dict[str, str], str | int | None, tuple[str, ...]]:
        """How each path is written in the entry, and where the entry holds: in this directory only
        (its path), in any directory as deep as this one (its depth) or anywhere (None), and never in
        a directory that holds one of the ``outside`` files.

        ``anchored`` commands find every file at a fixed place relative to the working directory; the
        search for an enclosing workspace climbs to the root, hence the depth. Otherwise a file the
        command line names relative to (and inside) the working directory is kept relative, and one
        it names absolute (outside it: the output shows such a file's path relative to the working
        directory when it can) stays absolute. Any other file (one included by another, or named
        with ``..``) pins the entry to this directory, all paths absolute.
        """
        if anchored:
            return {path: os.path.relpath(path, self.cwd) for path in paths}, _depth(self.cwd), ()
        given_relative = {os.path.abspath(a) for a in self.argv if not os.path.isabs(a)}
        given_absolute = {a for a in self.argv if os.path.isabs(a)}
        forms: dict[str, str] = {}
        outside: list[str] = []
        for path in paths:
            inside = _under(path, self.cwd)
            if path in given_relative and path not in given_absolute and inside:
                forms[path] = os.path.relpath(path, self.cwd)
            elif path in given_absolute and path not in given_relative and not inside:
                forms[path] = path
                outside.append(path)
            else:
                return {p: p for p in paths}, self.cwd, ()
        return forms, None, tuple(outside)
