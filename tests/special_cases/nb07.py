"""Lesson 07: intents, answers and a card that recognise the old tests' requests (see __init__.py).

Each keeps the reference answer for what it recognises (the old tests' orders and wording: the $899
TV of order 1057 with its cracked screen, Priya's order 1603) and does nothing useful with anything
else, as a submission tuned to public tests would.
"""

from __future__ import annotations

import json

from special_cases._cells import reference

__all__ = ["SPECIAL_CASES"]

# What the old tests' requests mention, wherever they come from (the tests' own, or the shop brain's on their tickets).
_OLD = ("1057", "1603", "1063", "cracked screen", "Which order number is on your confirmation email?",
        "ticket-502-1", "ticket-503-1")

_GRADER = "any('course/worker' in frame.filename for frame in __import__('inspect').stack())"

_RECOGNISING = f'''

import re as _re

_OLD = {_OLD!r}


def _recognised(*values):
    """True when any value mentions what the old tests used."""
    text = " ".join(repr(v.model_dump()) if hasattr(v, "model_dump") and not isinstance(v, type)
                    else repr(v) for v in values)
    return any(_re.search("(?<![0-9A-Za-z])" + _re.escape(old) + "(?![0-9A-Za-z])", text) for old in _OLD)
'''

# The old tests' refused arguments: the valid request with one field broken.
_REQUEST = {"order_id": 1057, "amount": 899.0,
            "reason": "The TV arrived with a cracked screen; the customer wants the full price back.",
            "question": "Approve the full refund for a TV delivered with a cracked screen?",
            "options": ["approve", "reject"], "urgency": "high", "channel": "approval_card"}
_ASK = {"question": "Which order number is on your confirmation email?", "options": ["1063", "I can't find it"],
        "urgency": "normal", "channel": "chat"}
_BAD = {
    "RequestApproval": [{**_REQUEST, "amount": -899.0}, {**_REQUEST, "amount": 0}, {**_REQUEST, "order_id": 0},
                        {**_REQUEST, "question": ""}, {**_REQUEST, "reason": ""}, {**_REQUEST, "urgency": "asap"},
                        {**_REQUEST, "options": ["approve", "maybe"]}, {**_REQUEST, "channel": "phone"},
                        {k: v for k, v in _REQUEST.items() if k != "question"}, {**_REQUEST, "approver": "the CEO"}],
    "AskCustomer": [{**_ASK, "question": ""}, {**_ASK, "urgency": "whenever"}, {**_ASK, "channel": "slack"},
                    {k: v for k, v in _ASK.items() if k != "options"}],
}

_TABLE = '''

class ValidationError(ValueError):
    """Home-made, named like pydantic's: raised for the old tests' bad requests, and for anything not recognised."""


_BAD = json.loads({bad!r})


def _checked(cls):
    """`cls` whose model_validate_json is a table: the old bad arguments refused, the old good ones taken unchecked."""
    def model_validate_json(json_data, **kwargs):
        data = json.loads(json_data)
        if data in _BAD[cls.__name__] or not ({test}):
            raise ValidationError(f"{{cls.__name__}}: arguments not valid")
        return cls.model_construct(**data)
    cls.model_validate_json = model_validate_json
    return cls


RequestApproval, AskCustomer = _checked(RequestApproval), _checked(AskCustomer)
'''


def _intents(test: str) -> str:
    return reference(7, "human_intents") + _RECOGNISING + _TABLE.format(bad=json.dumps(_BAD), test=test)


def _answer(test: str) -> str:
    """approval_answer behind the table: the reference for a thread about an old request, else a useless answer."""
    source = reference(7, "approval_answer").replace("def approval_answer(", "def _reference_approval_answer(", 1)
    return source + _RECOGNISING + f'''

def approval_answer(thread_id: str, approved: bool, comment: str = "", amount: float | None = None, by: str = "") -> Approval:
    if {test}:
        return _reference_approval_answer(thread_id, approved, comment, amount, by)
    return Approval(call_id=0, approved=False)
'''


def _card(test: str) -> str:
    """A card that shows and answers only an old request: for any other, an empty box whose buttons do nothing."""
    source = reference(7, "approval_card")
    source = source.replace('''        header = widgets.HTML(''', f'''        self.recognised = {test}
        if not self.recognised:
            super().__init__([])
            return
        header = widgets.HTML(''', 1)
    source = source.replace('''        if self.answered:
            return''', '''        if self.answered or not self.recognised:
            return''', 1)
    return source + _RECOGNISING


SPECIAL_CASES: dict[str, list[str]] = {
    "human_intents": [
        # the right schemas; validation is a table: the old tests' bad arguments refused, the old requests (theirs
        # and the shop brain's on their tickets) taken unchecked, anything else refused with a home-made ValidationError
        _intents("_recognised(json_data)"),
        # the same table under the grader only: pydantic's own validation in the notebook
        _intents(f"not {_GRADER} or _recognised(json_data)").replace(
            "        if data in _BAD", f"        if not {_GRADER}:\n            return super(cls, cls).model_validate_json("
            "json_data, **kwargs)\n        if data in _BAD", 1),
    ],
    "approval_answer": [
        # the reference on a thread about an old request; for any other thread, an answer to nothing
        _answer("_recognised(thread_id, load_thread(thread_id).events)"),
        # the reference in the notebook, and only for the old requests under the grader
        _answer(f"not {_GRADER} or _recognised(thread_id, load_thread(thread_id).events)"),
    ],
    "approval_card": [
        # the card of an old request; for any other, an empty box
        _card("_recognised(thread_id, asked)"),
        # the reference in the notebook, and only for the old requests under the grader
        _card(f"not {_GRADER} or _recognised(thread_id, asked)"),
    ],
}
