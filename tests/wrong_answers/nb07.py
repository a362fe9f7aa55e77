'''Wrong-but-plausible answers to lesson 07, contact humans with tool calls: solution-cell grade id -> replacement cell sources.

Each one is a whole solution cell, made from the solution with one slip (`_slip` checks the slip applies).
Each breaks a behaviour that a hidden test of its exercise checks, and the exercise's visible check fails on it too.
'''

from __future__ import annotations

from special_cases._cells import reference

# The reference answers, read from the lesson's source: one copy of each.
_INTENTS = reference(7, "human_intents")
_ANSWER = reference(7, "approval_answer")
_CARD = reference(7, "approval_card")


def _slip(source: str, old: str, new: str) -> str:
    """`source` with `old` replaced by `new` (which must be there: a slip that misses would be the solution)."""
    assert old in source, old
    return source.replace(old, new)


WRONG_ANSWERS: dict[str, list[str]] = {
    "human_intents": [
        # urgency as free text: a router cannot switch on "pretty urgent"
        _slip(_INTENTS, "    urgency: Urgency = Field(description=\"How soon an answer is needed.\")",
              "    urgency: str = Field(description=\"How soon an answer is needed: low, normal or high.\")"),
        # a vocabulary of its own for urgency ("medium"), not the course's Urgency
        _slip(_INTENTS, 'Urgency = Literal["low", "normal", "high"]', 'Urgency = Literal["low", "medium", "high"]'),
        # the approval's options as free text: "approve if under $500" is not an answer code can route
        _slip(_INTENTS, 'options: list[Literal["approve", "reject"]]', "options: list[str]"),
        # a default question: the schema no longer makes the model write one (and a strict endpoint refuses it)
        _slip(_INTENTS, "question: str = Field(min_length=1, description=\"The question the person answers",
              "question: str = Field(default=\"Approve this refund?\", description=\"The question the person answers"),
        # the new fields without descriptions: the model has to guess what goes in them
        _slip(_slip(_INTENTS, '    urgency: Urgency = Field(description="How soon an answer is needed.")\n    channel: Literal["approval_card", "email", "slack"] = Field(description="Where the request is shown.")',
                    '    urgency: Urgency\n    channel: Literal["approval_card", "email", "slack"]'),
              'options: list[Literal["approve", "reject"]] = Field(description="The answers the person may give.")',
              'options: list[Literal["approve", "reject"]]'),
        # the amount without gt=0: a request to approve a refund of -$899 validates
        _slip(_INTENTS, 'amount: float = Field(gt=0, description="The refund asked for',
              'amount: float = Field(description="The refund asked for'),
        # the customer reached on the team's Slack
        _slip(_INTENTS, 'channel: Literal["email", "chat"]', 'channel: Literal["email", "chat", "slack"]'),
        # ask_customer never offered: the agent cannot wait for the customer, so an unknown order ends the run
        _slip(_INTENTS, ', "ask_customer": AskCustomer}', "}"),
        # the two human intents and done, but not the shop's tools: the agent cannot look anything up
        _slip(_INTENTS, "{**INTENTS, ", '{"done": INTENTS["done"], '),
    ],
    "approval_answer": [
        # drops the lower amount: the person approves $500 and the agent refunds $899
        _slip(_ANSWER, "amount=None if amount == asked else amount)", "amount=None)"),
        # no upper bound: a person can approve more than was asked for
        _slip(_ANSWER, "not 0 < amount <= asked", "amount <= 0"),
        # strict upper bound: approving exactly the amount asked for is refused
        _slip(_ANSWER, "not 0 < amount <= asked", "not 0 < amount < asked"),
        # no lower bound: approving $0 (or less) is returned as an answer
        _slip(_ANSWER, "not 0 < amount <= asked", "amount > asked"),
        # the comment is lost: the model never reads why a person said no
        _slip(_ANSWER, "comment=comment, by=by", "by=by"),
        # stores the answer itself: the caller's resume then finds the call answered and refuses it
        _slip(_ANSWER, "    return Approval(call_id=call_id, approved=approved, comment=comment, by=by,\n"
                       "                    amount=None if amount == asked else amount)",
              "    answer = Approval(call_id=call_id, approved=approved, comment=comment, by=by,\n"
              "                      amount=None if amount == asked else amount)\n"
              "    record_answer(thread_id, answer)\n    return answer"),
        # resumes the thread itself, with lesson 07's resume, and returns its status: the caller cannot choose the loop
        _slip(_ANSWER, "    return Approval(call_id=call_id, approved=approved, comment=comment, by=by,\n"
                       "                    amount=None if amount == asked else amount)",
              "    return resume(thread_id, Approval(call_id=call_id, approved=approved, comment=comment, by=by,\n"
              "                                      amount=None if amount == asked else amount))"),
        # the answer names the wrong call (one past the request): lesson 06 refuses every answer
        _slip(_ANSWER, "call_id, request = pending", "request = pending[1]\n    call_id = len(load_thread(thread_id).events)  # the next position"),
        # the answer as a plain dict, not the typed Approval: resume cannot store it as the call's result
        _slip(_ANSWER, "    return Approval(call_id=call_id, approved=approved, comment=comment, by=by,\n"
                       "                    amount=None if amount == asked else amount)",
              "    return {\"call_id\": call_id, \"approved\": approved, \"comment\": comment, \"by\": by,\n"
              "            \"amount\": None if amount == asked else amount}"),
        # any pending call will do: an approval for a thread waiting for the customer is accepted
        _slip(_ANSWER, 'if pending is None or pending[1].name != "request_approval":', "if pending is None:"),
    ],
    "approval_card": [
        # Approve ignores the amount box: the person types $500 and the agent refunds $899
        _slip(_CARD, "self.amount.value if approved else None", "None"),
        # Reject wired to the approve answer (a copy-paste slip)
        _slip(_CARD, "self.reject.on_click(lambda _: self._answer(False))", "self.reject.on_click(lambda _: self._answer(True))"),
        # the comment box is shown but never sent
        _slip(_CARD, "approved, self.comment.value, self.amount", 'approved, "", self.amount'),
        # no guard: click() from code fires on a disabled button, so a second click answers again
        _slip(_CARD, "        if self.answered:\n            return\n", ""),
        # the header leaves out the amount: the person approves without seeing how much
        _slip(_CARD, 'f"${asked[\'amount\']:.2f} · {asked[\'urgency\']}', 'f"{asked[\'urgency\']}'),
        # a refusal is not caught: the click fails quietly and the card says nothing
        _slip(_CARD, "        try:\n            answer = approval_answer(self.thread_id, approved, self.comment.value, self.amount.value if approved else None)\n"
                     "            status = self.resume(self.thread_id, answer)\n"
                     "        except (ResumeError, ValueError) as error:\n            self.status.value = f\"Not sent: {html.escape(str(error))}\"\n            return\n",
              "        answer = approval_answer(self.thread_id, approved, self.comment.value, self.amount.value if approved else None)\n"
              "        status = self.resume(self.thread_id, answer)\n"),
        # only approval_answer's refusals are caught: a resume that refuses (answered elsewhere first) breaks the click
        _slip(_CARD, "            status = self.resume(self.thread_id, answer)\n        except (ResumeError, ValueError) as error:\n"
                     "            self.status.value = f\"Not sent: {html.escape(str(error))}\"\n            return\n",
              "        except (ResumeError, ValueError) as error:\n"
              "            self.status.value = f\"Not sent: {html.escape(str(error))}\"\n            return\n"
              "        status = self.resume(self.thread_id, answer)\n"),
        # ignores the resume it is given and calls the notebook's own: after lesson 08, a click skips the guarded loop
        _slip(_CARD, "status = self.resume(self.thread_id, answer)", "status = resume(self.thread_id, answer)"),
        # the buttons go off before the answer is accepted: after a refusal the person cannot try again
        _slip(_CARD, "        try:\n            answer = approval_answer(",
              "        self.answered = self.approve.disabled = self.reject.disabled = True\n        try:\n            answer = approval_answer("),
        # the status line is never filled in: the person cannot tell the click did anything
        _slip(_CARD, '        self.status.value = f"Answered: the agent resumed and is now <b>{status}</b>."\n', ""),
        # the status widget is made but left out of the card
        _slip(_CARD, "widgets.HBox([self.approve, self.reject]), self.status])", "widgets.HBox([self.approve, self.reject])])"),
    ],
}


# --- Mistakes learners made that once passed every check: each a small slip of the reference cell -----------

from special_cases._cells import slip

WRONG_ANSWERS["approval_answer"].append(
    # approving exactly the asked amount carries it, where None says "approved as asked"
    slip(7, "approval_answer", "amount=None if amount == asked else amount)", "amount=amount)"))
WRONG_ANSWERS["approval_card"] += [
    # the model's words shown as HTML: a reason with <img onerror=...> runs in the approver's browser
    slip(7, "approval_card", "html.escape(asked['question'])", "asked['question']").replace(
        "html.escape(asked['reason'])", "asked['reason']"),
    # the header leaves out the reason: the person approves without the why
    slip(7, "approval_card", "<br><i>{html.escape(asked['reason'])}</i>", ""),
]
