"""The command line: argument parsing, settings, printing; the work happens in ``bale.ops``."""
