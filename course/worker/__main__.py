"""`python -m course.worker FD`: serve the grader on the socket FD until it says stop or goes away."""

from __future__ import annotations

import sys

from .serve import serve

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1])))
