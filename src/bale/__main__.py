"""Run bale as ``python -m bale``."""

from bale.cli.entry import entry

entry()
