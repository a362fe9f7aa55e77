"""Hidden tests of lesson 07 (contact humans with tool calls). Instructor side only.

Each test is registered on `hidden` under the grade id of its graded cell and takes the learner's
definitions as parameters, each one a `Remote` handle on the learner's object (autograder.boundary.remote);
`learner` is the `Learner` itself. The fake model and the shop stay in this process: the verdicts
read the grader's own shop database (refunds, messages) and transcript.

Each exercise is scored on its own. The tests of 7.1 read the two intents' schemas and validate
arguments with the learner's classes, and run the agent (the given `launch` / `resume`, which offer
the learner's AGENT_INTENTS) on the shop brain. The tests of 7.2 pause a thread themselves (the
lesson-05 store functions append the events of a refund waiting for approval, with lesson 07's
request arguments), read the `Approval` that `approval_answer` returns (and that it stored nothing),
then resume the thread with the grader's own `resume`, which offers lesson 06's intents
(`stage_06.AGENT_INTENTS`), so a slip in 7.1 costs nothing there. The tests of 7.3 build the card
on such a thread with a grader function as its `resume` (recording what the card gives it), set
its widgets and click its buttons from here (ipywidgets needs no front end), with a stand-in
`approval_answer` that records what the card asks and answers with a plain `Approval`. Two tests score the agent as a
whole: `clarification_loop_continues` and `card_resumes_the_agent`.

Every input is drawn from the grading's seed (`rng`): the tickets, orders and amounts (`draw_scenario`), the
requests' reasons, questions, urgency and channel, the valid and the broken arguments of 7.1, the people's
comments and names, the amounts approved and typed into the card, and the order the cases come in.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autograder.boundary.remote import Learner, LearnerError, LearnerNotImplemented, RaiseInWorker, Remote, raised
from autograder.hidden import HiddenTests
from autograder.hidden.calls import attr as _attr
from autograder.hidden.calls import call as _call
from autograder.hidden.drawn import words
from course.brain import shop_brain
from course.llm import FakeModel, use_model
from course.llm.validate import strict_schema_problem
from course.shop import Scenario, Shop, current_shop, draw_scenario, use_shop

hidden = HiddenTests("07")

_APPROVAL_FIELDS = ["order_id", "amount", "reason", "question", "options", "urgency", "channel"]
_ASK_FIELDS = ["question", "options", "urgency", "channel"]
_URGENCY = ("low", "normal", "high")


# --- helpers ----------------------------------------------------------------------------------

@contextmanager
def _world(model: FakeModel | None = None) -> Iterator[tuple[Shop, FakeModel]]:
    """A fresh seeded shop as the current shop, and `model` (default: the shop brain) as the model."""
    model = model or FakeModel(shop_brain)
    with Shop.create() as db, use_shop(db), use_model(model):
        yield db, model


def _stored(load_thread: Remote, thread_id: Any) -> list[dict[str, Any]]:
    """The stored thread's events, as plain data."""
    return json.loads(load_thread(thread_id).model_dump_json().value)["events"]


def _refunds(db: Shop, order_id: int) -> list[float]:
    rows = db.conn.execute("SELECT amount_cents FROM refunds WHERE order_id = ? ORDER BY id", (order_id,)).fetchall()
    return [cents / 100 for (cents,) in rows]


def _messages(db: Shop, email: str) -> list[str]:
    return [body for (body,) in db.conn.execute(
        "SELECT m.body FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = ?", (email,))]


def _one_result_each(events: list[dict[str, Any]]) -> str | None:
    """What breaks "every tool call has exactly one result, right after it" (a last, waiting call may have none)."""
    for i, event in enumerate(events):
        if event["kind"] != "tool_call":
            continue
        after = events[i + 1:i + 3]
        if not after:
            continue  # the call the thread waits on
        if after[0]["kind"] not in ("tool_result", "tool_error") or after[0].get("name") != event["name"]:
            return f"the {event['name']} call at position {i} is followed by a {after[0]['kind']} event, not its result"
        if len(after) > 1 and after[1]["kind"] in ("tool_result", "tool_error"):
            return f"the {event['name']} call at position {i} has two results"
    return None


def _request(rng: random.Random, order: int, amount: float) -> dict[str, Any]:
    """A request for approval of `amount` on `order`, worded, urged and routed as drawn."""
    options = ["approve", "reject"]
    rng.shuffle(options)
    return {"order_id": order, "amount": amount,
            "reason": f"The {words(rng)} arrived {rng.choice(('broken', 'damaged', 'chipped'))}; the customer wants "
                      f"${amount:.2f} back.",
            "question": f"{rng.choice(('Approve', 'Refund', 'Allow'))} ${amount:.2f} on order {order} ({words(rng)})?",
            "options": options, "urgency": rng.choice(_URGENCY),
            "channel": rng.choice(("approval_card", "email", "slack"))}


def _question(rng: random.Random) -> dict[str, Any]:
    """A question to the customer, as ask_customer's arguments."""
    return {"question": f"Which order number is on your {words(rng)} email?", "options": [],
            "urgency": rng.choice(_URGENCY), "channel": rng.choice(("email", "chat"))}


def _pause(learner: Learner, ticket: Any, order: int, asked: dict[str, Any], human: str = "request_approval") -> Remote:
    """A stored thread about `order` waiting on a person (`human`, asked `asked`), made with the lesson-05 store: its
    id (a Remote)."""
    new_thread, append_event, act = learner["new_thread"], learner["append_event"], learner["act"]
    ToolRequested, INTENTS = learner["ToolRequested"], learner["INTENTS"]
    thread_id = new_thread(ticket)
    steps = [("get_order", {"order_id": order})]
    if human == "request_approval":
        steps.append(("check_refund_policy", {"order_id": order, "amount": asked["amount"]}))
    for name, arguments in steps:
        append_event(thread_id, ToolRequested(name=name, arguments=json.dumps(arguments)))
        act(thread_id, INTENTS[name](**arguments), ticket)
    append_event(thread_id, ToolRequested(name=human, arguments=json.dumps(asked)))
    return thread_id


def _large(db: Shop, rng: random.Random) -> tuple[Any, dict[str, Any], int, float]:
    """A drawn refund above the approval limit in `db`: its ticket, the approval request, the order and the amount."""
    case = draw_scenario(db, rng, "approval_required")
    amount = case.expected.refund_amount or 0.0
    return case.ticket, _request(rng, case.order_id, amount), case.order_id, amount


def _waiting(learner: Learner, db: Shop, rng: random.Random) -> tuple[Remote, dict[str, Any], int, float]:
    """A stored thread waiting for approval of a drawn refund: its id, the request, the order and the amount."""
    ticket, request, order, amount = _large(db, rng)
    return _pause(learner, ticket, order, request), request, order, amount


def _asking(learner: Learner, db: Shop, rng: random.Random) -> Remote:
    """A stored thread waiting for a drawn customer's answer (ask_customer, about an order that does not exist)."""
    case = draw_scenario(db, rng, "ask_customer")
    return _pause(learner, case.ticket, case.order_id, _question(rng), human="ask_customer")


def _price(db: Shop, case: Scenario) -> float:
    """What the customer's order (the one their reply names) cost for the item they wrote about."""
    order = int(str(case.customer_reply).rstrip(".").split()[-1])
    row = db.conn.execute("SELECT unit_price_cents FROM order_items WHERE order_id = ? ORDER BY rowid LIMIT 1",
                          (order,)).fetchone()
    return round(row[0] / 100, 2)


def _lesson06_resume(learner: Learner) -> Any:
    """The grader's `resume`, as lesson 06 has it (its intents, not the learner's AGENT_INTENTS): store, then run."""
    record_answer, run_until_paused = learner["record_answer"], learner["run_until_paused"]
    system_prompt, intents = learner["system_prompt"], learner["stage_06"].AGENT_INTENTS

    def resume(thread_id: Remote, answer: Remote) -> Any:
        _call("resume(thread_id, <the Approval your approval_answer returned>)", record_answer, thread_id, answer)
        return run_until_paused(thread_id, system_prompt(current_shop().policy), intents=intents).value

    return resume


def _answer(approval_answer: Remote, load_thread: Remote, thread_id: Remote, *args: Any, **kwargs: Any) -> Remote:
    """approval_answer(thread_id, ...): an Approval, with nothing stored; a failure says which call did what."""
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    what = f"approval_answer(thread_id, {shown})"
    before = _stored(load_thread, thread_id)
    answer = _call(what, approval_answer, thread_id, *args, **kwargs)
    assert answer.isa("Approval"), f"{what} returned {answer.shown}, not the Approval to resume the thread with."
    assert _stored(load_thread, thread_id) == before, (
        f"{what} changed the stored thread: it should only read it and return the answer; the caller resumes with it.")
    return answer


def _approved(approval_answer: Remote, load_thread: Remote, learner: Learner, thread_id: Remote, *args: Any,
              **kwargs: Any) -> Any:
    """The whole flow: resume(thread_id, approval_answer(thread_id, ...)) with the grader's resume; the status."""
    return _lesson06_resume(learner)(thread_id, _answer(approval_answer, load_thread, thread_id, *args, **kwargs))


# --- Exercise 7.1: the two intents ---------------------------------------------------------------

def _resolved(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with a `$ref` (an Enum class, a nested model) looked up in `$defs`."""
    ref = spec.get("$ref") or next((s.get("$ref") for s in spec.get("allOf", []) if "$ref" in s), None)
    if ref:
        return {**schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {}), **{k: v for k, v in spec.items() if k != "$ref"}}
    return spec


def _choices(schema: dict[str, Any], spec: dict[str, Any]) -> list[Any] | None:
    spec = _resolved(schema, spec)
    if "const" in spec:
        return [spec["const"]]
    return sorted(spec["enum"]) if "enum" in spec else None


def _schema_problems(cls: Remote, name: str, fields: list[str], closed: dict[str, list[str]],
                     item_choices: list[str] | None) -> None:
    schema = cls.model_json_schema().value
    props = schema.get("properties", {})
    assert sorted(props) == sorted(fields), (
        f"{name}'s fields are {list(props)}; the exercise asks for {fields}. The model can only fill what the schema offers.")
    required = schema.get("required", [])
    optional = [field for field in fields if field not in required]
    assert not optional, (f"{name}'s {', '.join(optional)} can be left out (a default value?): a strict tool schema "
                          "needs every field required, so the model fills each one.")
    undescribed = [field for field in fields if not _resolved(schema, props[field]).get("description")
                   and not props[field].get("description")]
    assert not undescribed, f"{name}'s {', '.join(undescribed)} has no description: the model reads it to know what goes there."
    doc = (cls.attr("__doc__").value or "").strip()
    assert doc and not doc.startswith(("A base", "Base")), f"{name} has no docstring of its own: it becomes the tool's description."
    for field, want in closed.items():
        got = _choices(schema, props[field])
        assert got == sorted(want), (f"{name}.{field} accepts {got if got else 'any text'}; it should be one of {sorted(want)} "
                                     "(a Literal), so that a router can switch on it.")
    options = _resolved(schema, props["options"])
    assert options.get("type") == "array", f"{name}.options is not a list (its schema type is {options.get('type')!r})."
    items = _choices(schema, options.get("items", {}))
    if item_choices is None:
        assert _resolved(schema, options.get("items", {})).get("type") == "string", f"{name}.options should be a list of strings."
    else:
        assert items == sorted(item_choices), (
            f"{name}.options takes items from {items if items else 'any text'}; each should be one of {sorted(item_choices)}.")
    problem = strict_schema_problem(schema)
    assert problem is None, f"{name}'s schema would be refused by a strict tool endpoint: {problem}"


def _refused(cls: Remote, name: str, good: dict[str, Any], bad: list[tuple[str, dict[str, Any]]]) -> None:
    made = _call(f"{name}.model_validate_json(<valid arguments>)", cls.model_validate_json, json.dumps(good))
    for field, value in good.items():
        got = _attr(made, field).value
        assert got == value, f"{name} made from {json.dumps(good)} has {field}={got!r}, not {value!r}."
    for what, arguments in bad:
        error = raised(cls.model_validate_json, json.dumps(arguments))
        if isinstance(error, LearnerNotImplemented):
            raise error
        assert error is not None, f"{name} accepted {what}: {json.dumps(arguments)[:160]}."


def _broken(rng: random.Random, good: dict[str, Any],
            bad: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """`bad`, plus the arguments without one drawn field and with one drawn extra field, in a drawn order."""
    missing, extra = rng.choice(sorted(good)), words(rng)
    bad = [*bad, (f"arguments without {missing}", {k: v for k, v in good.items() if k != missing}),
           (f"an extra field ({extra})", {**good, extra: words(rng)})]
    rng.shuffle(bad)
    return bad


@hidden.test("approval_request_is_a_typed_intent")
def approval_request_is_a_typed_intent(RequestApproval, rng):
    """Seven required, described fields; options, urgency and channel closed sets; bad values refused."""
    _schema_problems(RequestApproval, "RequestApproval", _APPROVAL_FIELDS,
                     {"urgency": ["low", "normal", "high"], "channel": ["approval_card", "email", "slack"]},
                     ["approve", "reject"])
    good = _request(rng, rng.randrange(2000, 10_000), round(rng.uniform(101, 999), 2))
    urgency, option, channel = words(rng), words(rng), rng.choice(("phone", "sms", "fax", words(rng)))
    _refused(RequestApproval, "RequestApproval", good, _broken(rng, good, [
        ("a negative amount", {**good, "amount": -round(rng.uniform(0.01, 999), 2)}),
        ("an amount of zero", {**good, "amount": 0}),
        ("order number 0", {**good, "order_id": 0}),
        ("an empty question", {**good, "question": ""}),
        ("an empty reason", {**good, "reason": ""}),
        (f"urgency {urgency!r}", {**good, "urgency": urgency}),
        (f"the option {option!r}", {**good, "options": [rng.choice(("approve", "reject")), option]}),
        (f"channel {channel!r}", {**good, "channel": channel}),
    ]))


@hidden.test("ask_customer_is_a_typed_intent")
def ask_customer_is_a_typed_intent(AskCustomer, rng):
    """Four required, described fields; urgency and channel closed sets; options free text; bad values refused."""
    _schema_problems(AskCustomer, "AskCustomer", _ASK_FIELDS,
                     {"urgency": ["low", "normal", "high"], "channel": ["email", "chat"]}, None)
    good = {**_question(rng), "options": [str(rng.randrange(2000, 10_000)), f"I can't find the {words(rng)}"]}
    urgency, channel = words(rng), rng.choice(("slack", "approval_card"))
    _refused(AskCustomer, "AskCustomer", good, _broken(rng, good, [
        ("an empty question", {**good, "question": ""}),
        (f"urgency {urgency!r}", {**good, "urgency": urgency}),
        (f"channel {channel!r} (not one the customer reads)", {**good, "channel": channel}),
    ]))


@hidden.test("the_model_is_offered_a_person")
def the_model_is_offered_a_person(AGENT_INTENTS, INTENTS, RequestApproval, AskCustomer, launch, load_thread, rng):
    """AGENT_INTENTS: INTENTS plus both human intents; on a big refund the agent waits with order and amount."""
    names = [name.value for name in AGENT_INTENTS]
    missing = [name for name in [*(n.value for n in INTENTS), "request_approval", "ask_customer"] if name not in names]
    assert not missing, f"AGENT_INTENTS has no {', '.join(missing)}: the model can never choose it."
    for name, cls in [("request_approval", RequestApproval), ("ask_customer", AskCustomer)]:
        got = AGENT_INTENTS[name]
        assert got.is_class and got.classes == cls.classes, f"AGENT_INTENTS[{name!r}] is {got!r}, not your {cls.classes[0]}."
    with _world() as (db, model):
        case = draw_scenario(db, rng, "approval_required")
        order, amount = case.order_id, case.expected.refund_amount
        what = f"the ${amount:.2f} refund on order {order}"
        thread_id = _call(f"launch on {what}", launch, case.ticket)
        events = _stored(load_thread, thread_id)
        offered = model.transcript.tools_offered()
        refunded = _refunds(db, order)
    assert "request_approval" in offered and "ask_customer" in offered, f"The model was offered {offered}."
    assert not refunded, f"On {what} the agent refunded {refunded} without waiting for a person."
    last = events[-1]
    assert last["kind"] == "tool_call" and last["name"] == "request_approval", (
        f"On {what} the thread ends with a {last['kind']} event ({last.get('name', '')}), not a waiting "
        "request_approval call.")
    asked = json.loads(last["arguments"])
    assert asked.get("order_id") == order and asked.get("amount") == amount, (
        f"The approval request carries {asked}: it should name order {order} and ${amount:.2f}.")


@hidden.test("clarification_loop_continues")
def clarification_loop_continues(launch, resume, load_thread, CustomerReply, rng):
    """A ticket about an order that does not exist: the agent asks the customer, waits, and refunds the order their
    reply names."""
    with _world() as (db, _):
        case = draw_scenario(db, rng, "ask_customer")
        wrong, right, price = case.order_id, str(case.customer_reply).rstrip(".").split()[-1], _price(db, case)
        thread_id = _call(f"launch on a ticket about order {wrong}, which does not exist", launch, case.ticket)
        events = _stored(load_thread, thread_id)
        last = events[-1]
        assert last["kind"] == "tool_call" and last["name"] == "ask_customer", (
            f"On an order number that does not exist ({wrong}) the thread ends with a {last['kind']} event "
            f"({last.get('name', '')}), not a waiting ask_customer call.")
        assert not _messages(db, case.ticket.customer_email), (
            "The agent sent the customer a message and asked with ask_customer as well: one question is enough.")
        reply = CustomerReply(call_id=len(events) - 1, body=f"Oh no, sorry! It is order {right}, not {wrong}.")
        status = _call("resume(thread_id, CustomerReply(...))", resume, thread_id, reply).value
        refunds, after = _refunds(db, int(right)), _stored(load_thread, thread_id)
    assert status == "done", f"After the customer gave order {right}, resume returned {status!r}, not 'done'."
    assert refunds == [price], (
        f"After the customer gave order {right}, the refunds on it are {refunds}, not one of ${price:.2f}.")
    problem = _one_result_each(after)
    assert problem is None, f"After the customer's reply, {problem}."


# --- Exercise 7.2: approval_answer -------------------------------------------------------------

@hidden.test("approval_refunds_once")
def approval_refunds_once(approval_answer, load_thread, learner, rng):
    """Approve: the typed answer names the request; resumed with, it refunds the amount asked, once; a second answer is refused."""
    with _world() as (db, _):
        ticket, request, order, amount = _large(db, rng)
        thread_id = _pause(learner, ticket, order, request)
        call_id = len(_stored(load_thread, thread_id)) - 1
        comment, by = f"Approved: the {words(rng)} shows it.", f"{words(rng).title()} (manager)"
        answer = _answer(approval_answer, load_thread, thread_id, True, comment, by=by)
        got = answer.value
        want = {"call_id": call_id, "approved": True, "comment": comment, "by": by}
        assert {k: got.get(k) for k in want} == want, (
            f"approval_answer returned {got}: it should answer the request at position {call_id} with approved, "
            "comment and by as the person gave them.")
        status = _lesson06_resume(learner)(thread_id, answer)
        assert status == "done", f"After resuming with your approval, the thread is {status!r}, not 'done'."
        refunds = _refunds(db, order)
        assert refunds == [amount], f"After approving ${amount:.2f}, the refunds on order {order} are {refunds}."
        stored = _stored(load_thread, thread_id)
        error = raised(approval_answer, thread_id, True)
        if isinstance(error, LearnerNotImplemented):
            raise error
        assert error is not None, "Answering the same approval a second time was accepted: the thread waits for nothing."
        assert _refunds(db, order) == [amount] and _stored(load_thread, thread_id) == stored, (
            "A second answer to an approval already answered changed the thread or the refunds.")


@hidden.test("a_lower_amount_is_refunded")
def a_lower_amount_is_refunded(approval_answer, load_thread, learner, rng):
    """Approve less than asked: the answer carries it and exactly that amount is refunded; the full amount, given
    explicitly, too (the answer then carries None: approved as asked)."""
    for part in (rng.uniform(0.5, 0.95), rng.uniform(0.05, 0.5), None):
        with _world() as (db, _):
            ticket, request, order, full = _large(db, rng)
            amount = full if part is None else round(full * part, 2)
            thread_id = _pause(learner, ticket, order, request)
            answer = _answer(approval_answer, load_thread, thread_id, True, amount=amount)
            carried = answer.value.get("amount")
            status = _lesson06_resume(learner)(thread_id, answer)
            refunds = _refunds(db, order)
        of = f"${amount:.2f} of ${full:.2f}"
        assert carried == (None if amount == full else amount), (
            f"Approving {of} returned an Approval with amount {carried!r}"
            + (": the amount asked for is approved as it stood, amount=None." if amount == full else "."))
        assert status == "done", f"After approving {of} and resuming, the thread is {status!r}."
        assert refunds == [amount], f"After approving {of}, the refunds on order {order} are {refunds}."


@hidden.test("rejection_reaches_the_model")
def rejection_reaches_the_model(approval_answer, load_thread, learner, rng):
    """Reject with a comment: no refund, the customer is told, the model reads the comment (and can propose less)."""
    team = f"the {words(rng)} team"
    comment = f"That damage is not covered by our returns; {team} will call."
    with _world() as (db, model):
        ticket, request, order, _amount = _large(db, rng)
        thread_id = _pause(learner, ticket, order, request)
        status = _approved(approval_answer, load_thread, learner, thread_id, False, comment, by="Sam (manager)")
        refunds, told = _refunds(db, order), _messages(db, ticket.customer_email)
        seen = [request.text() for request in model.transcript.requests]
    assert not refunds, f"After a rejection, order {order} was refunded {refunds}."
    assert status == "done", f"After resuming with a rejection, the thread is {status!r}, not 'done'."
    assert told, "After a rejection the customer was told nothing: the model should hear the answer and write to them."
    assert any(team in text for text in seen), "The person's comment never reached the model."
    with _world() as (db, _):
        ticket, request, order, amount = _large(db, rng)
        offer = float(rng.randrange(int(db.policy.approval_limit) + 1, int(amount)))
        thread_id = _pause(learner, ticket, order, request)
        status = _approved(approval_answer, load_thread, learner, thread_id, False,
                           f"Too much for that damage: offer ${offer:.0f} instead.")
        asked = json.loads(_stored(load_thread, thread_id)[-1].get("arguments") or "{}").get("amount")
        assert status == "waiting" and asked == offer, (
            f"After a rejection saying 'offer ${offer:.0f} instead', the thread is {status!r} with a request for "
            f"{asked!r}: the model should read the comment and ask again for ${offer:.2f}.")
        status = _approved(approval_answer, load_thread, learner, thread_id, True)
        refunds = _refunds(db, order)
    assert refunds == [offer], f"After approving the new ${offer:.2f} request, the refunds on order {order} are {refunds}."


@hidden.test("bad_answers_change_nothing")
def bad_answers_change_nothing(approval_answer, load_thread, learner, rng):
    """An amount above the one asked, zero or negative, or a thread not waiting for approval: an error, nothing stored."""
    with _world() as (db, model):
        ticket, request, order, asked = _large(db, rng)
        thread_id = _pause(learner, ticket, order, request)
        before = _stored(load_thread, thread_id)
        amounts = [round(asked + rng.uniform(0.01, 500), 2), 0.0, -round(rng.uniform(0.01, 500), 2)]
        rng.shuffle(amounts)
        for amount in amounts:
            error = raised(approval_answer, thread_id, True, "", amount)
            if isinstance(error, LearnerNotImplemented):
                raise error
            of = f"${amount:.2f} of the ${asked:.2f} asked for"
            assert error is not None, f"Approving {of} was accepted."
            assert error.isa("ValueError"), f"Approving {of} raised {error.type}, not a ValueError."
            assert _stored(load_thread, thread_id) == before and not _refunds(db, order), (
                f"Approving {of} was refused, but the thread or the refunds changed.")
        assert model.calls == 0, "A refused answer still resumed the agent (the model was asked)."
        for what, other in [("waits for the customer (ask_customer)", _asking(learner, db, rng)), ("is done", thread_id)]:
            if what == "is done":
                _approved(approval_answer, load_thread, learner, thread_id, True)
            before = _stored(load_thread, other)
            error = raised(approval_answer, other, True)
            if isinstance(error, LearnerNotImplemented):
                raise error
            assert error is not None, f"An approval for a thread that {what} was accepted."
            assert error.isa("ValueError"), f"An approval for a thread that {what} raised {error.type}, not ResumeError."
            assert _stored(load_thread, other) == before, f"An approval for a thread that {what} changed the thread."


@hidden.test("every_call_gets_one_result")
def every_call_gets_one_result(approval_answer, load_thread, learner, rng):
    """Whatever the answer, resumed with, each stored tool call has exactly one result; the request's is the typed answer."""
    answers: list[tuple[bool, str, float | None]] = [
        (True, f"Fine: {words(rng)}.", None), (True, f"{words(rng).capitalize()} only.", rng.uniform(0.3, 0.9)),
        (False, f"{words(rng).capitalize()} damage is not covered.", None)]
    rng.shuffle(answers)
    for approved, comment, part in answers:
        with _world() as (db, _model):
            thread_id, _, _, asked = _waiting(learner, db, rng)
            kwargs = {} if part is None else {"amount": round(asked * part, 2)}
            what = ("a rejection" if not approved else "an approval" if part is None
                    else f"an approval of ${kwargs['amount']:.2f} of ${asked:.2f}")
            call_id = len(_stored(load_thread, thread_id)) - 1
            _approved(approval_answer, load_thread, learner, thread_id, approved, comment, **kwargs)
            events = _stored(load_thread, thread_id)
        problem = _one_result_each(events)
        assert problem is None, f"After {what}, {problem}."
        result = events[call_id + 1]
        assert result["kind"] == "tool_result", f"After {what}, the approval request's result is a {result['kind']} event."
        stored = json.loads(result["result"])
        assert stored.get("approved") is approved and stored.get("comment") == comment, (
            f"After {what}, the approval request's result is {result['result'][:160]}: it should be the person's "
            "Approval (approved, comment, ...).")
        if "amount" in kwargs:
            assert stored.get("amount") == kwargs["amount"], (
                f"After {what}, the stored answer carries amount {stored.get('amount')!r}.")


# --- Exercise 7.3: the approval card -------------------------------------------------------------

def _texts(widget: Remote, depth: int = 0, *, html: bool = False) -> list[str]:
    """What a card shows: the text values and descriptions of the widget and all it contains (with `html`, only the
    values of widgets that render their text as HTML)."""
    found = []
    markup = any(name in ("HTML", "HTMLMath") for name in widget.classes)
    for name in (("value",) if markup else ()) if html else ("value", "description", "placeholder"):
        try:
            text = _attr(widget, name).value
        except LearnerError:
            continue
        if isinstance(text, str) and text:
            found.append(text)
    if depth < 4 and "Box" in widget.classes:
        for child in _attr(widget, "children"):
            found += _texts(child, depth + 1, html=html)
    return found


def _ids(widget: Remote, depth: int = 0) -> list[str]:
    found = [_attr(widget, "model_id").value]
    if depth < 4 and "Box" in widget.classes:
        for child in _attr(widget, "children"):
            found += _ids(child, depth + 1)
    return found


def _set(widget: Remote, value: Any) -> None:
    _attr(widget, "set_trait")("value", value)


def _click(card: Remote, button: str) -> None:
    _call(f"card.{button}.click()", _attr(_attr(card, button), "click"))


class _Answers:
    """A stand-in for approval_answer: records each call's arguments as plain data, answers a plain Approval (or raises)."""

    def __init__(self, Approval: Remote, call_id: int, fail: RaiseInWorker | None = None):
        self.Approval, self.call_id, self.fail = Approval, call_id, fail
        self.calls: list[dict[str, Any]] = []

    def __call__(self, thread_id: Remote, approved: Remote, comment: Remote | None = None,
                 amount: Remote | None = None, by: Remote | None = None) -> Remote:
        self.calls.append({"thread_id": thread_id.value, "approved": approved.value,
                           "comment": comment.value if comment is not None else "",
                           "amount": amount.value if amount is not None else None})
        if self.fail is not None:
            raise self.fail
        call = self.calls[-1]
        return self.Approval(call_id=self.call_id, approved=call["approved"], comment=call["comment"], amount=call["amount"])


class _Resumes:
    """The grader's `resume`, given to the card: records what the card gives it, answers 'done' (or raises)."""

    def __init__(self, fail: RaiseInWorker | None = None):
        self.calls: list[tuple[Any, Any]] = []
        self.fail = fail

    def __call__(self, thread_id: Remote, answer: Remote | None = None, policy: Remote | None = None) -> str:
        self.calls.append((thread_id.value, answer.value if answer is not None else None))
        if self.fail is not None:
            raise self.fail
        return "done"


@hidden.test("card_shows_the_request")
def card_shows_the_request(approval_card, learner, rng):
    """The card shows the question, the order, the amount and the reason, the model's words as text (never as markup);
    its amount box starts at the amount asked for."""
    with _world(FakeModel.scripted()) as (db, _):
        ticket, request, order, full = _large(db, rng)
        amount = round(full * rng.uniform(0.5, 0.95), 2)
        said = (f"The {words(rng)} came cracked", f"the customer keeps the {words(rng)}")
        tag = f"<img src=x onerror=alert({rng.randrange(1, 1000)})>"
        request = {**request, "amount": amount, "question": f"Refund the {words(rng)}, but not the {words(rng)}?",
                   "reason": f"{said[0]} {tag} and {said[1]}."}
        thread_id = _pause(learner, ticket, order, request)
        card = _call("approval_card(thread_id, resume)", approval_card, thread_id, _Resumes())
        assert "Box" in card.classes, f"approval_card returned a {card.type}, not a widget box that JupyterLab can show."
        shown = " ".join(_texts(card))
        for what, text in [("question", request["question"]), ("order number", str(order)), ("amount", f"{amount:.2f}"),
                           ("reason", said[0]), ("reason", said[1])]:
            assert text in shown, f"The card does not show the request's {what} ({text!r}): the person decides on all of it."
        markup = [text for text in _texts(card, html=True) if "<img" in text]
        assert not markup, (
            f"The card shows the model's words as HTML: the reason {request['reason']!r} would run its <img onerror=...> "
            "in the approver's browser. Escape what the model wrote (html.escape).")
        parts = ["amount", "comment", "approve", "reject", "status"]
        inside = _ids(card)
        hidden_parts = [part for part in parts if _attr(_attr(card, part), "model_id").value not in inside]
        assert not hidden_parts, f"The card does not contain its {', '.join(hidden_parts)} widget: nobody would see it."
        start = _attr(_attr(card, "amount"), "value").value
    assert start == amount, f"The amount box starts at {start!r}, not at the {amount!r} asked for."


def _resumed_with(resumes: _Resumes, tid: str, call_id: int, click: str, answer: dict[str, Any]) -> None:
    """The card's click called the resume it was given once, with the answer the (stand-in) approval_answer made."""
    assert resumes.calls, (
        f"Clicking {click} never called the resume the card was given (approval_card(thread_id, resume)): a card "
        "that resumes with the notebook's own resume would skip a later lesson's loop.")
    (got_id, got), *more = resumes.calls
    assert not more, f"Clicking {click} called the resume the card was given {len(resumes.calls)} times."
    want = {"call_id": call_id, **answer}
    assert got_id == tid and {k: (got or {}).get(k) for k in want} == want, (
        f"Clicking {click} called resume({got_id!r}, {got}): it should resume the card's thread with the Approval "
        "approval_answer returned.")


@hidden.test("card_buttons_answer_once")
def card_buttons_answer_once(approval_card, load_thread, ResumeError, Approval, learner, rng):
    """Approve and Reject send the card's comment and amount, once, to the resume the card was given, then show the status."""
    with _world(FakeModel.scripted()) as (db, _):
        thread_id, _, _, asked = _waiting(learner, db, rng)
        tid, call_id = thread_id.value, len(_stored(load_thread, thread_id)) - 1
        answers, resumes = _Answers(Approval, call_id), _Resumes()
        typed, comment = round(asked * rng.uniform(0.3, 0.95), 2), f"{words(rng).capitalize()} only: the {words(rng)} is fine."
        with learner.stand_ins(approval_answer=answers):
            card = _call("approval_card(thread_id, resume)", approval_card, thread_id, resumes)
            _set(_attr(card, "amount"), typed)
            _set(_attr(card, "comment"), comment)
            _click(card, "approve")
            sent = {"approved": True, "comment": comment, "amount": typed}
            assert answers.calls == [{"thread_id": tid, **sent}], (
                f"Clicking Approve with ${typed:.2f} and a comment called approval_answer as {answers.calls}.")
            _resumed_with(resumes, tid, call_id, "Approve", sent)
            status = _attr(_attr(card, "status"), "value").value
            assert "done" in str(status), f"After the answer the card's status shows {status!r}, not the agent's status."
            disabled = [_attr(_attr(card, b), "disabled").value for b in ("approve", "reject")]
            assert all(disabled), "After the answer the buttons are still enabled."
            _click(card, "approve")
            _click(card, "reject")
            assert len(answers.calls) == 1 and len(resumes.calls) == 1, (
                f"Clicking again after the answer called approval_answer {len(answers.calls)} times and resume "
                f"{len(resumes.calls)} times in all.")
            answers.calls.clear()
            resumes = _Resumes()
            card = _call("approval_card(thread_id, resume)", approval_card, thread_id, resumes)
            refusal = f"No: {words(rng)} damage is not covered."
            _set(_attr(card, "comment"), refusal)
            _click(card, "reject")
            sent = {"approved": False, "comment": refusal, "amount": None}
            assert answers.calls == [{"thread_id": tid, **sent}], (
                f"Clicking Reject with a comment called approval_answer as {answers.calls}.")
            _resumed_with(resumes, tid, call_id, "Reject", sent)
        for who, refusing, resumes in [
                ("approval_answer", _Answers(Approval, call_id, RaiseInWorker(ResumeError, f"Thread {tid} is not waiting for an approval.")), _Resumes()),
                ("resume", _Answers(Approval, call_id), _Resumes(RaiseInWorker(ResumeError, f"Thread {tid} is not waiting for an answer.")))]:
            with learner.stand_ins(approval_answer=refusing):
                card = _call("approval_card(thread_id, resume)", approval_card, thread_id, resumes)
                _click(card, "approve")
                status = str(_attr(_attr(card, "status"), "value").value)
                assert "not waiting" in status, f"When {who} refuses, the card's status shows {status!r}, not the error."
                assert not _attr(_attr(card, "approve"), "disabled").value, f"When {who} refuses, the buttons are disabled."
                _click(card, "approve")
                assert len(refusing.calls) == 2, f"After {who} refused, a second click sent nothing: the person could not try again."


@hidden.test("card_resumes_the_agent")
def card_resumes_the_agent(approval_card, launch, resume, load_thread, rng):
    """The whole agent: launch on a refund above the limit, a card with the notebook's resume, a lower amount, Approve:
    that amount refunded, thread done."""
    with _world() as (db, _):
        case = draw_scenario(db, rng, "approval_required")
        order, full = case.order_id, case.expected.refund_amount or 0.0
        amount = float(rng.randrange(int(db.policy.approval_limit) + 1, int(full)))
        thread_id = _call(f"launch on the ${full:.2f} refund on order {order}", launch, case.ticket)
        card = _call("approval_card(thread_id, resume)", approval_card, thread_id, resume)
        _set(_attr(card, "amount"), amount)
        _set(_attr(card, "comment"), f"Refund part: the customer keeps the {words(rng)}.")
        _click(card, "approve")
        refunds, events = _refunds(db, order), _stored(load_thread, thread_id)
    assert refunds == [amount], f"After approving ${amount:.2f} on the card, the refunds on order {order} are {refunds}."
    assert events[-1]["kind"] == "finished", f"After the click, the thread ends with a {events[-1]['kind']} event, not finished."


__all__ = ["hidden"]
