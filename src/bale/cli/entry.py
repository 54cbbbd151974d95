"""The ``bale`` executable: a repeated resolution is replayed, anything else goes to ``cli.main``."""

from __future__ import annotations

import sys


def entry() -> None:
    argv = sys.argv[1:]
    from bale.cli.replay import replay

    try:
        code = replay(argv)
    except OSError as err:  # writing a replayed answer's file or output: a user error, as in main
        code = _failed(err)
    if code is None:
        from bale.cli.main import main

        code = main(argv)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except OSError as err:  # the output redirected to a full disk: an error, never a traceback
        sys.stderr.write(f"error: Cannot write the output: {err.strerror or err}\n")
        sys.stderr.write("hint: Free some space on the disk the output goes to, then run again.\n")
        code = code or 1
    raise SystemExit(code)


def _failed(err: OSError) -> int:
    from bale.cli.os_errors import from_os_error
    from bale.cli.printer import Printer

    error = from_os_error(err)
    Printer().error(error)
    return error.code
