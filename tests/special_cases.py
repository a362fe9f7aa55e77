"""Answers that implement nothing and special-case the public hidden tests' fixed inputs, per lesson.

The course is open source, so its hidden tests are public: an answer can be written to recognise
the inputs they used to use, and do the right thing only for those. Each entry here did score on
the tests' old fixed inputs; with inputs drawn from the grading seed (autograder.hidden, `rng`)
each must score what a blank scores on its exercise, under every seed
(tests/test_grading_special_cases.py).

`SPECIAL_CASES = {lesson number: {solution grade id: [sources]}}`, each source a whole solution cell.
"""

from __future__ import annotations

from wrong_answers.nb08 import _GUARD, _slip

__all__ = ["SPECIAL_CASES"]

SPECIAL_CASES: dict[int, dict[str, list[str]]] = {
    8: {
        "guard": [
            # the reference, but only for the orders the old tests used: anything else goes through unguarded
            _slip(_GUARD, "    if not isinstance(intent, IssueRefund):\n        return intent\n",
                  "    if not isinstance(intent, IssueRefund) or intent.order_id not in (1042, 1057, 1088):\n"
                  "        return intent\n"),
            # guarded only when the ticket names the order, as the old tests' tickets always did
            _slip(_GUARD, "    if not isinstance(intent, IssueRefund):\n        return intent\n",
                  "    if not isinstance(intent, IssueRefund) or str(intent.order_id) not in thread.ticket.render():\n"
                  "        return intent\n"),
        ],
    },
}
