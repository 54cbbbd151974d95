"""Resolutions written down: requirements.txt output now, pylock.toml (PEP 751) with projects."""
