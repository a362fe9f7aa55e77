"""Stage 06 of the support agent: STAND-IN, a copy of the lead's spine (/work/dev/spine/stage_06.py),
so that lesson 08 runs until lesson 06 lands; at integration the generated stages/stage_06.py replaces it.

SPINE (draft reference) of lesson 06 — Launch, pause, resume.

Lesson 06 turns these into export cells. PUBLIC names are used by lessons 07-08: keep them.
UPDATED 00:05: record_answer refuses (ResumeError) an answer to a waiting call with no entry in ANSWERS_TO
(lesson 08's "escalate").
Design: asking a person is a tool call like any other (ToolRequested "request_approval"); the agent
pauses right after storing it (status "waiting", derived by lesson 05's status_of); the person's answer
comes back through resume() and is stored as that call's one ToolResult. Call ids are event positions
(seq): the answer names the request it answers, so a duplicate or stray answer is refused.
"""
from stage_05 import *  # noqa: F403


# ---- given: a way for the model to ask for approval (export) -------------------------------------
class RequestApproval(ToolInput):  # PUBLIC (lesson 07 makes it richer)
    """Ask a person to approve a refund above the approval limit, and wait for their answer."""
    order_id: int = Field(gt=0, description="The order number, e.g. 1057.")
    amount: float = Field(gt=0, description="The refund asked for, in US dollars.")
    reason: str = Field(min_length=1, description="Why the refund is due, for the person who decides.")


AGENT_INTENTS: dict[str, type[ToolInput]] = {**INTENTS, "request_approval": RequestApproval}  # PUBLIC


class Approval(BaseModel):  # PUBLIC: a person's answer to a request_approval call
    """A person's decision on the refund the agent asked about."""
    call_id: int = Field(description="The request it answers: the position of its ToolRequested in the thread.")
    approved: bool
    comment: str = ""
    by: str = ""
    amount: float | None = Field(default=None, description="A lower amount the person approves instead (lesson 07).")


class CustomerReply(BaseModel):  # PUBLIC: the customer's answer to an ask_customer call (lesson 07 offers it)
    """What the customer wrote back."""
    call_id: int
    body: str


Answer = Approval | CustomerReply  # PUBLIC
ANSWERS_TO: dict[str, type[BaseModel]] = {"request_approval": Approval, "ask_customer": CustomerReply}  # PUBLIC


class ResumeError(ValueError):  # PUBLIC
    """The thread cannot take this answer now: it waits for something else, or for nothing."""


def pending_request(thread: Thread) -> tuple[int, ToolRequested] | None:  # PUBLIC
    """The call the thread waits on, with its call id (its position), or None if it waits for nobody."""
    if status_of(thread) not in ("waiting", "interrupted"):
        return None
    return len(thread.events) - 1, thread.events[-1]


# ---- Exercise 6.1: run until something must wait ---------------------------------------------------
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:  # PUBLIC
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first re-runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if isinstance(intent, Done):
            append_event(thread_id, Finished(summary=intent.summary))
            return "done"
        name = intent_name(intent, intents)
        append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
        if name not in HUMAN_TOOLS:  # asking a person: stop here, between choosing the call and its result
            act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))


# ---- Exercise 6.2: launch ------------------------------------------------------------------------
def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:  # PUBLIC
    """Start the agent on `ticket`; return the thread's id once it is done or waits for a person."""
    thread_id = new_thread(ticket)
    run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    return thread_id


# ---- Exercise 6.3: record an answer, resume -------------------------------------------------------
def record_answer(thread_id: str, answer: Answer | None) -> None:  # PUBLIC
    """Store a person's answer as the one result of the call the thread waits on, or refuse it.

    A waiting thread needs the answer to its request (same call id, the right kind: Approval for
    request_approval, CustomerReply for ask_customer); anything else is refused with ResumeError and changes
    nothing: a duplicate answer, an answer to another request, a customer writing while a person decides (the
    rule: refused; the caller keeps it and sends it once the thread asks). A thread that waits for nobody
    takes no answer.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:  # an escalation (lesson 08): a person takes the thread over; no answer resumes it
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for an answer ({expected.__name__}) to call {call_id}, {request.name}.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for a {expected.__name__} to call {call_id} ({request.name}); "
                              f"got a {type(answer).__name__} for call {answer.call_id}. Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:  # PUBLIC
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))


__all__ = [name for name in dir() if not name.startswith("_")]  # stand-in: everything public
