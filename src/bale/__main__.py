"""Run bale as ``python -m bale``."""

from bale.cli.main import entry

entry()
