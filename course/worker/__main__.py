"""`python -m course.worker FD`: serve the grader on the socket FD until it says stop or goes away.

The grader starts it isolated (`python -I -c ...main()`, autograder.boundary.sandbox), so that the
folder the learner writes decides nothing about what runs before the privileges are dropped.
"""

from __future__ import annotations

import os
import sys

from .privileges import drop_privileges

__all__ = ["main"]


def main() -> None:
    drop_privileges()  # first: no learner code, and nothing else of the course, ever runs as root
    sys.path.insert(0, os.getcwd())  # now, as a kernel started in the lesson folder: its stage modules import

    # Every notebook talks to the model through openai's client, and most show the course's widgets: imported
    # before the worker says it is ready, so a worker started ahead of its submission (autograder.boundary.warm)
    # has them behind it (half a second of CPU, 0.05 s of it the widgets), not the submission's clock.
    import openai  # noqa: F401

    import course.widgets  # noqa: F401

    from .loop import serve

    sys.exit(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
