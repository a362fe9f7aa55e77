"""Plain nbgrader's session: a hidden test's requests answered in the learner's own kernel.

There is no worker and no boundary here: the test runs beside the learner's code, against its
globals, and trusts it, as all in-kernel grading does (autograder.hidden's `hidden(...)` in a test
cell). The answers are made plain data all the same, as they would be over the channel, so a test
reads the same way on both paths.
"""

from __future__ import annotations

import json
from typing import Any

from autograder.boundary.sandbox import Sandbox

__all__ = ["LocalSession"]


class LocalSession:
    """The same requests answered in this process, over `namespace` (plain nbgrader: no sandbox, trusted)."""

    generation = 1
    sandbox = Sandbox("in-kernel", False, "plain nbgrader: the hidden tests run in the learner's kernel")

    def __init__(self, namespace: dict[str, Any]) -> None:
        from course.worker.serve import Worker

        self.on_callback: Any = None
        self._worker = Worker(None, namespace, grader=lambda question: self.on_callback(question))

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(json.dumps(self._worker.answer(message)))  # plain data, as over the channel
        return answer
