"""The capstone's contract: what an agent offers so the rubric can score it on the twelve factors.

An agent is gradable when it has the methods of `SupportAgent` below, whatever it is built with: the
course's stages behind lesson 13's `CourseAgent`, code written from scratch, or a framework on the course's
model (`course.llm.client()`). Everything that crosses the protocol is plain JSON data (dicts, lists,
strings, numbers), so the rubric never needs the course's classes and never reads an agent's objects.

A method the agent does not have (or that raises `NotImplementedError`) costs the probes that need it,
with "not implemented" in the report; it never stops the rest. The shapes, with an example each, are on
one page: docs/capstone.md.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["STATUSES", "Json", "Status", "SupportAgent"]

Json = Any  # plain JSON data: dict, list, str, int, float, bool or None
Status = Literal["working", "waiting", "interrupted", "done"]
STATUSES: tuple[str, ...] = ("working", "waiting", "interrupted", "done")


@runtime_checkable
class SupportAgent(Protocol):
    """The entry points the rubric calls, one or two per factor (the factor's number in brackets).

    The shop and the model are the caller's: the agent reaches them through `course.shop.current_shop()`
    and `course.llm.client()`, never through its own copies, and keeps its threads in the current shop's
    database (a restart of the process must lose nothing).
    """

    def parse_tool_call(self, name: str, arguments: str) -> dict[str, Json]:
        """[1] The model's tool call as {"name": ..., "arguments": {...}}, validated against the tool's schema.

        Raises ValueError (or a subclass) for a tool the agent does not have, or arguments that are not
        JSON or do not fit the tool."""
        ...

    def system_prompt(self, policy: dict[str, Json]) -> str:
        """[2] The system prompt the agent sends for a shop with this policy (ShopPolicy's fields)."""
        ...

    def context(self, ticket: dict[str, Json]) -> list[dict[str, Json]]:
        """[3] The chat messages (after the system prompt) the agent would send the model for a new ticket."""
        ...

    def next_step(self, ticket: dict[str, Json]) -> dict[str, Json]:
        """[4] Ask the model once for the next step on a new ticket; return it as {"name", "arguments"}
        (its own "done" step included). Nothing is executed."""
        ...

    def launch(self, ticket: dict[str, Json]) -> str:
        """[5, 6] Store a new thread for the ticket and run it until it pauses or ends; its id."""
        ...

    def thread(self, thread_id: str) -> dict[str, Json]:
        """[5] The stored thread, read from the store: {"status": one of STATUSES, "events": [{...}, ...]}."""
        ...

    def resume(self, thread_id: str, answer: dict[str, Json]) -> str:
        """[6, 7] Record a person's answer to the thread's pending question and run on; the new status.

        {"kind": "approval", "approved": true, "comment": "..."} answers a request for approval;
        {"kind": "reply", "body": "..."} is the customer's reply to a question. Raises ValueError when
        the thread is not waiting for that kind of answer."""
        ...

    def receive_webhook(self, headers: dict[str, str], body: str, secret: str, now: int) -> dict[str, Json]:
        """[11] A webhook delivery (Standard Webhooks signature, checked at time `now`):
        {"accepted": true, "thread_id": ...} after launching (once per delivery id), or
        {"accepted": false, "error": "..."} and nothing happens."""
        ...

    def start(self, ticket: dict[str, Json]) -> dict[str, Json]:
        """[12] The reducer's state before any event; like every state, a dict with a "status" key."""
        ...

    def step(self, state: dict[str, Json], event: dict[str, Json]) -> dict[str, Json]:
        """[12] The reducer: {"state": the next state, "effects": [...]} for one of the thread's own events
        (as `thread` lists them). Pure: the same state and event always give the same answer, and nothing
        outside it changes. Folding a thread's events from `start` ends in the thread's status."""
        ...

