"""Tools: packages installed each in an environment of its own, with their executables on PATH."""
