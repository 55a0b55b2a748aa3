"""The ``taperplan`` command line."""

from taperplan.cli.main import main

__all__ = ["main"]
