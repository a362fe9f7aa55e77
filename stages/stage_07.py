"""Stage 07 of the support agent: STAND-IN, a copy of the lead's spine (/work/dev/spine/stage_07.py),
so that lesson 08 runs until lesson 07 lands; at integration the generated stages/stage_07.py replaces it.

SPINE (draft reference) of lesson 07 — Contact humans with tool calls.

PUBLIC names are used by lesson 08: keep them. Asking a person is a typed intent (question, options,
urgency, channel); the answer is a typed value (lesson 06's Approval / CustomerReply) stored as that
call's one ToolResult. The approval card is one way to give that answer; answer_approval is the same
flow as a plain function call (nbconvert, tests, grading).
"""
from stage_06 import *  # noqa: F403

import ipywidgets as widgets

Urgency = Literal["low", "normal", "high"]  # PUBLIC


# ---- Exercise 7.1: the two ways to reach a person ---------------------------------------------
class RequestApproval(ToolInput):  # PUBLIC (replaces lesson 06's)
    """Ask a person to approve a refund above the approval limit; the agent waits for their answer."""
    order_id: int = Field(gt=0, description="The order number, e.g. 1057.")
    amount: float = Field(gt=0, description="The refund asked for, in US dollars.")
    reason: str = Field(min_length=1, description="Why the refund is due, for the person who decides.")
    question: str = Field(min_length=1, description="The question the person answers, e.g. 'Refund $899.00 on order 1057?'")
    options: list[Literal["approve", "reject"]] = Field(description="The answers the person may give.")
    urgency: Urgency = Field(description="How soon an answer is needed.")
    channel: Literal["approval_card", "email", "slack"] = Field(description="Where the request is shown.")


class AskCustomer(ToolInput):  # PUBLIC
    """Ask the customer a question (a missing order number, a detail) and wait for their reply."""
    question: str = Field(min_length=1, description="The question, as the customer will read it.")
    options: list[str] = Field(description="Suggested answers, if any (may be empty).")
    urgency: Urgency = Field(description="How soon an answer is needed.")
    channel: Literal["email", "chat"] = Field(description="Where the customer reads it.")


AGENT_INTENTS: dict[str, type[ToolInput]] = {**INTENTS, "request_approval": RequestApproval, "ask_customer": AskCustomer}


def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:  # PUBLIC (offers lesson 07's intents)
    """Start the agent on `ticket`; return the thread's id once it is done or waits for a person."""
    thread_id = new_thread(ticket)
    run_until_paused(thread_id, system_prompt(policy or current_shop().policy), intents=AGENT_INTENTS)
    return thread_id


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:  # PUBLIC
    """Continue a stored thread where it stopped; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy), intents=AGENT_INTENTS)


# ---- Exercise 7.2: the answer, as a function call ----------------------------------------------
def answer_approval(thread_id: str, approved: bool, comment: str = "", amount: float | None = None, by: str = "") -> str:  # PUBLIC
    """Answer the approval the thread waits for and resume it; return its status.

    A person may approve a lower amount (never a higher one, never zero) or reject with a comment the model reads.
    """
    pending = pending_request(load_thread(thread_id))
    if pending is None or pending[1].name != "request_approval":
        raise ResumeError(f"Thread {thread_id} is not waiting for an approval.")
    call_id, request = pending
    asked = RequestApproval.model_validate_json(request.arguments).amount
    if amount is not None and not 0 < amount <= asked:
        raise ValueError(f"Approve between $0.01 and the ${asked:.2f} asked for, not ${amount:.2f}.")
    return resume(thread_id, Approval(call_id=call_id, approved=approved, comment=comment, by=by,
                                      amount=None if amount == asked else amount))


# ---- Exercise 7.3: the approval card -----------------------------------------------------------
class ApprovalCard(widgets.VBox):  # PUBLIC
    """The paused refund as a card: order, amount, the question; Approve / Reject, a comment, an amount."""

    def __init__(self, thread_id: str) -> None:
        call_id, request = pending_request(load_thread(thread_id))
        asked = RequestApproval.model_validate_json(request.arguments)
        self.thread_id = thread_id
        self.amount = widgets.BoundedFloatText(value=asked.amount, min=0.01, max=asked.amount, description="Amount $")
        self.comment = widgets.Textarea(placeholder="A comment the agent will read")
        self.approve = widgets.Button(description="Approve", button_style="success")
        self.reject = widgets.Button(description="Reject", button_style="danger")
        self.status = widgets.HTML()
        self.approve.on_click(lambda _: self._answer(True))
        self.reject.on_click(lambda _: self._answer(False))
        header = widgets.HTML(f"<b>{asked.question}</b><br>Order {asked.order_id} · ${asked.amount:.2f} · {asked.urgency}"
                              f"<br><i>{asked.reason}</i>")
        super().__init__([header, self.amount, self.comment, widgets.HBox([self.approve, self.reject]), self.status])

    def _answer(self, approved: bool) -> None:
        status = answer_approval(self.thread_id, approved, self.comment.value, self.amount.value if approved else None)
        self.approve.disabled = self.reject.disabled = True
        self.status.value = f"Answered: the agent resumed and is now <b>{status}</b>."


def approval_card(thread_id: str) -> ApprovalCard:  # PUBLIC
    return ApprovalCard(thread_id)


__all__ = [name for name in dir() if not name.startswith("_")]  # stand-in: everything public
