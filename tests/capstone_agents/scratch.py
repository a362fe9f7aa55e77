"""An agent written from scratch against the capstone protocol: none of the course's stages, only the shop's
tools (course.shop), the course's model seam (course.llm.client) and about a hundred lines of its own.

It owns factors 1-6: typed tool calls, a prompt template, a context it builds and trims itself, a step the
model returns as data, threads stored as chat messages in the shop's database, and a pause for a person's
approval that a restart does not lose. It has no guard, no error handling, one agent with every tool, no
webhook and no reducer: the rubric should give it factors 1-6 and nothing more.
"""
import json
import re
import uuid

from pydantic import ValidationError

from course.llm import client, count_message_tokens, model_name
from course.shop import TOOLS, ShopPolicy, current_shop

APPROVAL = {"type": "function", "function": {
    "name": "request_approval", "description": "Ask a person to approve a refund over the limit, then wait.",
    "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}, "amount": {"type": "number"}},
                   "required": ["order_id", "amount"]}}}
SCHEMAS = [tool.schema() for tool in TOOLS.values()] + [APPROVAL]
PROMPT = ("You are the support agent of {shop_name}. Refunds are possible up to {refund_window_days} days after "
          "delivery; a refund over ${approval_limit:g} needs a person's approval (request_approval). Use the tools; "
          "reply in plain text when the ticket is handled.")
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
BUDGET = 2_500


class ScratchAgent:
    def parse_tool_call(self, name, arguments):
        if name not in TOOLS:
            raise ValueError(f"no tool {name!r}")
        try:
            parsed = TOOLS[name].input.model_validate_json(arguments)
        except ValidationError as error:
            raise ValueError(str(error)) from None
        return {"name": name, "arguments": parsed.model_dump(mode="json")}

    def system_prompt(self, policy):
        return PROMPT.format(**ShopPolicy.model_validate(policy).model_dump())

    def context(self, ticket):
        history = [f"[{m['sent_on']}] {m['sender']}: {m['body']}" for m in ticket.get("history", [])]
        newest = f"Subject: {ticket['subject']}\n{ticket['body']}"
        while True:
            text = CARD.sub("[card]", "\n".join(history + [newest]))
            messages = [{"role": "user", "content": text}]
            if count_message_tokens(messages) <= BUDGET or not history:
                return messages
            history = history[1:]

    def _ask(self, messages):
        prompt = self.system_prompt(current_shop().policy.model_dump())
        reply = client().chat.completions.create(model=model_name(), tools=SCHEMAS,
                                                 messages=[{"role": "system", "content": prompt}, *messages])
        return reply.choices[0].message

    def next_step(self, ticket):
        message = self._ask(self.context(ticket))
        if not message.tool_calls:
            return {"name": "done", "arguments": {"summary": message.content or ""}}
        call = message.tool_calls[0].function
        return self.parse_tool_call(call.name, call.arguments)

    # -- the store: one row per thread, one per chat message, in the shop's own database ------------------
    def _db(self):
        conn = current_shop().conn
        conn.execute("CREATE TABLE IF NOT EXISTS scratch_threads (id TEXT PRIMARY KEY, status TEXT, email TEXT)")
        conn.execute("CREATE TABLE IF NOT EXISTS scratch_messages (thread_id TEXT, seq INTEGER, data TEXT)")
        return conn

    def _add(self, thread_id, message):
        conn = self._db()
        seq = conn.execute("SELECT count(*) FROM scratch_messages WHERE thread_id = ?", (thread_id,)).fetchone()[0]
        conn.execute("INSERT INTO scratch_messages VALUES (?, ?, ?)", (thread_id, seq, json.dumps(message)))

    def _set(self, thread_id, status):
        self._db().execute("UPDATE scratch_threads SET status = ? WHERE id = ?", (status, thread_id))
        return status

    def thread(self, thread_id):
        conn = self._db()
        row = conn.execute("SELECT status FROM scratch_threads WHERE id = ?", (thread_id,)).fetchone()
        if row is None:
            raise KeyError(f"no thread {thread_id}")
        rows = conn.execute("SELECT data FROM scratch_messages WHERE thread_id = ? ORDER BY seq", (thread_id,))
        return {"status": row[0], "events": [json.loads(data) for (data,) in rows]}

    def launch(self, ticket):
        thread_id = f"scratch-{uuid.uuid4().hex[:12]}"
        self._db().execute("INSERT INTO scratch_threads VALUES (?, 'working', ?)", (thread_id, ticket["customer_email"]))
        for message in self.context(ticket):
            self._add(thread_id, message)
        self._run(thread_id)
        return thread_id

    def _run(self, thread_id, max_steps=12):
        email = self._db().execute("SELECT email FROM scratch_threads WHERE id = ?", (thread_id,)).fetchone()[0]
        for _ in range(max_steps):
            message = self._ask(self.thread(thread_id)["events"])
            if not message.tool_calls:
                return self._set(thread_id, "done")
            call = message.tool_calls[0]
            self._add(thread_id, {"role": "assistant", "content": None, "tool_calls": [
                {"id": call.id, "type": "function", "function": {"name": call.function.name,
                                                                 "arguments": call.function.arguments}}]})
            if call.function.name == "request_approval":
                return self._set(thread_id, "waiting")
            arguments = json.loads(call.function.arguments)
            if "customer_email" in TOOLS[call.function.name].input.model_fields:
                arguments["customer_email"] = email
            result = TOOLS[call.function.name].run(arguments).model_dump_json()
            self._add(thread_id, {"role": "tool", "tool_call_id": call.id, "content": result})
        return self._set(thread_id, "working")

    def resume(self, thread_id, answer):
        thread = self.thread(thread_id)
        last = thread["events"][-1]
        if thread["status"] != "waiting" or answer.get("kind") != "approval":
            raise ValueError(f"thread {thread_id} is not waiting for an approval")
        self._add(thread_id, {"role": "tool", "tool_call_id": last["tool_calls"][0]["id"],
                              "content": json.dumps({"approved": bool(answer["approved"]),
                                                     "comment": answer.get("comment", "")})})
        self._set(thread_id, "working")
        return self._run(thread_id)


agent = ScratchAgent()
