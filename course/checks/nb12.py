"""Visible checks of lesson 12, the stateless reducer: `check("12.1")` … `check("12.3")`.

Cheap, public and worth no points; the hidden tests carry the points. The checks build their states and
events from the notebook's own classes; the checks of 12.2 use a simple stand-in of their own for `evolve`,
and the checks of 12.3 a reducer of their own (your functions are put back afterwards), so each judges one
exercise. A check that runs the agent uses a fresh shop and its own fake model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from course.checks.helpers import given as _given
from course.checks.helpers import swapped as _swapped
from course.grading import visible
from course.shop import SCENARIOS, ShopPolicy

_POLICY = ShopPolicy(shop_name="Larkspur Supply", support_email="help@larkspur.example", approval_limit=75.5)
_TICKET = SCENARIOS["damaged_item"].ticket


def _events(ns: Any, *data: dict[str, Any]) -> list[Any]:
    return [_given(ns, "EVENT").validate_python(item) for item in data]


def _call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"kind": "tool_call", "name": name, "arguments": json.dumps(arguments, separators=(",", ":"))}


def _start(ns: Any) -> list[dict[str, Any]]:
    return [{"kind": "ticket", "subject": _TICKET.subject, "body": _TICKET.body, "customer_email": _TICKET.customer_email},
            _call("get_order", order_id=1042),
            {"kind": "tool_result", "name": "get_order", "result": json.dumps({"order_id": 1042})}]


def _thread(ns: Any, data: list[dict[str, Any]]) -> Any:
    return _given(ns, "Thread")(ticket=_TICKET, events=_events(ns, *data))


def _fold(data: list[dict[str, Any]]) -> tuple[str, int]:
    status, errors = "working", 0
    for event in data:
        kind = event["kind"]
        status = ("done" if kind == "finished" else "working" if kind != "tool_call" else
                  "waiting" if event["name"] in ("request_approval", "ask_customer", "escalate") else "interrupted")
        errors = errors + 1 if kind == "tool_error" else errors if kind == "tool_call" else 0
    return status, errors


# --- 12.1 evolve and replay ------------------------------------------------------------------------------------

_FAILING = [_call("issue_refund", order_id=1042, amount=20.0, reason="damaged"),
            {"kind": "tool_error", "name": "issue_refund", "error": "PaymentProviderDown: try later."},
            _call("issue_refund", order_id=1042, amount=20.0, reason="damaged"),
            {"kind": "tool_error", "name": "issue_refund", "error": "PaymentProviderDown: try later."}]


@visible("12.1", hint="status from the last event (Finished: done; ToolRequested: waiting if in HUMAN_TOOLS, else "
                      "interrupted; else working); errors +1 on ToolFailed, kept on ToolRequested, else 0.")
def replay_folds_status_and_errors(replay, ns):
    cases = [_start(ns), _start(ns) + _FAILING, _start(ns) + _FAILING[:3],
             _start(ns) + _FAILING[:2] + [{"kind": "tool_result", "name": "get_order", "result": "{}"}],
             _start(ns) + [_call("ask_customer", question="Which one?", options=[], urgency="normal", channel="email")],
             _start(ns) + [{"kind": "finished", "summary": "Done."}]]
    for data in cases:
        state = replay(_thread(ns, data), _POLICY)
        kinds = [event["kind"] for event in data]
        assert [event.kind for event in state.thread.events] == kinds, (
            f"replay of {kinds} holds {[event.kind for event in state.thread.events]}")
        assert (state.status, state.errors) == _fold(data), (
            f"replay of {kinds[-3:]}… folds to status {state.status!r}, {state.errors} errors; not "
            f"{_fold(data)[0]!r}, {_fold(data)[1]}")
        assert state.policy == _POLICY, "the state's policy is not the one given to replay"


@visible("12.1", hint="thread = state.thread.model_copy(update={'events': [*state.thread.events, event]}); "
                      "return state.model_copy(update={...}).")
def evolve_leaves_its_input_unchanged(evolve, ns):
    state = _given(ns, "start")(_TICKET, _POLICY)
    for data in _start(ns) + _FAILING + [{"kind": "tool_result", "name": "send_message", "result": "{}"}] + _FAILING:
        before = state.model_dump()
        (event,) = _events(ns, data)
        after = evolve(state, event)
        assert state.model_dump() == before, f"evolve(state, <{data['kind']}>) changed the state it was given"
        assert len(after.thread.events) == len(state.thread.events) + 1, "evolve should add exactly one event"
        state = after
    assert (state.status, state.errors) == ("working", 2), (
        f"after two failed refunds, a result, then two failed refunds again, the state says {state.status!r}, "
        f"{state.errors} errors; not 'working', 2 (a result ends a run of errors)")


# --- 12.2 step --------------------------------------------------------------------------------------------------

def _plain_evolve(ns: Any):
    def evolve(state, event):
        events = [*state.thread.events, event]
        status, _ = _fold([e.model_dump() for e in events])
        errors = state.errors + 1 if event.kind == "tool_error" else state.errors if event.kind == "tool_call" else 0
        return state.model_copy(update={"thread": state.thread.model_copy(update={"events": events}),
                                        "status": status, "errors": errors})
    return evolve


def _state(ns: Any, data: list[dict[str, Any]], policy: ShopPolicy = _POLICY) -> Any:
    status, errors = _fold(data)
    return _given(ns, "State")(thread=_thread(ns, data), policy=policy, status=status, errors=errors)


def _chosen(ns: Any, name: str, **arguments: Any) -> Any:
    intents = {**_given(ns, "AGENT_INTENTS"), "transfer_to_triage": _given(ns, "Transfer")}
    return _given(ns, "Chosen")(name=name, intent=intents[name].model_validate(arguments))


def _said(effects: list[Any]) -> list[str]:
    return [f"store:{e.event.kind}:{getattr(e.event, 'name', '')}" if e.kind == "store" else
            f"stop:{e.status}" if e.kind == "stop" else e.kind for e in effects]


@contextmanager
def _pure(ns: Any) -> Iterator[None]:
    with _swapped(ns, evolve=_plain_evolve(ns)):
        yield


@visible("12.2", hint="Done: store Finished, Stop('done'); a tool: store the call, RunTool; a person: store the "
                      "call, Stop('waiting'); IssueRefund: what guard rules; Transfer: the call and its result.")
def each_choice_is_answered(step, ns):
    cases = [("done", {"summary": "Answered."}, ["store:finished:", "stop:done"]),
             ("get_order", {"order_id": 1042}, ["store:tool_call:get_order", "run_tool"]),
             ("ask_customer", {"question": "Which?", "options": [], "urgency": "normal", "channel": "email"},
              ["store:tool_call:ask_customer", "stop:waiting"]),
             ("issue_refund", {"order_id": 1042, "amount": 20.0, "reason": "damaged"},
              ["store:tool_call:issue_refund", "run_tool"]),
             ("issue_refund", {"order_id": 1042, "amount": 80.0, "reason": "damaged"},
              ["store:tool_call:issue_refund", "store:tool_error:issue_refund", "store:tool_call:request_approval",
               "stop:waiting"]),
             ("transfer_to_triage", {"reason": "Not a refund."},
              ["store:tool_call:transfer_to_triage", "store:tool_result:transfer_to_triage", "stop:working"])]
    with _pure(ns):
        for name, arguments, want in cases:
            state = _state(ns, _start(ns))
            after, effects = step(state, _chosen(ns, name, **arguments))
            assert _said(effects) == want, f"step on the choice {name}{arguments} answered {_said(effects)}, not {want}"
            assert len(after.thread.events) == 3 + sum(1 for e in effects if e.kind == "store"), (
                f"on {name}, the new state does not hold the events step stores")
        _, effects = step(_state(ns, _start(ns)), _chosen(ns, "issue_refund", order_id=1042, amount=80.5, reason="damaged"))
        error = effects[1].event.error if len(effects) > 1 and effects[1].kind == "store" else None
        want = ("Failed: a refund of $80.50 needs a person's approval first (the limit is $75.50). A person was asked; "
                "wait for their answer.")
        assert error == want, f"a refund of $80.50 above a $75.50 limit stored the error {error!r}, not {want!r}"
        refunded = _start(ns) + [_call("issue_refund", order_id=1042, amount=20.0, reason="damaged"),
                                 {"kind": "tool_result", "name": "issue_refund", "result": json.dumps({"order_id": 1042})}]
        _, effects = step(_state(ns, refunded), _chosen(ns, "issue_refund", order_id=1042, amount=20.0, reason="damaged"))
        assert _said(effects) == ["store:tool_call:issue_refund", "store:tool_error:issue_refund", "ask_model"], (
            f"a second refund of order 1042 was answered {_said(effects)}: guard refuses it, then ask the model")
        _, effects = step(_state(ns, _start(ns), ShopPolicy(shop_name="X", support_email="x@x.example",
                                                              approval_limit=10.0)),
                          _chosen(ns, "issue_refund", order_id=1042, amount=20.0, reason="damaged"))
        assert _said(effects)[-1] == "stop:waiting", (
            "a $20 refund with the state's approval limit at $10 went through: read the rules from state.policy")


@visible("12.2", hint="Any other event: state = evolve(state, event); then Stop / RunTool / escalate after "
                      "MAX_ERRORS errors in a row / AskModel, from the new state.")
def after_an_event_step_says_what_next(step, ns):
    third = _start(ns) + _FAILING + [_call("issue_refund", order_id=1042, amount=20.0, reason="damaged")]
    cases = [(_start(ns)[:2], {"kind": "tool_result", "name": "get_order", "result": "{}"}, ["ask_model"]),
             (_start(ns), _call("track_shipment", order_id=1042), ["run_tool"]),
             (third, {"kind": "tool_error", "name": "issue_refund", "error": "PaymentProviderDown: down."},
              ["store:tool_call:escalate", "stop:waiting"])]
    with _pure(ns):
        for data, event, want in cases:
            (fed,) = _events(ns, event)
            after, effects = step(_state(ns, data), fed)
            assert _said(effects) == want, f"step after a stored {event['kind']} answered {_said(effects)}, not {want}"
            assert after.thread.events[len(data)] == fed, "the new state does not hold the event step was fed"
            if want[0] == "store:tool_call:escalate":
                escalation = json.loads(effects[0].event.arguments)
                reason = f"3 errors in a row; the last: {event['error']}"
                assert escalation.get("reason") == reason and escalation.get("urgency") == "high", (
                    f"the escalation says {escalation}: the reason should be {reason!r}, the urgency 'high'")


class _OutOfReach:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"step used time/random/the store ({name}): it must use only its arguments")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("step called the shop or the store: it must use only its arguments")


@visible("12.2", hint="No current_shop(), load_thread, time or random in step; return a new state; keep nothing "
                      "between calls.")
def step_is_pure(step, ns):
    away = {name: _OutOfReach() for name in ("time", "random", "current_shop", "store", "load_thread", "append_event")}
    with _pure(ns), _swapped(ns, **away):
        for make in (lambda: _chosen(ns, "issue_refund", order_id=1042, amount=20.0, reason="damaged"),
                     lambda: _chosen(ns, "issue_refund", order_id=1042, amount=90.0, reason="damaged"),
                     lambda: _chosen(ns, "done", summary="Handled."),
                     lambda: _chosen(ns, "transfer_to_triage", reason="Not a refund.")):
            state, event = _state(ns, _start(ns)), make()
            before = state.model_dump()
            first, second = step(state, event), step(state, event)
            assert state.model_dump() == before, "step changed the state it was given"
            assert _said(first[1]) == _said(second[1]) and first[0] == second[0], (
                "step answered the same state and event two ways: it keeps something between calls")
        state = _state(ns, _start(ns)[:2])
        (result,) = _events(ns, {"kind": "tool_result", "name": "get_order", "result": "{}"})
        answers = {repr(_said(step(state, result)[1])) for _ in range(20)}
        assert answers == {"['ask_model']"}, (
            f"step, called 20 times on the same result, answered {sorted(answers)}: it keeps something between calls "
            "(the step budget is the runtime's)")


# --- 12.3 diverges_at ------------------------------------------------------------------------------------------

class _Recorded:
    """A reducer that stores what the log recorded for each choice, and can be told to store something else."""

    def __init__(self, ns: Any, turns: list[list[dict[str, Any]]], wrong_at: int | None = None,
                 more_at: int | None = None, world_at: int | None = None,
                 wrong: list[dict[str, Any]] | None = None) -> None:
        self.ns, self.turns, self.wrong_at, self.more_at, self.world_at = ns, turns, wrong_at, more_at, world_at
        self.wrong = wrong or [{"kind": "finished", "summary": "Something else."}]
        self.fed: list[str] = []
        self.turn = -1

    def __call__(self, state, fed):
        ns = self.ns
        if fed.kind == "chosen":
            self.turn += 1
            self.fed.append(f"chosen:{fed.name}")
            stored = self.turns[self.turn]
            if self.turn == self.wrong_at:
                stored = self.wrong
            if self.turn == self.more_at:
                stored = [*stored, _call("send_message", body="One more.")]
            events = _events(ns, *stored)
            last = events[-1]
            then = (_given(ns, "Stop")(status="done") if last.kind == "finished"
                    else _given(ns, "Stop")(status="working") if last.kind == "tool_result"
                    else _given(ns, "RunTool")(call=last))
            return state, [*(_given(ns, "Store")(event=e) for e in events), then]
        self.fed.append(fed.kind)
        if fed.kind != "ticket" and self.turn == self.world_at:
            (extra,) = _events(ns, {"kind": "tool_error", "name": "send_message", "error": "Something else."})
            return state, [_given(ns, "Store")(event=extra), _given(ns, "AskModel")()]
        return state, [_given(ns, "AskModel")()]


_TURNS = [[_call("get_order", order_id=1042)], [_call("send_message", body="Refunded.")],
          [{"kind": "finished", "summary": "Done."}]]
_WORLD = [[{"kind": "tool_result", "name": "get_order", "result": "{}"}],
          [{"kind": "tool_result", "name": "send_message", "result": "{}"}], []]


def _log(ns: Any, turns: list[list[dict[str, Any]]] = _TURNS, world: list[list[dict[str, Any]]] = _WORLD) -> Any:
    data = _start(ns)[:1]
    for stored, fed in zip(turns, world, strict=True):
        data += stored + fed
    return _thread(ns, data)


# handed back to triage, then escalated by the runtime (no agent could serve it): a call the model did not choose
_BOUNCED = [_TURNS[0], [_call("transfer_to_triage", reason="Not a refund."),
                        {"kind": "tool_result", "name": "transfer_to_triage", "result": json.dumps({"agent": "triage"})}],
            _TURNS[2]]
_BOUNCED_WORLD = [_WORLD[0], [_call("escalate", reason="Handed back twice.", urgency="high")], []]


@visible("12.3", hint="After AskModel, feed model_choice(events[k]) and check each Store against events[k]; "
                      "otherwise feed events[k] itself and move on.")
def a_reproduced_log_gives_none(diverges_at, ns):
    reducer = _Recorded(ns, _TURNS)
    got = diverges_at(_log(ns), _POLICY, reducer)
    want = ["ticket", "chosen:get_order", "tool_result", "chosen:send_message", "tool_result", "chosen:done"]
    assert reducer.fed == want, f"the reducer was fed {reducer.fed}, not {want}"
    assert got is None, f"a log the reducer reproduces gave {got!r}, not None"
    with _swapped(ns, step=_Recorded(ns, _TURNS)):
        assert diverges_at(_log(ns), _POLICY) is None, "with no reducer given, diverges_at should use step"
    reducer = _Recorded(ns, _BOUNCED)
    got = diverges_at(_log(ns, _BOUNCED, _BOUNCED_WORLD), _POLICY, reducer)
    want = ["ticket", "chosen:get_order", "tool_result", "chosen:transfer_to_triage", "tool_call", "chosen:done"]
    assert reducer.fed == want and got is None, (
        f"a log handed back to triage, then escalated, fed the reducer {reducer.fed} and gave {got!r}, not {want} "
        "and None: a recorded call is the model's choice only right after an AskModel")


@visible("12.3", hint="Return `begun`: the position where the step that stored something else began.")
def the_first_divergence_is_found(diverges_at, ns):
    for turn, want in ((1, 3), (2, 5)):
        got = diverges_at(_log(ns), _POLICY, _Recorded(ns, _TURNS, wrong_at=turn))
        assert got == want, f"a reducer that stores something else for choice {turn + 1} gave {got!r}, not {want}"
    got = diverges_at(_log(ns), _POLICY, _Recorded(ns, _TURNS, wrong_at=1, wrong=_TURNS[0]))
    assert got == 3, (f"a reducer that stores the get_order call (recorded at 1) again for choice 2 gave {got!r}, not "
                      "3: each Store must be the next recorded event, not one anywhere in the log")
    got = diverges_at(_log(ns), _POLICY, _Recorded(ns, _TURNS, world_at=0))
    assert got == 2, f"a reducer that stores an event after the first tool's result (position 2) gave {got!r}, not 2"
    got = diverges_at(_log(ns), _POLICY, _Recorded(ns, _TURNS, more_at=2))
    assert got == 5, f"a reducer that stores one event more than the log holds, at its last step (5), gave {got!r}"


__all__: list[str] = []  # the checks register themselves with course.grading.visible on import
