"""Use cases shared by commands: each takes a settings value and does one user-level job."""
