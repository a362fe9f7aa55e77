"""Visible checks of lesson 07, contact humans with tool calls: `check("7.1")` … `check("7.3")`.

Cheap, public and worth no points; the hidden tests carry the points. Each check uses a fresh shop
and its own fake model. Most use Maya's mug (`damaged_item`, \\$18.50) in a shop whose approval limit
is \\$5, so that it needs a person too. The checks of 7.2 pause a thread themselves, read the
answer `approval_answer` returns and resume it with lesson 06's `resume`; those of 7.3 click the card
with a simple `approval_answer` of their own (the notebook's is put back afterwards) and a `resume`
that records what the card gives it, so each exercise is judged on its own; the last check of 7.1
and of 7.3 run the whole agent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from course.brain import shop_brain
from course.grading import visible
from course.llm import FakeModel, use_model
from course.llm.validate import strict_schema_problem
from course.shop import SCENARIOS, Shop, ShopPolicy, use_shop

_MUG = SCENARIOS["damaged_item"]
_UNKNOWN = SCENARIOS["unknown_order"]
_STRICT = ShopPolicy.load().model_copy(update={"approval_limit": 5.0})
_ASKED = {"order_id": 1042, "amount": 18.5, "reason": "The speckled mug arrived in pieces.",
          "question": "Refund a mug broken in transit?", "options": ["approve", "reject"],
          "urgency": "normal", "channel": "email"}


@contextmanager
def _world(model: FakeModel | None = None) -> Iterator[tuple[Shop, FakeModel]]:
    model = model or FakeModel(shop_brain)
    with Shop.create(policy=_STRICT) as db, use_shop(db), use_model(model):
        yield db, model


def _given(ns, name):
    assert name in ns, f"`{name}` is not defined: run the cells above, from the top."
    return ns[name]


def _mine(ns, name: str):
    """The learner's class, not lesson 06's one of the same name (still there until the 7.1 cell runs)."""
    cls = _given(ns, name)
    stage = ns.get("stage_06")
    if stage is not None and getattr(stage, name, None) is cls:
        raise NotImplementedError(f"{name} is still lesson 06's")
    return cls


def _refunds(db: Shop, order_id: int) -> list[float]:
    return [c / 100 for (c,) in db.conn.execute("SELECT amount_cents FROM refunds WHERE order_id = ?", (order_id,))]


def _stored(ns, thread_id: str) -> list[dict[str, Any]]:
    return json.loads(_given(ns, "load_thread")(thread_id).model_dump_json())["events"]


def _pause(ns, human: str = "request_approval", asked: dict[str, Any] | None = None) -> str:
    """A stored thread waiting on a person (the mug's refund, or Priya's unknown order)."""
    ticket = _MUG.ticket if human == "request_approval" else _UNKNOWN.ticket
    INTENTS, ToolRequested = _given(ns, "INTENTS"), _given(ns, "ToolRequested")
    thread_id = _given(ns, "new_thread")(ticket)
    steps = [("get_order", {"order_id": 1042}), ("check_refund_policy", {"order_id": 1042, "amount": 18.5})]
    for name, arguments in steps if human == "request_approval" else [("get_order", {"order_id": 1603})]:
        _given(ns, "append_event")(thread_id, ToolRequested(name=name, arguments=json.dumps(arguments)))
        _given(ns, "act")(thread_id, INTENTS[name](**arguments), ticket)
    asked = asked or (_ASKED if human == "request_approval" else {"question": "Which order number?", "options": [],
                                                                  "urgency": "low", "channel": "chat"})
    _given(ns, "append_event")(thread_id, ToolRequested(name=human, arguments=json.dumps(asked)))
    return thread_id


@contextmanager
def _replaced(ns, **functions: Any) -> Iterator[None]:
    saved = {name: ns[name] for name in functions if name in ns}
    ns.update(functions)
    try:
        yield
    finally:
        ns.update(saved)


def _one_result_each(events: list[dict[str, Any]]) -> str | None:
    for i, event in enumerate(events[:-1]):
        if event["kind"] == "tool_call":
            after = events[i + 1:i + 3]
            if after[0]["kind"] not in ("tool_result", "tool_error") or after[0].get("name") != event["name"]:
                return f"the {event['name']} call at position {i} is followed by a {after[0]['kind']}, not its result"
            if len(after) > 1 and after[1]["kind"] in ("tool_result", "tool_error"):
                return f"the {event['name']} call at position {i} has two results"
    return None


# --- 7.1 the two intents -----------------------------------------------------------------------

def _enum(schema: dict[str, Any], spec: dict[str, Any]) -> list[Any] | None:
    ref = spec.get("$ref")
    if ref:
        spec = schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
    return sorted(spec["enum"]) if "enum" in spec else ([spec["const"]] if "const" in spec else None)


def _fields_ok(cls, fields: list[str]) -> dict[str, Any]:
    schema = cls.model_json_schema()
    props = schema.get("properties", {})
    assert list(props) == fields, f"{cls.__name__} has the fields {list(props)}, not {fields}"
    optional = [f for f in fields if f not in schema.get("required", [])]
    assert not optional, f"{cls.__name__}.{optional[0]} has a default: the model must fill every field"
    bare = [f for f in fields if not props[f].get("description")]
    assert not bare, f"{cls.__name__}.{bare[0]} has no description"
    assert (cls.__doc__ or "").strip(), f"{cls.__name__} has no docstring: it becomes the tool's description"
    problem = strict_schema_problem(schema)
    assert problem is None, f"a strict tool endpoint would refuse {cls.__name__}'s schema: {problem}"
    return schema


@visible("7.1", hint="Seven fields, in the table's order, each `name: type = Field(..., description=...)` with no default.")
def request_approval_has_its_fields(RequestApproval, ns):
    _fields_ok(_mine(ns, "RequestApproval"), ["order_id", "amount", "reason", "question", "options", "urgency", "channel"])


@visible("7.1", hint="Four fields: question, options, urgency, channel; each described, none with a default.")
def ask_customer_has_its_fields(ns):
    _fields_ok(_given(ns, "AskCustomer"), ["question", "options", "urgency", "channel"])


@visible("7.1", hint="Closed sets are Literal[...] types: urgency is Urgency, channel a Literal, "
                     "RequestApproval.options a list of Literal['approve', 'reject'].")
def closed_sets_are_literals(RequestApproval, ns):
    RequestApproval, AskCustomer = _mine(ns, "RequestApproval"), _given(ns, "AskCustomer")
    for cls, channels in [(RequestApproval, ["approval_card", "email", "slack"]), (AskCustomer, ["chat", "email"])]:
        schema = cls.model_json_schema()
        props = schema["properties"]
        urgency, channel = _enum(schema, props["urgency"]), _enum(schema, props["channel"])
        assert urgency == ["high", "low", "normal"], f"{cls.__name__}.urgency accepts {urgency or 'any text'}"
        assert channel == channels, f"{cls.__name__}.channel accepts {channel or 'any text'}, not {channels}"
    schema = RequestApproval.model_json_schema()
    items = _enum(schema, schema["properties"]["options"].get("items", {}))
    assert items == ["approve", "reject"], f"RequestApproval.options items may be {items or 'any text'}"


@visible("7.1", hint="Field(gt=0) for numbers that must be positive, Field(min_length=1) for text that must not be empty.")
def bad_values_are_refused(RequestApproval, ns):
    RequestApproval, AskCustomer = _mine(ns, "RequestApproval"), _given(ns, "AskCustomer")
    good = RequestApproval(**_ASKED)
    assert good.amount == 18.5 and good.options == ["approve", "reject"], f"a valid request became {good!r}"
    why = {"amount": "Field(gt=0)", "order_id": "Field(gt=0)", "question": "Field(min_length=1)",
           "reason": "Field(min_length=1)", "urgency": "the type Urgency, a Literal, not str",
           "channel": "a Literal of the channels, not str"}
    bad = [("amount=-18.5", {"amount": -18.5}), ("order_id=-1", {"order_id": -1}), ("question=''", {"question": ""}),
           ("reason=''", {"reason": ""}), ("urgency='urgent'", {"urgency": "urgent"}), ("channel='sms'", {"channel": "sms"})]
    for what, change in bad:
        try:
            RequestApproval(**{**_ASKED, **change})
        except ValueError:
            continue
        raise AssertionError(f"RequestApproval accepted {what}: give {next(iter(change))} {why[next(iter(change))]}")
    try:
        AskCustomer(question="", options=[], urgency="low", channel="chat")
    except ValueError:
        return
    raise AssertionError("AskCustomer accepted an empty question")


@visible("7.1", hint="AGENT_INTENTS = {**INTENTS, 'request_approval': RequestApproval, 'ask_customer': AskCustomer}.")
def the_agent_can_reach_a_person(RequestApproval, ns):
    AGENT_INTENTS, INTENTS = _given(ns, "AGENT_INTENTS"), _given(ns, "INTENTS")
    missing = [n for n in [*INTENTS, "request_approval", "ask_customer"] if n not in AGENT_INTENTS]
    assert not missing, f"AGENT_INTENTS has no {', '.join(missing)}"
    assert AGENT_INTENTS["request_approval"] is _mine(ns, "RequestApproval"), "AGENT_INTENTS['request_approval'] is not your RequestApproval"
    assert AGENT_INTENTS["ask_customer"] is _given(ns, "AskCustomer"), "AGENT_INTENTS['ask_customer'] is not your AskCustomer"
    with _world() as (db, _model):  # Maya's $18.50 needs approval in a shop whose limit is $5
        events = _stored(ns, _given(ns, "launch")(_MUG.ticket))
        refunded = _refunds(db, 1042)
    assert not refunded, f"with a $5 approval limit, the mug was refunded {refunded} without a person"
    assert events[-1].get("name") == "request_approval", f"the thread ends with {events[-1]['kind']} {events[-1].get('name', '')}"
    asked = json.loads(events[-1]["arguments"])
    assert (asked["order_id"], asked["amount"]) == (1042, 18.5), f"the request carries {asked}"


@visible("7.1", hint="Offer ask_customer in AGENT_INTENTS: the model asks, the thread waits, the reply resumes it.")
def the_customer_is_asked_and_the_agent_goes_on(ns):
    with Shop.create() as db, use_shop(db), use_model(FakeModel(shop_brain)):
        thread_id = _given(ns, "launch")(_UNKNOWN.ticket)
        events = _stored(ns, thread_id)
        assert events[-1].get("name") == "ask_customer", f"on order 1603 the thread ends with {events[-1]['kind']} {events[-1].get('name', '')}"
        reply = _given(ns, "CustomerReply")(call_id=len(events) - 1, body="Apologies, it is order 1063.")
        status = _given(ns, "resume")(thread_id, reply)
        refunded = _refunds(db, 1063)
    assert status == "done" and refunded == [39.0], f"after the reply the status is {status!r} and order 1063 was refunded {refunded}"


# --- 7.2 approval_answer -----------------------------------------------------------------------

@contextmanager
def _paused(ns, human: str = "request_approval") -> Iterator[tuple[Shop, FakeModel, str]]:
    with _world() as (db, model):
        yield db, model, _pause(ns, human)


def _resumed(ns, thread_id: str, answer: Any) -> str:
    """Resume with lesson 06's `resume` (its intents, not your AGENT_INTENTS), as a caller of approval_answer does."""
    return _given(ns, "stage_06").resume(thread_id, answer)


def _answer(approval_answer, ns, thread_id: str, *args: Any, **kwargs: Any) -> Any:
    """approval_answer's answer, checked to be an Approval that stored nothing."""
    before = _stored(ns, thread_id)
    answer = approval_answer(thread_id, *args, **kwargs)
    assert isinstance(answer, _given(ns, "Approval")), f"approval_answer returned {answer!r}, not the Approval to resume with"
    assert _stored(ns, thread_id) == before, "approval_answer changed the stored thread: return the answer, the caller resumes"
    return answer


@visible("7.2", hint="Return Approval(call_id=..., approved=..., comment=..., by=..., amount=...); call_id is the request's "
                     "position; store nothing (no record_answer, no resume): the caller resumes.")
def an_approval_refunds_once(approval_answer, ns):
    with _paused(ns) as (db, _, thread_id):
        answer = _answer(approval_answer, ns, thread_id, True, "OK", by="Ada")
        want = (len(_stored(ns, thread_id)) - 1, True, "OK", "Ada")
        assert (answer.call_id, answer.approved, answer.comment, answer.by) == want, \
            f"approval_answer returned {answer!r}: call_id, approved, comment and by should be {want}"
        status = _resumed(ns, thread_id, answer)
        assert status == "done", f"resuming with your answer left the thread {status!r}"
        assert _refunds(db, 1042) == [18.5], f"after an approval the refunds on order 1042 are {_refunds(db, 1042)}"
        try:
            approval_answer(thread_id, True)
        except ValueError:
            return
        raise AssertionError("a second approval of the same request was accepted")


@visible("7.2", hint="Put the lower amount in the Approval; None when the person gave none or the one asked for.")
def a_lower_amount_is_what_is_refunded(approval_answer, ns):
    for amount in (12.0, 18.5):
        with _paused(ns) as (db, _, thread_id):
            answer = _answer(approval_answer, ns, thread_id, True, amount=amount)
            _resumed(ns, thread_id, answer)
            refunds = _refunds(db, 1042)
        assert refunds == [amount], f"after approving ${amount:.2f} of $18.50 ({answer!r}) the refunds are {refunds}"
        if amount == 18.5:
            assert answer.amount is None, (
                f"approving exactly the $18.50 asked for gave {answer!r}: amount=None says the request was approved as "
                "it stood, which is what the person did")


@visible("7.2", hint="A rejection is an Approval with approved=False and the comment: the model reads it and writes to the customer.")
def a_rejection_is_read_by_the_model(approval_answer, ns):
    with _paused(ns) as (db, model, thread_id):
        status = _resumed(ns, thread_id, _answer(approval_answer, ns, thread_id, False, "Ask her to send a photo first."))
        seen = " ".join(request.text() for request in model.transcript.requests)
        told = db.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        assert status == "done" and not _refunds(db, 1042), f"after a rejection: status {status!r}, refunds {_refunds(db, 1042)}"
        assert told, "after a rejection the customer was told nothing"
        assert "send a photo" in seen, "the rejection's comment never reached the model"
    with _paused(ns) as (db, _, thread_id):
        status = _resumed(ns, thread_id, _answer(approval_answer, ns, thread_id, False, "Offer $8 instead."))
        asked = json.loads(_stored(ns, thread_id)[-1].get("arguments") or "{}").get("amount")
        assert (status, asked) == ("waiting", 8.0), f"after 'offer $8 instead' the thread is {status!r}, asking for {asked!r}"


@visible("7.2", hint="Check first: 0 < amount <= the amount asked (ValueError), and a pending request_approval (ResumeError).")
def bad_answers_are_refused(approval_answer, ns):
    with _paused(ns) as (db, _, thread_id):
        before = _stored(ns, thread_id)
        for amount in (20.0, 0.0, -5.0):
            try:
                approval_answer(thread_id, True, "", amount)
            except ValueError:
                assert _stored(ns, thread_id) == before and not _refunds(db, 1042), \
                    f"approving ${amount:.2f} raised, but the thread or the refunds changed"
                continue
            raise AssertionError(f"approving ${amount:.2f} of $18.50 was accepted")
    with _paused(ns, "ask_customer") as (_db, _, thread_id):
        try:
            approval_answer(thread_id, True)
        except ValueError:
            return
        raise AssertionError("an approval for a thread waiting for the customer was accepted")


@visible("7.2", hint="Return the answer; resume (lesson 06's record_answer) stores it as the request's one ToolResult: "
                     "add no events yourself.")
def every_call_has_one_result(approval_answer, ns):
    for approved, comment, amount in [(True, "Yes.", 9.5), (False, "No.", None)]:
        with _paused(ns) as (_, _model, thread_id):
            call_id = len(_stored(ns, thread_id)) - 1
            _resumed(ns, thread_id, _answer(approval_answer, ns, thread_id, approved, comment, amount))
            events = _stored(ns, thread_id)
        problem = _one_result_each(events)
        assert problem is None, f"after answering approved={approved}: {problem}"
        answer = json.loads(events[call_id + 1].get("result") or "{}")
        assert (answer.get("approved"), answer.get("comment")) == (approved, comment), f"the request's result is {answer}"


# --- 7.3 the approval card ---------------------------------------------------------------------

def _shown(widget) -> str:
    text = " ".join(str(getattr(widget, name, "") or "") for name in ("value", "description"))
    return text + " " + " ".join(_shown(child) for child in getattr(widget, "children", ()))


def _inside(widget) -> list[Any]:
    return [widget, *(w for child in getattr(widget, "children", ()) for w in _inside(child))]


class _Answers:
    """A simple approval_answer: records what the card asks, returns an Approval (or refuses)."""

    def __init__(self, ns, refuse: Exception | None = None):
        self.Approval, self.load_thread, self.refuse = _given(ns, "Approval"), _given(ns, "load_thread"), refuse
        self.calls: list[tuple[Any, ...]] = []
        self.given: list[Any] = []

    def __call__(self, thread_id, approved, comment="", amount=None, by=""):
        self.calls.append((thread_id, approved, comment, amount))
        if self.refuse is not None:
            raise self.refuse
        call_id = len(self.load_thread(thread_id).events) - 1
        self.given.append(self.Approval(call_id=call_id, approved=approved, comment=comment, amount=amount))
        return self.given[-1]


class _Resumes:
    """The resume a card is given: records what it is called with, returns 'done' (or refuses)."""

    def __init__(self, refuse: Exception | None = None):
        self.calls: list[tuple[Any, ...]] = []
        self.refuse = refuse

    def __call__(self, thread_id, answer=None, policy=None):
        self.calls.append((thread_id, answer))
        if self.refuse is not None:
            raise self.refuse
        return "done"


@visible("7.3", hint="The header: widgets.HTML with the question, 'Order 1042', '$18.50' and the reason; then "
                     "super().__init__([header, amount, comment, HBox([approve, reject]), status]).")
def the_card_shows_the_request(approval_card, ns):
    with _world(FakeModel.scripted()):
        card = approval_card(_pause(ns), _Resumes())
    shown = _shown(card)
    for what, text in [("question", _ASKED["question"]), ("order", "1042"), ("amount", "18.50"), ("reason", _ASKED["reason"])]:
        assert text in shown, f"the card does not show the {what} ({text!r}): the person decides on all of it"
    sly = {**_ASKED, "reason": 'Cracked <img src=x onerror="alert(1)"> mug', "question": "Refund <b>now</b>?"}
    with _world(FakeModel.scripted()):
        shown = _shown(approval_card(_pause(ns, asked=sly), _Resumes()))
    assert "<img" not in shown and "<b>now" not in shown and "&lt;img" in shown, (
        "the card shows the model's words as HTML: a reason holding <img onerror=...> would run in the person's "
        "browser. html.escape() what the model wrote")
    inside = _inside(card)
    lost = [name for name in ("amount", "comment", "approve", "reject", "status") if getattr(card, name) not in inside]
    assert not lost, f"the card does not contain its {', '.join(lost)} widget"
    assert card.amount.value == 18.5, "the amount box should start at the $18.50 asked for"


@visible("7.3", hint="A click gives the answer your approval_answer makes (what does a rejection carry?), resumed with "
                     "the card's own resume, once.")
def the_buttons_answer_once(approval_card, ns):
    answers, resumes = _Answers(ns), _Resumes()
    with _world(FakeModel.scripted()), _replaced(ns, approval_answer=answers):
        thread_id = _pause(ns)
        card = approval_card(thread_id, resumes)
        card.amount.value, card.comment.value = 10, "Half is fair."
        card.approve.click()
        card.approve.click()
        assert answers.calls == [(thread_id, True, "Half is fair.", 10.0)], f"Approve called approval_answer as {answers.calls}"
        assert resumes.calls == [(thread_id, answers.given[0])], (
            f"Approve called the resume the card was given {len(resumes.calls)} times, with {resumes.calls}: call "
            "self.resume(thread_id, the answer) once, not the notebook's resume")
        assert card.approve.disabled and card.reject.disabled and "done" in card.status.value, \
            "after the answer, disable both buttons and show the agent's status"
        answers.calls.clear()
        card = approval_card(thread_id, resumes)
        card.comment.value = "No."
        card.reject.click()
        assert answers.calls == [(thread_id, False, "No.", None)], f"Reject called approval_answer as {answers.calls}"
        assert len(resumes.calls) == 2, "Reject did not call the resume the card was given"


@visible("7.3", hint="Catch ResumeError and ValueError from approval_answer and from resume: show the error in "
                     "self.status, leave the buttons on.")
def a_refused_answer_is_shown(approval_card, ns):
    ResumeError = _given(ns, "ResumeError")
    refusals = [(_Answers(ns, ValueError("Approve between $0.01 and the $18.50 asked for, not $30.00.")), _Resumes()),
                (_Answers(ns), _Resumes(ResumeError("Thread t-1 is not waiting for an answer.")))]
    for answers, resumes in refusals:
        with _world(FakeModel.scripted()), _replaced(ns, approval_answer=answers):
            card = approval_card(_pause(ns), resumes)
            card.approve.click()
        who = "approval_answer" if answers.refuse else "resume"
        assert "Approve between" in card.status.value or "not waiting" in card.status.value, \
            f"when {who} refuses, the status shows {card.status.value!r}"
        assert not card.approve.disabled, f"when {who} refuses, the person should be able to try again"


@visible("7.3", hint="The card calls your approval_answer and the resume it is given: the whole flow on the shop brain.")
def a_click_resumes_the_agent(approval_card, ns):
    with _world() as (db, _):
        card = approval_card(_given(ns, "launch")(_MUG.ticket), _given(ns, "resume"))
        card.amount.value = 15
        card.approve.click()
        refunds = _refunds(db, 1042)
    assert refunds == [15.0], f"after approving $15.00 on the card, the refunds on order 1042 are {refunds}"


__all__: list[str] = []  # the checks register themselves with course.grading.visible on import
