"""`needs`: a given cell that runs the learner's exercises never breaks in code the learner did not write.

A demo cell calls the learner's functions and then uses what they return: unpacks it, indexes it,
prints it. When an exercise is unfinished, or subtly wrong (it returns None where a pair belongs),
the traceback would point into the given cell, and the learner would debug code that is not theirs.

    with needs("6.1", "6.3"):
        call_id, request = pending_request(load_thread(launch(ticket)))
        print(call_id, request.name)

prints what the cell printed so far and then one line: which exercise to finish, or which one to
look at and what went wrong, with the `check(...)` that says more. Nothing is hidden: the error's
type and message are in that line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["needs"]

_MAX = 160


@contextmanager
def needs(*exercises: str) -> Iterator[None]:
    """Run the block; if it raises, print which of `exercises` ("6.1", ...) it needs instead of a traceback."""
    if not exercises:
        raise ValueError('needs() takes the exercises the cell runs, e.g. needs("6.1", "6.3")')
    try:
        yield
    except NotImplementedError:
        print(f"This cell needs {_named(exercises)}: finish {'it' if len(exercises) == 1 else 'them'} first.")
    except Exception as error:  # whatever the learner's code raised, or a wrong value broke the cell's own code
        text = " ".join(str(error).split())
        text = text if len(text) <= _MAX else text[:_MAX - 1] + "…"
        checks = ", ".join(f'check("{exercise}")' for exercise in exercises)
        print(f"This cell needs {_named(exercises)}, and it stopped here with {type(error).__name__}"
              f"{': ' + text if text else ''}. {checks} {'says' if len(exercises) == 1 else 'say'} what is wrong.")


def _named(exercises: tuple[str, ...]) -> str:
    if len(exercises) == 1:
        return f"Exercise {exercises[0]}"
    return f"Exercises {', '.join(exercises[:-1])} and {exercises[-1]}"
