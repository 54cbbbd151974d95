"""Other tools' project files (requirements, Pipfile, poetry, pdm, uv, conda) read into one neutral value."""
