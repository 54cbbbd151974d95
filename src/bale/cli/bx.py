"""The ``bx`` executable: ``bx NAME ARGS`` is ``bale tool run NAME ARGS``."""

from __future__ import annotations

import sys


def bx() -> None:
    from bale.cli.entry import tune_gc

    tune_gc()
    from bale.cli.main import main

    raise SystemExit(main(["tool", "run", *sys.argv[1:]]))
