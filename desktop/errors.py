"""Exceptions that cross module boundaries."""


class UsageError(Exception):
    """Bad input from the user: printed as one line by the CLI, exit code 2."""
