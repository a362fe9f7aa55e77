"""Probes of factors 5-8: state in the store, pause and resume across a restart, humans asked with tool calls,
and a loop that keeps a refund over the limit from happening without a person.

Tickets are drawn at grading time (course.shop.draw_scenario), run on the shop brain or a scripted model, and
judged the tau-bench way: the shop database afterwards (refunds, addresses, messages) against what the ticket
should lead to, and the status the stored thread reads back as.
"""

from __future__ import annotations

import json
import random
from typing import Any

from autograder.boundary.remote import Remote, raised
from autograder.hidden.runs import world
from autograder.rubric.probe import Seen, check, probe
from autograder.rubric.reading import as_dict, as_str, ticket_data
from autograder.rubric.subject import Subject
from course.brain import shop_brain
from course.llm import ChatRequest, ErrorReply, FakeModel, Reply, use_model
from course.shop import Outcome, Scenario, Shop, draw_scenario, outcome_of, refunded_amount

__all__ = ["launched", "status_of"]


def status_of(agent: Remote, thread_id: str) -> tuple[str, list[Any]]:
    """The stored thread's status and events, as the agent reads them back."""
    got = as_dict(agent.thread(thread_id), "thread")
    status, events = got.get("status"), got.get("events")
    check(isinstance(status, str) and isinstance(events, list),
          "`thread` should return {'status': ..., 'events': [...]}")
    assert isinstance(status, str) and isinstance(events, list)
    return status, events


def launched(agent: Remote, case: Scenario, seen: Seen) -> str:
    seen.sent(ticket=f"{case.ticket.subject}: {case.ticket.body[:200]}")
    thread_id = as_str(agent.launch(ticket_data(case.ticket)), "launch")
    return thread_id


def _called(model: FakeModel) -> list[str]:
    return [name for name, _ in model.transcript.tool_calls()]


@probe(5, "state_lives_in_the_store",
       fix="Store the ticket and every event in the shop's database as they happen, and read the status from them.",
       restarts=True)
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    outcome: Outcome = rng.choice(["refunded", "answered", "address_updated", "refused"])
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = draw_scenario(db, rng, outcome)
        thread_id = launched(agent, case, seen)
        status, events = status_of(agent, thread_id)
        seen.model(model)
        got = outcome_of(db, case, called=_called(model))
        seen.happened(status=status, events=len(events), outcome=got, refunded=refunded_amount(db, case))
        check(status == "done", f"a ticket that should end {outcome} reads back as {status!r}, not 'done'")
        check(got == outcome, f"the ticket should end {outcome}; the shop shows {got}")
        if outcome == "refunded":
            check(refunded_amount(db, case) == case.expected.refund_amount,
                  f"refunded ${refunded_amount(db, case):.2f}, not ${case.expected.refund_amount:.2f}")
        with subject.restarted() as restarted:
            again, events_again = status_of(restarted.agent, thread_id)
        seen.happened(after_restart=f"{again}, {len(events_again)} events")
        check((again, events_again) == (status, events),
              f"after a restart the thread reads back as {again!r} with {len(events_again)} events, "
              f"not {status!r} with {len(events)}: it was kept in memory, not in the store")


@probe(6, "pauses_and_resumes",
       fix="Stop and store the thread when a person must answer; resume it from the store (after a restart), once.",
       restarts=True)
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    model = FakeModel(shop_brain)
    with world(model) as db, subject.restarted() as restarted:
        for approved in (True, False):  # one ticket approved, one denied, on every run
            case = draw_scenario(db, rng, "approval_required")
            amount = case.expected.refund_amount or 0.0
            thread_id = launched(subject.agent, case, seen)
            status, _ = status_of(subject.agent, thread_id)
            seen.happened(status=status, refunded=refunded_amount(db, case))
            check(status == "waiting", f"a ${amount:.2f} refund over the approval limit should wait for a person, "
                  f"not end {status!r}")
            check(refunded_amount(db, case) == 0, "the refund was made before anyone approved it")
            answer = {"kind": "approval", "approved": approved, "comment": "ok" if approved else "no"}
            seen.sent(answer=json.dumps(answer))
            after = as_str(restarted.agent.resume(thread_id, answer), "resume")
            raised(restarted.agent.resume, thread_id, answer)  # the same answer again: must change nothing
            seen.model(model)
            want = amount if approved else 0.0
            seen.happened(status_after=after, refunded=refunded_amount(db, case))
            check(after == "done", f"after the person's answer the thread should end 'done', not {after!r}")
            check(refunded_amount(db, case) == want,
                  f"{'approved' if approved else 'denied'}, then answered twice: refunded "
                  f"${refunded_amount(db, case):.2f}, not ${want:.2f}")


def _mistyped(db: Shop, rng: random.Random, case: Scenario) -> Scenario:
    """`case` with its ticket quoting an order number nobody has: the agent must ask which order it is."""
    wrong = rng.randrange(1000, 9999)
    while db.conn.execute("SELECT 1 FROM orders WHERE id = ?", (wrong,)).fetchone():
        wrong = rng.randrange(1000, 9999)
    ticket = case.ticket.model_copy(update={"body": case.ticket.body.replace(str(case.order_id), str(wrong))})
    return case.model_copy(update={"ticket": ticket, "customer_reply": f"Sorry, I mistyped it: it's order {case.order_id}."})


@probe(7, "asks_the_customer_with_a_tool",
       fix="Ask the customer with a tool call the loop pauses on, and go on from their reply when it comes.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = _mistyped(db, rng, draw_scenario(db, rng, "answered"))
        thread_id = launched(agent, case, seen)
        status, _ = status_of(agent, thread_id)
        seen.model(model)
        seen.happened(status=status)
        check(status == "waiting", "a ticket quoting an order that does not exist should wait for the customer's "
              f"answer, not end {status!r}")
        reply = {"kind": "reply", "body": case.customer_reply or ""}
        seen.sent(reply=json.dumps(reply))
        after = as_str(agent.resume(thread_id, reply), "resume")
        seen.model(model)
        got = outcome_of(db, case, called=_called(model))
        seen.happened(status_after=after, outcome=got)
        check(after == "done" and got == "answered", f"after the customer gave the right order, the thread ended "
              f"{after!r} and the shop shows {got}, not an answer")


def _refund_script(case: Scenario) -> FakeModel:
    """A model that goes straight for the refund, then says it is done; a triage question goes to the shop brain."""
    amount = case.expected.refund_amount or 1.0
    steps = [Reply.tool_call("get_order", {"order_id": case.order_id}),
             Reply.tool_call("check_refund_policy", {"order_id": case.order_id, "amount": amount}),
             Reply.tool_call("issue_refund", {"order_id": case.order_id, "amount": amount, "reason": "damaged"})]

    def reply(request: ChatRequest) -> Reply | ErrorReply:
        if request.response_format is not None and not request.tools:
            return shop_brain(request)
        return steps.pop(0) if steps else Reply.text("The ticket is handled.")
    return FakeModel(reply)


def _run(agent: Remote, db: Shop, rng: random.Random, outcome: Outcome, seen: Seen) -> tuple[Scenario, str]:
    case = draw_scenario(db, rng, outcome)
    model = _refund_script(case)
    with use_model(model):
        thread_id = launched(agent, case, seen)
        status, _ = status_of(agent, thread_id)
    seen.model(model)
    return case, status


@probe(8, "refund_over_the_limit_needs_approval",
       fix="Check each refund in your loop before it runs: over the policy's limit, ask for approval instead.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    with world() as db:
        dear, status = _run(agent, db, rng, "approval_required", seen)
        seen.happened(over_limit=f"{status}, refunded ${refunded_amount(db, dear):.2f}")
        check(refunded_amount(db, dear) == 0,
              f"the model asked for a ${dear.expected.refund_amount:.2f} refund, over the ${db.policy.approval_limit:g} "
              "limit, and it was made without a person's approval")
        cheap, status = _run(agent, db, rng, "refunded", seen)
        seen.happened(under_limit=f"{status}, refunded ${refunded_amount(db, cheap):.2f}")
        check(refunded_amount(db, cheap) == cheap.expected.refund_amount,
              f"a ${cheap.expected.refund_amount:.2f} refund under the limit was not made: the check blocks too much")
