"""The ``bale`` executable: a repeated resolution is replayed, anything else goes to ``cli.main``."""

from __future__ import annotations

import sys

# Only sys is imported at module level: this module runs first for every command, and ``typing`` and
# ``contextlib`` alone cost ~4 ms (``typing`` pulls in ``re``), a third of what ``bale --version`` may take.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

# argv that only asks for the version: answered before argparse (~2 ms), the replay check and cli.main
# (~15 ms of imports together) are loaded. The text is argparse's for ``-V``/``--version`` in cli.main.
_VERSION_ARGV = (["--version"], ["-V"])


def entry() -> None:
    try:
        code = _run(sys.argv[1:])
    except KeyboardInterrupt:
        _die_by_sigint()
    raise SystemExit(code)


def _run(argv: list[str]) -> int:
    if argv in _VERSION_ARGV:
        from bale import __version__

        sys.stdout.write(f"bale {__version__}\n")
        return _flushed(0)
    tune_gc()
    from bale.cli.replay import replay

    try:
        code = None
        if "venv" in argv[:3]:  # also after a global --cache-dir DIR
            from bale.cli.venv_replay import replay_venv

            code = replay_venv(argv)
        if code is None:
            code = replay(argv)
        if code is None and argv[:1] in (["pip"], ["sync"], ["run"]):
            from bale.cli.noop import replay_noop

            code = replay_noop(argv)
    except OSError as err:  # writing a replayed answer's file or output: a user error, as in main
        code = _failed(err)
    if code is None:
        from bale.cli.main import main

        code = main(argv)
    return _flushed(code)


# The cycle collector's thresholds for a command: (young, middle, old), CPython's default (700, 10, 10).
GC_THRESHOLDS = (100_000, 50, 100)


def tune_gc() -> None:
    """Collect cycles rarely: a command makes millions of objects, nearly all acyclic and alive until it
    ends (pages, metadata, the resolver's terms), which the default thresholds rescan again and again.

    A universal resolve of 525 packages after an edit spent 0.46 s of 2.2 s in 855 collections (6 full
    ones: 0.33 s), with these thresholds 0.08 s in 2; an edited resolve of an empty input spent 12 ms of
    ~100. The peak memory stays the same (54 MB): that garbage holds few cycles. Builds and ``bale run``
    run in their own processes, with the default.
    """
    import gc

    gc.set_threshold(*GC_THRESHOLDS)


def _flushed(code: int) -> int:
    """``code``, once the buffered output is written (or, when it cannot be, an error's code)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except OSError as err:  # the output redirected to a full disk: an error, never a traceback
        sys.stderr.write(f"error: Cannot write the output: {err.strerror or err}\n")
        sys.stderr.write("hint: Free some space on the disk the output goes to, then run again.\n")
        code = code or 1
    return code


def _die_by_sigint() -> NoReturn:
    """Ctrl-C: cancel the queued work, remove the temp files, then end by SIGINT itself.

    Dying by the signal (not ``exit 130``) is what lets a calling shell loop or ``make`` stop too
    (see https://www.cons.org/cracauer/sigint.html). The default handler also ends the process without
    joining worker threads, which a normal exit would wait for (a download blocked on a slow server).
    """
    import os
    import signal
    from contextlib import suppress

    try:
        from bale.cancel import cancel

        cancel()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        if hasattr(signal, "SIGINT") and os.name != "nt":
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            # raise() targets this thread, so the default action ends the process before it returns.
            signal.raise_signal(signal.SIGINT)
        os._exit(130)  # Windows, or SIGINT blocked: the shell convention for an interrupted command


def _failed(err: OSError) -> int:
    from bale.cli.os_errors import from_os_error
    from bale.cli.printer import Printer

    error = from_os_error(err)
    Printer().error(error)
    return error.code
