"""`python -m course.worker FD`: serve the grader on the socket FD until it says stop or goes away."""

from __future__ import annotations

import sys

from .privileges import drop_privileges

__all__: list[str] = []

if __name__ == "__main__":
    drop_privileges()  # first: no learner code, and nothing else of the course, ever runs as root

    from .loop import serve

    sys.exit(serve(int(sys.argv[1])))
