"""The ``bale`` executable: a repeated resolution is replayed, anything else goes to ``cli.main``."""

from __future__ import annotations

import sys


def entry() -> None:
    argv = sys.argv[1:]
    from bale.cli.replay import replay

    code = replay(argv)
    if code is None:
        from bale.cli.main import main

        code = main(argv)
    try:  # noqa: SIM105 (contextlib is an import this module avoids)
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    raise SystemExit(code)
