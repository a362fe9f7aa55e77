"""`python -m course.triggers send|serve`: see course.triggers.cli."""

from __future__ import annotations

import sys

from .cli import main

__all__: list[str] = []  # a program, not a library

if __name__ == "__main__":
    sys.exit(main())
