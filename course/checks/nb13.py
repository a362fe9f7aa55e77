"""Visible checks of lesson 13, the capstone: `check("13.1")` … `check("13.3")`.

Cheap, public and worth no points; the hidden tests run the rubric's probes on drawn tickets. Each check builds the
exercise's class over the notebook's `stage_12`, calls it with plain data on a named scenario, in a fresh shop
with a fake model of its own, and checks that what comes back is plain JSON data of the protocol's shape.
"""

from __future__ import annotations

import json
from typing import Any

from course.brain import shop_brain
from course.checks.helpers import given as _given
from course.checks.helpers import world as _world
from course.grading import visible
from course.llm import FakeModel, Reply, count_message_tokens
from course.shop import SCENARIOS, ShopPolicy, outcome_of, refunded_amount
from course.triggers import new_secret, webhook_headers

_MAYA = SCENARIOS["damaged_item"]
_AISHA = SCENARIOS["where_is_my_order"].ticket
_MISTYPED = _AISHA.model_copy(update={"body": _AISHA.body.replace("1077", "1603")}).model_dump(mode="json")


def _data(case: str) -> dict[str, Any]:
    return SCENARIOS[case].ticket.model_dump(mode="json")


def _plain(value: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise AssertionError(f"{what} returned {type(value).__name__} holding something JSON cannot hold: "
                             "return plain data (model_dump(mode='json'))") from None


# --- 13.1 ToolSide -------------------------------------------------------------------------------------------------

@visible("13.1", hint="{'name': name, 'arguments': intent.model_dump(mode='json')}; catch s.ToolCallError and raise "
                      "ValueError(str(error)) from None.")
def parse_tool_call_gives_data_or_value_error(ToolSide, ns):
    tools = ToolSide(_given(ns, "stage_12"))
    got = _plain(tools.parse_tool_call("issue_refund", '{"order_id": 1042, "amount": 18.5, "reason": "damaged"}'),
                 "parse_tool_call")
    assert got == {"name": "issue_refund", "arguments": {"order_id": 1042, "amount": 18.5, "reason": "damaged"}}, (
        f"parse_tool_call('issue_refund', ...) returned {got}")
    for name, arguments in [("drop_database", "{}"), ("get_order", '{"order_id": '), ("get_order", '{"order_id": "x"}')]:
        try:
            tools.parse_tool_call(name, arguments)
        except ValueError:
            continue
        except Exception as error:
            raise AssertionError(f"parse_tool_call({name!r}, {arguments!r}) raised {type(error).__name__}, not a "
                                 "ValueError") from None
        raise AssertionError(f"parse_tool_call({name!r}, {arguments!r}) returned; it should raise ValueError")


@visible("13.1", hint="s.system_prompt(ShopPolicy.model_validate(policy)).text: the policy given, not the shop's.")
def system_prompt_follows_the_policy_given(ToolSide, ns):
    tools = ToolSide(_given(ns, "stage_12"))
    policy = ShopPolicy.load().model_copy(update={"approval_limit": 64.0, "refund_window_days": 21})
    text = tools.system_prompt(policy.model_dump(mode="json"))
    assert isinstance(text, str) and "64" in text and "21" in text, (
        "system_prompt for an approval limit of $64 and a 21-day window does not say 64 and 21: render the policy "
        "given, not the shop's")


@visible("13.1", hint="s.build_context(s.thread_for(self.ticket(ticket)), s.CONTEXT_BUDGET)")
def context_is_chat_messages(ToolSide, ns):
    tools, stage = ToolSide(_given(ns, "stage_12")), _given(ns, "stage_12")
    got = _plain(tools.context(_data("damaged_item")), "context")
    assert isinstance(got, list) and got and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in got), (
        f"context should return chat messages [{{'role': ..., 'content': ...}}], not {str(got)[:120]}")
    assert "1042" in got[-1]["content"], "the context for Maya's ticket does not hold her order number"
    tokens = count_message_tokens(tools.context(_data("long_thread")))
    assert tokens <= stage.CONTEXT_BUDGET, (
        f"the context for the 40-message long_thread ticket is {tokens:,} tokens, over CONTEXT_BUDGET "
        f"({stage.CONTEXT_BUDGET:,})")


@visible("13.1", hint="s.determine_next_step(s.thread_for(...), s.system_prompt(current_shop().policy), [], "
                      "intents=...); return {'name': s.intent_name(intent, intents), 'arguments': ...}")
def next_step_returns_the_models_choice_and_runs_nothing(ToolSide, ns):
    model = FakeModel.scripted(Reply.tool_call("issue_refund", {"order_id": 1042, "amount": 18.5, "reason": "damaged"}))
    with _world(model) as db:
        got = _plain(ToolSide(_given(ns, "stage_12")).next_step(_data("damaged_item")), "next_step")
        assert model.calls == 1, f"next_step asked the model {model.calls} times, not once"
        assert got == {"name": "issue_refund", "arguments": {"order_id": 1042, "amount": 18.5, "reason": "damaged"}}, (
            f"next_step returned {got}, not the model's issue_refund")
        assert refunded_amount(db, _MAYA) == 0, "next_step made the refund: it should only decide"


# --- 13.2 ThreadSide -----------------------------------------------------------------------------------------------

@visible("13.2", hint="launch: self.stage.launch(self.ticket(ticket)); thread: {'status': s.status_of(thread), "
                      "'events': [event.model_dump(mode='json') for event in thread.events]}")
def launch_and_thread_give_plain_data(ThreadSide, ns):
    with _world(FakeModel(shop_brain)) as db:
        runner = ThreadSide(_given(ns, "stage_12"))
        thread_id = runner.launch(_data("damaged_item"))
        assert isinstance(thread_id, str), f"launch returned {type(thread_id).__name__}, not the thread's id (a str)"
        got = _plain(runner.thread(thread_id), "thread")
        assert isinstance(got, dict) and got.get("status") == "done" and isinstance(got.get("events"), list), (
            f"thread should be {{'status': 'done', 'events': [...]}} for Maya's refund, not {str(got)[:120]}")
        assert got["events"] and all(isinstance(e, dict) and "kind" in e for e in got["events"]), (
            "the events should be the stored events as dicts, each with its kind")
        assert refunded_amount(db, _MAYA) == 18.5, "Maya's $18.50 refund was not made"


@visible("13.2", hint="pending = s.pending_request(s.load_thread(thread_id)); answer it with "
                      "s.Approval(call_id=pending[0], ...) or s.CustomerReply(call_id=pending[0], body=...)")
def resume_answers_the_pending_request(ThreadSide, ns):
    with _world(FakeModel(shop_brain)) as db:
        runner = ThreadSide(_given(ns, "stage_12"))
        waiting = runner.launch(_data("large_refund"))
        assert runner.thread(waiting)["status"] == "waiting", "Daniel's $899 refund should wait for a person"
        status = runner.resume(waiting, {"kind": "approval", "approved": True, "comment": "ok"})
        assert status == "done" and refunded_amount(db, SCENARIOS["large_refund"]) == 899.0, (
            f"approved, Daniel's refund ended {status!r} with ${refunded_amount(db, SCENARIOS['large_refund']):.2f}")
    with _world(FakeModel(shop_brain)) as db:
        runner = ThreadSide(_given(ns, "stage_12"))
        denied = runner.launch(_data("large_refund"))
        status = runner.resume(denied, {"kind": "approval", "approved": False, "comment": "no photos"})
        assert status == "done" and refunded_amount(db, SCENARIOS["large_refund"]) == 0, (
            f"denied, Daniel's refund ended {status!r} with ${refunded_amount(db, SCENARIOS['large_refund']):.2f}")
        for answer in ({"kind": "approval", "approved": True}, {"kind": "vote"}):
            try:
                runner.resume(denied, answer)
            except ValueError:
                continue
            raise AssertionError(f"resume of a thread that is not waiting, with {answer}, should raise ValueError")
        asked = runner.launch(_MISTYPED)
        assert runner.thread(asked)["status"] == "waiting", "Aisha's mistyped order number should wait for her answer"
        status = runner.resume(asked, {"kind": "reply", "body": "Sorry, it's order 1077."})
        answered = outcome_of(db, SCENARIOS["where_is_my_order"])
        assert status == "done" and answered == "answered", (
            f"after Aisha's reply (the right order number) the thread ended {status!r} and the shop shows "
            f"{answered!r}, not her parcel's news")


# --- 13.3 CourseAgent ----------------------------------------------------------------------------------------------

def _delivery(case: str) -> str:
    return json.dumps({"type": "ticket", "ticket": _data(case),
                       "reply_to": {"channel": "webhook", "address": "https://example.com/replies"}})


@visible("13.3", hint="verify with s.verify_webhook(headers, body.encode(), secret, now); a WebhookRejected gives "
                      "{'accepted': False, ...}; else s.trigger(ticket, origin, headers['webhook-id'])")
def receive_webhook_verifies_then_runs_once(CourseAgent, ns):
    secret, now, body = new_secret(), 1_800_000_000, _delivery("where_is_my_order")
    model = FakeModel(shop_brain)
    with _world(model):
        agent = CourseAgent(_given(ns, "stage_12"))
        forged = agent.receive_webhook(webhook_headers(new_secret(), "msg_9", body, now), body, secret, now)
        assert forged.get("accepted") is False and model.calls == 0, f"a forged delivery gave {forged}"
        stale = agent.receive_webhook(webhook_headers(secret, "msg_9", body, now - 3600), body, secret, now)
        assert stale.get("accepted") is False, f"a delivery signed an hour before `now` gave {stale}: use `now`"
        signed = webhook_headers(secret, "msg_9", body, now)
        first = _plain(agent.receive_webhook(signed, body, secret, now), "receive_webhook")
        calls = model.calls
        again = agent.receive_webhook(signed, body, secret, now)
        assert first.get("accepted") is True and isinstance(first.get("thread_id"), str), f"a genuine delivery gave {first}"
        assert model.calls == calls and again.get("thread_id") == first["thread_id"], "the same delivery ran twice"


@visible("13.3", hint="start: s.start(self.ticket(ticket), current_shop().policy).model_dump(mode='json'); step: "
                      "s.step(s.State.model_validate(state), TypeAdapter(s.Event).validate_python(event))")
def the_fold_ends_in_the_threads_status(CourseAgent, ns):
    with _world(FakeModel(shop_brain)):
        agent = CourseAgent(_given(ns, "stage_12"))
        thread_id = agent.launch(_data("large_refund"))
        state = _plain(agent.start(_data("large_refund")), "start")
        assert isinstance(state, dict) and state.get("status") == "working", f"start returned {str(state)[:120]}"
        for event in agent.thread(thread_id)["events"]:
            got = _plain(agent.step(state, event), "step")
            assert isinstance(got, dict) and {"state", "effects"} <= set(got), f"step returned {str(got)[:120]}"
            state = got["state"]
        assert state.get("status") == "waiting", (
            f"folding Daniel's thread ends in {state.get('status')!r}; the thread reads 'waiting'")


__all__: list[str] = []  # the checks register themselves with course.grading.visible on import
