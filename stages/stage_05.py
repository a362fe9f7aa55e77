"""Stage 05 of the support agent: STAND-IN, a copy of the lead's spine (/work/dev/spine/stage_05.py),
so that lesson 08 runs until lesson 05 lands; at integration the generated stages/stage_05.py replaces it.

SPINE (draft reference) of lesson 05 — Unify execution state and business state.
# UPDATED 00:05: HUMAN_TOOLS also holds "escalate" (lesson 08 escalates to a person at max steps).
# UPDATED 23:45: status_of has a fourth status, "waiting" (last event is a ToolRequested of a tool in HUMAN_TOOLS). Lessons 06-08 rely on it.

The helper writing lesson 05 turns these into export cells (exercises + given cells). Names, signatures
and semantics marked PUBLIC are used by lessons 06-08: keep them.
"""
from stage_04 import *  # noqa: F403

# ---- given: the store's tables (export) ---------------------------------------------------------
from pydantic import TypeAdapter

SCHEMA_VERSION = 2  # PUBLIC. v1 (last term's agent) stored ToolRequested.arguments as an object, not JSON text
STORE_TABLES = (
    """CREATE TABLE IF NOT EXISTS threads (
        id             TEXT PRIMARY KEY,
        ticket         TEXT NOT NULL,      -- the Ticket, as JSON
        schema_version INTEGER NOT NULL,   -- how its events were written
        created_on     TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        thread_id TEXT NOT NULL REFERENCES threads (id),
        seq       INTEGER NOT NULL,        -- 0, 1, 2 ... in the order they happened
        kind      TEXT NOT NULL,
        data      TEXT NOT NULL,           -- the event, as JSON
        PRIMARY KEY (thread_id, seq)
    )""",
)
EVENT = TypeAdapter(Event)  # reads a stored event back as the right class, by its `kind`


class ThreadNotFound(LookupError):  # PUBLIC
    """No thread with this id in the store."""


def store():  # PUBLIC
    """The current shop's connection, with the agent's two tables in it (made on first use)."""
    conn = current_shop().conn
    for sql in STORE_TABLES:
        conn.execute(sql)
    return conn


def upgrade_event(data: dict, version: int) -> dict:  # given
    """An event as an older version stored it, in today's shape."""
    if version < 2 and data.get("kind") == "tool_call" and not isinstance(data.get("arguments"), str):
        data = {**data, "arguments": json.dumps(data["arguments"])}
    return data


def new_thread(ticket: Ticket) -> str:  # PUBLIC, given
    """Store a new thread for `ticket` (its history, then the ticket) and return its id."""
    conn = store()
    with current_shop().transaction():
        count = conn.execute("SELECT count(*) FROM threads WHERE id LIKE ?", (f"ticket-{ticket.ticket_id}-%",)).fetchone()[0]
        thread_id = f"ticket-{ticket.ticket_id}-{count + 1}"
        conn.execute("INSERT INTO threads (id, ticket, schema_version, created_on) VALUES (?, ?, ?, ?)",
                     (thread_id, ticket.model_dump_json(), SCHEMA_VERSION, current_shop().today.isoformat()))
        for event in thread_for(ticket).events:
            append_event(thread_id, event)
    return thread_id


# ---- Exercise 5.1: append_event and load_thread ---------------------------------------------------
def append_event(thread_id: str, event: Event) -> int:  # PUBLIC
    """Add `event` at the end of the stored thread; return its position (seq)."""
    conn = store()
    seq = conn.execute("SELECT count(*) FROM events WHERE thread_id = ?", (thread_id,)).fetchone()[0]
    conn.execute("INSERT INTO events (thread_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                 (thread_id, seq, event.kind, event.model_dump_json()))
    return seq


def load_thread(thread_id: str) -> Thread:  # PUBLIC
    """The stored thread, events in order, whichever version wrote it. Unknown id -> ThreadNotFound."""
    conn = store()
    row = conn.execute("SELECT ticket, schema_version FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise ThreadNotFound(f"No thread {thread_id!r} in the store.")
    ticket, version = row
    rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
    events = [EVENT.validate_python(upgrade_event(json.loads(data), version)) for (data,) in rows]
    return Thread(ticket=Ticket.model_validate_json(ticket), events=events)


# ---- Exercise 5.2: status derived from events ----------------------------------------------------
HUMAN_TOOLS = ("request_approval", "ask_customer", "escalate")  # PUBLIC: calls that ask a person; the agent waits for the answer
Status = Literal["working", "waiting", "interrupted", "done"]  # PUBLIC


def status_of(thread: Thread) -> str:  # PUBLIC
    """What the agent is doing, read from the events alone: nothing stores it twice.

    done: the last event is Finished. waiting: the last event asks a person (a tool in HUMAN_TOOLS; lessons
    06-07 offer them): the agent waits for the answer. interrupted: a tool was chosen and its result never
    stored, so the step did not happen (a crash). working: anything else (the next step is the model's).
    """
    last = thread.events[-1]
    if isinstance(last, Finished):
        return "done"
    if isinstance(last, ToolRequested):
        return "waiting" if last.name in HUMAN_TOOLS else "interrupted"
    return "working"


def threads_with_status(status: str) -> list[str]:  # PUBLIC
    """Ids of the stored threads whose derived status is `status`, oldest first."""
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY rowid")]
    return [thread_id for thread_id in ids if status_of(load_thread(thread_id)) == status]


# ---- Exercise 5.3: the effect and its event in one transaction -----------------------------------
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:  # PUBLIC
    """Carry out `intent` and store its event, in one transaction: both happen, or neither."""
    with current_shop().transaction():
        event = execute(intent, ticket)
        append_event(thread_id, event)
    return event


# ---- Exercise 5.4: fork --------------------------------------------------------------------------
def fork_thread(thread_id: str, upto: int) -> str:  # PUBLIC
    """A new thread with the same ticket and the first `upto` events of `thread_id`; the original is untouched."""
    thread = load_thread(thread_id)
    conn = store()
    with current_shop().transaction():
        count = conn.execute("SELECT count(*) FROM threads WHERE id LIKE ?", (f"{thread_id}-fork-%",)).fetchone()[0]
        fork_id = f"{thread_id}-fork-{count + 1}"
        conn.execute("INSERT INTO threads (id, ticket, schema_version, created_on) VALUES (?, ?, ?, ?)",
                     (fork_id, thread.ticket.model_dump_json(), SCHEMA_VERSION, current_shop().today.isoformat()))
        for event in thread.events[:upto]:
            append_event(fork_id, event)
    return fork_id


# ---- given: the loop, now over the store ---------------------------------------------------------
def take_step(thread_id: str, prompt: Prompt, log: list[ModelCall]) -> Event:  # PUBLIC
    """One step of the agent on a stored thread: decide (stored), then act (effect + event, one transaction)."""
    thread = load_thread(thread_id)
    try:
        intent = determine_next_step(thread, prompt, log)
    except ToolCallError as error:
        event = ToolFailed(name="model", error=str(error))
        append_event(thread_id, event)
        return event
    if not isinstance(intent, Done):
        append_event(thread_id, ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
    return act(thread_id, intent, thread.ticket)


def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> str:  # PUBLIC
    """Handle one ticket, every step stored as it happens; return the thread's id."""
    prompt = system_prompt(policy or current_shop().policy)
    thread_id = new_thread(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        if isinstance(take_step(thread_id, prompt, calls), Finished):
            break
    return thread_id


__all__ = [name for name in dir() if not name.startswith("_")]  # stand-in: everything public
