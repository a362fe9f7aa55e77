"""Probes of factors 9-12: errors compacted and escalated, small focused agents, triggers from anywhere, and a
reducer that is pure.

As for factors 5-8, tickets are drawn at grading time and judged from the shop database and the grader's own
transcript; webhook deliveries are signed by the reference `standardwebhooks` library, never by course code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

from autograder.hidden.runs import signed_headers as _signed
from autograder.hidden.runs import world
from autograder.rubric.factors_5_8 import launched, status_of
from autograder.rubric.probe import Seen, check, probe
from autograder.rubric.reading import as_dict, ticket_data, words
from autograder.rubric.subject import Subject
from course.brain import shop_brain
from course.llm import FakeModel
from course.shop import TOOLS, Outcome, PaymentProviderDown, Shop, draw_scenario, outcome_of, refunded_amount

__all__: list[str] = []

MAX_TOOLS = 4     # of the shop's six tools, the most one focused agent is offered in a call (lesson 10)
MAX_TRIES = 3     # errors in a row before a person takes over (lesson 09)


@probe(9, "errors_are_compacted_and_escalated",
       fix="Turn a tool's exception into one short event the model reads, and hand the ticket to a person after "
           f"{MAX_TRIES} errors in a row.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    code = f"{words(rng, 1)}-{rng.randrange(1000, 9999)}"
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown(f"Payment provider busy, reference {code} (HTTP 503)."), times=1)
        thread_id = launched(agent, case, seen)
        status, _ = status_of(agent, thread_id)
        seen.model(model)
        after = _requests_after_failure(model, code)
        seen.happened(status=status, refunded=refunded_amount(db, case), error_in_next_call=bool(after))
        check(bool(after), "after a refund failed, the next call to the model did not carry the error: the model "
              "cannot know what went wrong")
        check(all(len(line) <= 400 for line in after), "the error reached the model as a long dump (a traceback?): "
              "keep it to one short line")
        check(status == "done" and refunded_amount(db, case) == case.expected.refund_amount,
              f"one failed refund, then a working provider: the ticket ended {status!r} with "
              f"${refunded_amount(db, case):.2f} refunded, not done with ${case.expected.refund_amount:.2f}")
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = draw_scenario(db, rng, "refunded")
        db.fail_next("issue_refund", PaymentProviderDown(f"Payment provider down, reference {code}."), times=50)
        thread_id = launched(agent, case, seen)
        status, _ = status_of(agent, thread_id)
        tries = sum(1 for name, _ in model.transcript.tool_calls() if name == "issue_refund")
        seen.model(model)
        seen.happened(provider_down=f"{status} after {tries} refund attempts")
        check(status == "waiting" and tries <= MAX_TRIES + 1,
              f"with the payment provider down for good the agent tried {tries} times and ended {status!r}: after "
              f"{MAX_TRIES} errors in a row, hand the thread to a person (status 'waiting')")


def _requests_after_failure(model: FakeModel, code: str) -> list[str]:
    """The lines of the requests after the failure that carry its reference code."""
    lines = []
    for exchange in model.transcript:
        for message in (exchange.request.messages if exchange.request else []):
            content = message.get("content")
            lines += [line for line in str(content or "").splitlines() if code in line]
    return lines


@probe(10, "each_call_offers_a_few_tools",
       fix=f"Route each ticket to a small agent with its own prompt and only the tools its job needs (at most {MAX_TOOLS}).")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    outcome: Outcome = rng.choice(["answered", "address_updated", "refunded"])
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = draw_scenario(db, rng, outcome)
        thread_id = launched(agent, case, seen)
        status, _ = status_of(agent, thread_id)
        offered = [len(set(e.request.tool_names) & set(TOOLS)) for e in model.transcript if e.request is not None]
        seen.model(model)
        got = outcome_of(db, case, called=[name for name, _ in model.transcript.tool_calls()])
        seen.happened(tools_per_call=offered, outcome=got)
        check(bool(offered) and max(offered) <= MAX_TOOLS,
              f"the model was offered {max(offered, default=0)} of the shop's {len(TOOLS)} tools in one call: a focused "
              f"agent has the few its job needs (at most {MAX_TOOLS})")
        check(got == outcome and status == "done", f"the ticket should end {outcome}; the shop shows {got} ({status})")


def _secret(rng: random.Random) -> str:
    return "whsec_" + base64.b64encode(rng.randbytes(24)).decode()


@probe(11, "webhooks_are_verified_and_run_once",
       fix="Check the Standard Webhooks signature and its time before anything else, and launch once per delivery id.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    secret, now = _secret(rng), rng.randrange(1_700_000_000, 2_000_000_000)
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = draw_scenario(db, rng, "answered")
        body = json.dumps({"type": "ticket", "ticket": ticket_data(case.ticket),
                           "reply_to": {"channel": "webhook", "address": f"https://{words(rng, 1)}.example/replies"}})
        msg_id = f"msg_{rng.getrandbits(64):016x}"
        forged = {**_signed(_secret(rng), msg_id, body, now), "webhook-id": msg_id}
        stale = _signed(secret, msg_id, body, now - rng.randrange(600, 6000))
        for what, headers in (("signed with another secret", forged), ("signed long ago", stale)):
            seen.sent(**{what: "a ticket delivery"})
            got = as_dict(agent.receive_webhook(headers, body, secret, now), "receive_webhook")
            seen.happened(**{what: got})
            check(got.get("accepted") is False and model.calls == 0,
                  f"a delivery {what} was accepted (or ran the agent): refuse it before anything happens")
        headers = _signed(secret, msg_id, body, now - rng.randrange(0, 120))
        first = as_dict(agent.receive_webhook(headers, body, secret, now), "receive_webhook")
        calls, messages = model.calls, _messages(db)
        second = as_dict(agent.receive_webhook(headers, body, secret, now + 5), "receive_webhook")
        seen.model(model)
        seen.happened(first=first, again=second, model_calls=f"{calls} then {model.calls}")
        check(first.get("accepted") is True and isinstance(first.get("thread_id"), str),
              f"a genuine delivery was refused: {first}")
        status, _ = status_of(agent, str(first["thread_id"]))
        check(status == "done" and outcome_of(db, case) == "answered",
              f"the delivered ticket should be answered; its thread reads {status!r}")
        check(model.calls == calls and _messages(db) == messages and second.get("thread_id", first["thread_id"])
              == first["thread_id"], "the same delivery, sent again, ran the agent a second time")


def _messages(db: Shop) -> int:
    return int(db.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


_FROZEN = ("import time as _t, random as _r\n"
           "_t.time = lambda: {t}.0\n_t.time_ns = lambda: {t} * 10**9\n_t.monotonic = lambda: {t}.0\n"
           "_t.perf_counter = lambda: {t}.0\n_r.seed({t})\n")


def _fold(subject: Subject, ticket: dict[str, Any], events: list[Any], clock: int) -> list[Any]:
    """Every (state, effects) of folding `events` from `start`, in a process whose clock and random say `clock`."""
    if subject.in_worker:  # never patch the grader's own clock
        subject.learner.session.request({"op": "run_cell", "source": _FROZEN.format(t=clock)})
    agent = subject.agent
    state = as_dict(agent.start(ticket), "start")
    steps: list[Any] = [state]
    for event in events:
        got = as_dict(agent.step(state, event), "step")
        check(isinstance(got.get("state"), dict) and isinstance(got.get("effects"), list),
              "`step` should return {'state': {...}, 'effects': [...]}")
        state = got["state"]
        steps.append(got)
    return steps


def _dump(db: Shop) -> str:
    return hashlib.sha256("\n".join(db.conn.iterdump()).encode()).hexdigest()


@probe(12, "reducer_is_pure",
       fix="Make step a pure function of (state, event): no clock, no randomness, no database or model inside it.")
def _(subject: Subject, rng: random.Random, seen: Seen) -> None:
    agent = subject.agent
    model = FakeModel(shop_brain)
    with world(model) as db:
        case = draw_scenario(db, rng, rng.choice(["approval_required", "refunded", "answered"]))
        thread_id = launched(agent, case, seen)
        status, events = status_of(agent, thread_id)
        before, calls = _dump(db), model.calls
        folds = []
        for clock in (rng.randrange(1_700_000_000, 1_800_000_000), rng.randrange(1_900_000_000, 2_000_000_000)):
            with subject.forked() as other:
                folds.append(_fold(other, ticket_data(case.ticket), events, clock))
        final = folds[0][-1]
        end = final.get("state", final)
        seen.happened(events=len(events), status=status, folded_status=end.get("status"))
        check(folds[0] == folds[1], "folding the same events twice, at two other times, gave different states: "
              "step reads something besides its state and event (a clock, randomness)")
        check(_dump(db) == before and model.calls == calls, "folding the events changed the shop or called the "
              "model: step should return effects for the runtime to run, not run them")
        check(end.get("status") == status, f"folding the thread's {len(events)} events ends in status "
              f"{end.get('status')!r}, but the thread reads {status!r}")
