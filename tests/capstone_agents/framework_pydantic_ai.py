"""An agent built with pydantic-ai on the course's model (`course.llm.async_client()`), behind the capstone protocol.

The framework runs the loop: tools from typed functions, retries when a tool asks for one (`ModelRetry`),
human-in-the-loop through deferred tools (`ApprovalRequired`, `CallDeferred`) and a message history that
serialises to JSON. This file adds what the protocol asks and the framework leaves to you: a prompt rendered
from the shop's policy, a first message it renders itself (cards redacted, the oldest history dropped to fit a
window; a history processor redacts every user message the framework sends again), the store (the serialised
history in the shop's database), a refund limit (the tool asks for approval over it) and a cap on errors (the
tools' retries). It has one agent with every tool, no webhook and no reducer.
"""
import json
import re
import uuid
from dataclasses import dataclass

from pydantic_ai import (
    Agent,
    ApprovalRequired,
    CallDeferred,
    DeferredToolRequests,
    DeferredToolResults,
    ModelRetry,
    RunContext,
    Tool,
    ToolDenied,
    capture_run_messages,
)
from pydantic_ai.capabilities import ProcessHistory
from pydantic_ai.direct import model_request_sync
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessagesTypeAdapter, ModelRequest, ToolCallPart, UserPromptPart
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_core import ValidationError

from course.llm import async_client, count_message_tokens, model_name
from course.shop import ShopError, ShopPolicy, current_shop
from course.shop import tools as shop

PROMPT = ("You are the support agent of {shop_name}. Refunds are possible up to {refund_window_days} days after "
          "delivery; a refund over ${approval_limit:g} needs a person's approval. Use the tools; ask the customer "
          "(ask_customer) when something is missing; reply in plain text when the ticket is handled.")
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
WINDOW = 2_500


@dataclass
class Ticket:
    email: str


def _shop_call(call, *args):
    """A shop error becomes a retry the model reads; the framework counts the retries."""
    try:
        return call(*args).model_dump(mode="json")
    except ShopError as error:
        raise ModelRetry(f"{type(error).__name__}: {error}") from None


def get_order(order_id: int) -> dict:
    """Look up an order: items, total, refunds so far, dates and shipment."""
    return _shop_call(shop.get_order, order_id)


def check_refund_policy(order_id: int, amount: float) -> dict:
    """Check whether an amount may be refunded on an order, and whether a person must approve it."""
    return _shop_call(shop.check_refund_policy, order_id, amount)


def issue_refund(ctx: RunContext[Ticket], order_id: int, amount: float, reason: str) -> dict:
    """Refund an amount in dollars on an order. Over the approval limit, a person approves it first."""
    if current_shop().policy.needs_approval(amount) and not ctx.tool_call_approved:
        raise ApprovalRequired
    return _shop_call(shop.issue_refund, order_id, amount, reason, f"refund-{order_id}-{round(amount * 100)}")


def track_shipment(order_id: int) -> dict:
    """Where an order's parcel is: carrier, status and estimated delivery."""
    return _shop_call(shop.track_shipment, order_id)


def send_message(ctx: RunContext[Ticket], body: str) -> dict:
    """Send the customer a message: the answer to their ticket."""
    return _shop_call(shop.send_message, ctx.deps.email, body)


def update_address(ctx: RunContext[Ticket], address: str) -> dict:
    """Change the customer's postal address."""
    return _shop_call(shop.update_address, ctx.deps.email, address)


def ask_customer(question: str) -> str:
    """Ask the customer a question and wait for their answer."""
    raise CallDeferred


TOOLS = [Tool(f, max_retries=2) for f in (get_order, check_refund_policy, issue_refund, track_shipment, send_message,
                                           update_address, ask_customer)]


def _redacted(messages):
    """A history processor: what the model sees has no card number, and the oldest earlier messages go first."""
    for message in messages:
        for part in getattr(message, "parts", []):
            if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                part.content = CARD.sub("[card]", part.content)
    return messages


def _model():
    return OpenAIChatModel(model_name(), provider=OpenAIProvider(openai_client=async_client()))


def _prompt(ticket: dict) -> str:
    history = [f"[{m['sent_on']}] {m['sender']}: {m['body']}" for m in ticket.get("history", [])]
    newest = f"Subject: {ticket['subject']}\n{ticket['body']}"
    while True:
        text = CARD.sub("[card]", "\n".join([*history, newest]))
        if count_message_tokens([{"role": "user", "content": text}]) <= WINDOW or not history:
            return text
        history = history[1:]


framework = Agent(output_type=[str, DeferredToolRequests], deps_type=Ticket, tools=TOOLS,
                  capabilities=[ProcessHistory(_redacted)],
              instructions=lambda: PROMPT.format(**current_shop().policy.model_dump()))


class PydanticAIAgent:
    def parse_tool_call(self, name, arguments):
        tool = next((t for t in TOOLS if t.name == name), None)
        if tool is None:
            raise ValueError(f"no tool {name!r}")
        try:
            parsed = tool.function_schema.validator.validate_json(arguments or "{}")
        except ValidationError as error:
            raise ValueError(str(error)) from None
        return {"name": name, "arguments": parsed}

    def system_prompt(self, policy):
        return PROMPT.format(**ShopPolicy.model_validate(policy).model_dump())

    def context(self, ticket):
        return [{"role": "user", "content": _prompt(ticket)}]

    def next_step(self, ticket):
        response = model_request_sync(_model(), [ModelRequest.user_text_prompt(_prompt(ticket))],
                                      model_request_parameters=ModelRequestParameters(
                                          function_tools=[t.tool_def for t in TOOLS]))
        call = next((p for p in response.parts if isinstance(p, ToolCallPart)), None)
        if call is None:
            return {"name": "done", "arguments": {}}
        return {"name": call.tool_name, "arguments": call.args_as_dict()}

    # -- the store: the framework's message history, as JSON, in the shop's database ------------------------
    def _db(self):
        conn = current_shop().conn
        conn.execute("CREATE TABLE IF NOT EXISTS pai_threads (id TEXT PRIMARY KEY, email TEXT, status TEXT, "
                     "pending TEXT, messages TEXT)")
        return conn

    def _run(self, thread_id, email, **run):
        with capture_run_messages() as messages:
            try:
                result = framework.run_sync(deps=Ticket(email), model=_model(), **run)
            except UnexpectedModelBehavior:  # a tool out of retries: a person takes over
                return self._save(thread_id, "waiting", {"escalated": True}, messages)
        pending = {}
        if isinstance(result.output, DeferredToolRequests):
            pending = {"approvals": [c.tool_call_id for c in result.output.approvals],
                       "calls": [c.tool_call_id for c in result.output.calls]}
        return self._save(thread_id, "waiting" if pending else "done", pending, result.all_messages())

    def _save(self, thread_id, status, pending, messages):
        self._db().execute("UPDATE pai_threads SET status = ?, pending = ?, messages = ? WHERE id = ?",
                           (status, json.dumps(pending), ModelMessagesTypeAdapter.dump_json(messages).decode(),
                            thread_id))
        return status

    def launch(self, ticket):
        thread_id = f"pai-{uuid.uuid4().hex[:12]}"
        self._db().execute("INSERT INTO pai_threads VALUES (?, ?, 'working', '{}', '[]')",
                           (thread_id, ticket["customer_email"]))
        self._run(thread_id, ticket["customer_email"], user_prompt=_prompt(ticket))
        return thread_id

    def thread(self, thread_id):
        row = self._db().execute("SELECT status, messages FROM pai_threads WHERE id = ?", (thread_id,)).fetchone()
        if row is None:
            raise KeyError(f"no thread {thread_id}")
        return {"status": row[0], "events": json.loads(row[1])}

    def resume(self, thread_id, answer):
        email, status, pending, messages = self._db().execute(
            "SELECT email, status, pending, messages FROM pai_threads WHERE id = ?", (thread_id,)).fetchone()
        pending = json.loads(pending)
        if status != "waiting":
            raise ValueError(f"thread {thread_id} is not waiting")
        if answer.get("kind") == "approval" and pending.get("approvals"):
            verdict = True if answer.get("approved") else ToolDenied("RefundRejected: a person declined this refund.")
            results = DeferredToolResults(approvals={pending["approvals"][0]: verdict})
        elif answer.get("kind") == "reply" and pending.get("calls"):
            results = DeferredToolResults(calls={pending["calls"][0]: answer.get("body", "")})
        else:
            raise ValueError(f"thread {thread_id} is not waiting for {answer.get('kind')!r}")
        history = ModelMessagesTypeAdapter.validate_json(messages)
        return self._run(thread_id, email, message_history=history, deferred_tool_results=results)


agent = PydanticAIAgent()
