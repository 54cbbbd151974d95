"""Python interpreters: find them, ask them about themselves, and make virtual environments from them."""
