"""Installing unpacked wheels into an environment, seeing what is installed, and uninstalling it."""
