"""Project files: pyproject.toml and setup.cfg as sources of requirements (projects proper come later)."""
