"""`python -m course.worker FD [--widgets]`: serve the grader on the socket FD until it says stop or goes away.

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

    # Every notebook talks to the model through openai's client, and a lesson that shows the course's widgets
    # imports ipywidgets (`--widgets`, autograder.boundary.warmup): imported before the worker says it is ready,
    # so a worker started ahead of its submission (autograder.boundary.warm) has them behind it (0.6 s of
    # CPU, 0.1 s of it the widgets), not the submission's clock.
    import openai  # noqa: F401

    if "--widgets" in sys.argv[2:]:
        import course.widgets  # noqa: F401

    _first_request()

    # Only now the lesson folder, as a kernel started there has it (its stage modules import): no file of the
    # learner's runs before the hello, not even one named like a module imported above.
    sys.path.insert(0, os.getcwd())
    from .loop import serve

    sys.exit(serve(int(sys.argv[1])))


def _first_request() -> None:
    """One request through openai's client to a scripted fake model, offering the shop's tools as the cells do: a
    new interpreter's first request builds what every later one reuses (30 ms), so a worker started ahead has it
    behind it too."""
    from course.llm import FakeModel, Reply, client, model_name, use_model
    from course.shop import tool_schemas

    with use_model(FakeModel.scripted(Reply.tool_call("get_order", {"order_id": 1042}))):
        client().chat.completions.create(model=model_name(), messages=[{"role": "user", "content": "Order 1042?"}],
                                         tools=tool_schemas())  # type: ignore[arg-type]  # plain dicts, as cells pass them


if __name__ == "__main__":
    main()
