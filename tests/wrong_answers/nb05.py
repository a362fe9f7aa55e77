'''Wrong-but-plausible answers to lesson 05, unify execution state and business state: solution-cell grade id ->
replacement cell sources.

Each one is a whole solution cell. Each breaks a behaviour that a hidden test of its exercise checks,
and the visible check of the exercise sees it too.
'''

_APPEND = '''
def append_event(thread_id: str, event: Event) -> int:
    """Store `event` at the end of the thread `thread_id`; return its position (seq: 0 for the first event)."""
    conn = store()
    seq = conn.execute("SELECT count(*) FROM events WHERE thread_id = ?", (thread_id,)).fetchone()[0]
    conn.execute("INSERT INTO events (thread_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                 (thread_id, seq, event.kind, event.model_dump_json()))
    return seq
'''

_LOAD = '''
def load_thread(thread_id: str) -> Thread:
    """The stored thread: its ticket and its events in order."""
    conn = store()
    row = conn.execute("SELECT ticket, schema_version FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise ThreadNotFound(f"No thread {thread_id!r} in the store.")
    ticket, version = row
    rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
    events = [EVENT.validate_python(upgrade_event(json.loads(data), version)) for (data,) in rows]
    return Thread(ticket=Ticket.model_validate_json(ticket), events=events)
'''

_STATUS_OF = '''
Status = Literal["working", "interrupted", "done"]


def status_of(thread: Thread) -> Status:
    """What the agent is doing on `thread`, read from its last event alone."""
    last = thread.events[-1] if thread.events else None
    if isinstance(last, Finished):
        return "done"
    if isinstance(last, ToolRequested):
        return "interrupted"
    return "working"
'''

_FORK_HEAD = '''
def fork_thread(thread_id: str, upto: int) -> str:
    """A new thread with the ticket and the first `upto` events of `thread_id`."""
    thread = load_thread(thread_id)
    conn = store()
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "append_event_and_load_thread": [
        # reads old threads as if today's code had written them: no upgrade, so a version-1 request does not load
        _APPEND + '''

def load_thread(thread_id: str) -> Thread:
    """The stored thread: its ticket and its events in order."""
    conn = store()
    row = conn.execute("SELECT ticket FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise ThreadNotFound(f"No thread {thread_id!r} in the store.")
    rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
    return Thread(ticket=Ticket.model_validate_json(row[0]), events=[EVENT.validate_json(data) for (data,) in rows])
''',
        # upgrades from today's version instead of the one in the thread's row: nothing is ever upgraded
        _APPEND + '''

def load_thread(thread_id: str) -> Thread:
    """The stored thread: its ticket and its events in order."""
    conn = store()
    row = conn.execute("SELECT ticket FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise ThreadNotFound(f"No thread {thread_id!r} in the store.")
    rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
    events = [EVENT.validate_python(upgrade_event(json.loads(data), SCHEMA_VERSION)) for (data,) in rows]
    return Thread(ticket=Ticket.model_validate_json(row[0]), events=events)
''',
        # forgets the missing row: an unknown id fails with "cannot unpack non-iterable NoneType"
        _APPEND + '''

def load_thread(thread_id: str) -> Thread:
    """The stored thread: its ticket and its events in order."""
    conn = store()
    ticket, version = conn.execute("SELECT ticket, schema_version FROM threads WHERE id = ?", (thread_id,)).fetchone()
    rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
    events = [EVENT.validate_python(upgrade_event(json.loads(data), version)) for (data,) in rows]
    return Thread(ticket=Ticket.model_validate_json(ticket), events=events)
''',
        # the right exception, but a message that does not say which thread
        _APPEND + _LOAD.replace('raise ThreadNotFound(f"No thread {thread_id!r} in the store.")',
                                'raise ThreadNotFound("Thread not found.")'),
        # numbers events across the whole table: a thread's first event is not at position 0
        '''
def append_event(thread_id: str, event: Event) -> int:
    """Store `event` at the end of the thread `thread_id`; return its position."""
    conn = store()
    seq = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.execute("INSERT INTO events (thread_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                 (thread_id, seq, event.kind, event.model_dump_json()))
    return seq
''' + _LOAD,
        # returns how many events the thread has now, one more than the new event's position
        '''
def append_event(thread_id: str, event: Event) -> int:
    """Store `event` at the end of the thread `thread_id`; return its position."""
    conn = store()
    seq = conn.execute("SELECT count(*) FROM events WHERE thread_id = ?", (thread_id,)).fetchone()[0]
    conn.execute("INSERT INTO events (thread_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                 (thread_id, seq, event.kind, event.model_dump_json()))
    return seq + 1
''' + _LOAD,
        # loads every thread's events, not this thread's
        _APPEND + _LOAD.replace('"SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)',
                                '"SELECT data FROM events ORDER BY seq"'),
        # keeps a copy in memory "to save a query": events another process stores are never seen
        '''
_THREADS: dict[str, list] = {}


def append_event(thread_id: str, event: Event) -> int:
    """Store `event` at the end of the thread `thread_id`; return its position."""
    conn = store()
    seq = conn.execute("SELECT count(*) FROM events WHERE thread_id = ?", (thread_id,)).fetchone()[0]
    conn.execute("INSERT INTO events (thread_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                 (thread_id, seq, event.kind, event.model_dump_json()))
    _THREADS.setdefault(thread_id, []).append(event)
    return seq


def load_thread(thread_id: str) -> Thread:
    """The stored thread: its ticket and its events in order."""
    conn = store()
    row = conn.execute("SELECT ticket, schema_version FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise ThreadNotFound(f"No thread {thread_id!r} in the store.")
    ticket, version = row
    if thread_id in _THREADS:
        return Thread(ticket=Ticket.model_validate_json(ticket), events=list(_THREADS[thread_id]))
    rows = conn.execute("SELECT data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)).fetchall()
    events = [EVENT.validate_python(upgrade_event(json.loads(data), version)) for (data,) in rows]
    return Thread(ticket=Ticket.model_validate_json(ticket), events=events)
''',
        # builds the thread without validating it: the events come back as plain dicts, not as their classes
        _APPEND + _LOAD.replace("events = [EVENT.validate_python(upgrade_event(json.loads(data), version)) for (data,) in rows]\n"
                                "    return Thread(ticket=Ticket.model_validate_json(ticket), events=events)",
                                "events = [upgrade_event(json.loads(data), version) for (data,) in rows]\n"
                                "    return Thread.model_construct(ticket=Ticket.model_validate_json(ticket), events=events)"),
    ],
    "status_of_and_threads_with_status": [
        # every ToolRequested means interrupted: a thread that asked a person looks crashed
        '''
HUMAN_TOOLS = ("request_approval", "ask_customer", "escalate")
Status = Literal["working", "waiting", "interrupted", "done"]


def status_of(thread: Thread) -> Status:
    last = thread.events[-1] if thread.events else None
    if isinstance(last, Finished):
        return "done"
    if isinstance(last, ToolRequested):
        return "interrupted"
    return "working"


def threads_with_status(status: Status) -> list[str]:
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY rowid")]
    return [thread_id for thread_id in ids if status_of(load_thread(thread_id)) == status]
''',
        # done once any Finished is in the thread: a customer who writes again is never answered
        '''
Status = Literal["working", "interrupted", "done"]


def status_of(thread: Thread) -> Status:
    """What the agent is doing on `thread`."""
    if any(isinstance(event, Finished) for event in thread.events):
        return "done"
    if thread.events and isinstance(thread.events[-1], ToolRequested):
        return "interrupted"
    return "working"


def threads_with_status(status: Status) -> list[str]:
    """Ids of the stored threads whose status is `status`, oldest first."""
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY rowid")]
    return [thread_id for thread_id in ids if status_of(load_thread(thread_id)) == status]
''',
        # only a Finished matters: an interrupted step reads as "working"
        '''
Status = Literal["working", "interrupted", "done"]


def status_of(thread: Thread) -> Status:
    """What the agent is doing on `thread`."""
    return "done" if thread.events and isinstance(thread.events[-1], Finished) else "working"


def threads_with_status(status: Status) -> list[str]:
    """Ids of the stored threads whose status is `status`, oldest first."""
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY rowid")]
    return [thread_id for thread_id in ids if status_of(load_thread(thread_id)) == status]
''',
        # takes a refused tool for an interrupted step
        '''
Status = Literal["working", "interrupted", "done"]


def status_of(thread: Thread) -> Status:
    """What the agent is doing on `thread`."""
    last = thread.events[-1] if thread.events else None
    if isinstance(last, Finished):
        return "done"
    if isinstance(last, (ToolRequested, ToolFailed)):
        return "interrupted"
    return "working"


def threads_with_status(status: Status) -> list[str]:
    """Ids of the stored threads whose status is `status`, oldest first."""
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY rowid")]
    return [thread_id for thread_id in ids if status_of(load_thread(thread_id)) == status]
''',
        # remembers each thread's status once computed: a second copy, out of date when another process appends
        _STATUS_OF + '''

_STATUSES: dict[str, str] = {}


def threads_with_status(status: Status) -> list[str]:
    """Ids of the stored threads whose status is `status`, oldest first."""
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY rowid")]
    for thread_id in ids:
        if thread_id not in _STATUSES:
            _STATUSES[thread_id] = status_of(load_thread(thread_id))
    return [thread_id for thread_id in ids if _STATUSES[thread_id] == status]
''',
        # lists threads by id, which is not the order they were stored in
        _STATUS_OF + '''

def threads_with_status(status: Status) -> list[str]:
    """Ids of the stored threads whose status is `status`."""
    ids = [thread_id for (thread_id,) in store().execute("SELECT id FROM threads ORDER BY id")]
    return [thread_id for thread_id in ids if status_of(load_thread(thread_id)) == status]
''',
    ],
    "act": [
        # two transactions: the effect commits, then the event is stored on its own, and a crash between loses it
        '''
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:
    """Carry out `intent` and store its event."""
    with current_shop().transaction():
        event = execute(intent, ticket)
    append_event(thread_id, event)
    return event
''',
        # no transaction at all
        '''
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:
    """Carry out `intent` and store its event."""
    event = execute(intent, ticket)
    append_event(thread_id, event)
    return event
''',
        # one transaction, but a failure to store the event is swallowed: the refund commits without it
        '''
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:
    """Carry out `intent` and store its event, in one transaction."""
    with current_shop().transaction():
        event = execute(intent, ticket)
        try:
            append_event(thread_id, event)
        except Exception as error:
            event = ToolFailed(name=intent_name(intent), error=str(error))
    return event
''',
        # stores the request too, which the loop has already stored: every step is recorded twice
        '''
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:
    """Carry out `intent` and store its event, in one transaction."""
    with current_shop().transaction():
        if not isinstance(intent, Done):
            append_event(thread_id, ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        event = execute(intent, ticket)
        append_event(thread_id, event)
    return event
''',
        # runs the tool itself instead of execute: a refusal by the shop escapes as an exception, and Done fails
        '''
def act(thread_id: str, intent: Intent, ticket: Ticket) -> Event:
    """Carry out `intent` and store its event, in one transaction."""
    with current_shop().transaction():
        event = ToolResult(name=intent_name(intent), result=run_tool(intent, ticket))
        append_event(thread_id, event)
    return event
''',
    ],
    "fork_thread": [
        # "forks" by rewinding: cuts the original back to `upto` events and hands back its own id
        '''
def fork_thread(thread_id: str, upto: int) -> str:
    """The thread `thread_id`, back at its first `upto` events."""
    load_thread(thread_id)
    store().execute("DELETE FROM events WHERE thread_id = ? AND seq >= ?", (thread_id, upto))
    return thread_id
''',
        # starts the fork with new_thread, which already stores the ticket's events: they are there twice
        '''
def fork_thread(thread_id: str, upto: int) -> str:
    """A new thread with the ticket and the first `upto` events of `thread_id`."""
    thread = load_thread(thread_id)
    fork_id = new_thread(thread.ticket)
    for event in thread.events[:upto]:
        append_event(fork_id, event)
    return fork_id
''',
        # one id per original: a second fork of the same thread collides with the first
        _FORK_HEAD + '''    fork_id = f"{thread_id}-fork"
    with current_shop().transaction():
        conn.execute("INSERT INTO threads (id, ticket, schema_version, created_on) VALUES (?, ?, ?, ?)",
                     (fork_id, thread.ticket.model_dump_json(), SCHEMA_VERSION, current_shop().today.isoformat()))
        for event in thread.events[:upto]:
            append_event(fork_id, event)
    return fork_id
''',
        # "up to and including" event `upto`: one event too many
        _FORK_HEAD + '''    with current_shop().transaction():
        count = conn.execute("SELECT count(*) FROM threads WHERE id LIKE ?", (f"{thread_id}-fork-%",)).fetchone()[0]
        fork_id = f"{thread_id}-fork-{count + 1}"
        conn.execute("INSERT INTO threads (id, ticket, schema_version, created_on) VALUES (?, ?, ?, ?)",
                     (fork_id, thread.ticket.model_dump_json(), SCHEMA_VERSION, current_shop().today.isoformat()))
        for event in thread.events[:upto + 1]:
            append_event(fork_id, event)
    return fork_id
''',
        # copies the rows as they are stored, but labels them with today's version: an old thread's fork cannot load
        '''
def fork_thread(thread_id: str, upto: int) -> str:
    """A new thread with the ticket and the first `upto` events of `thread_id`."""
    conn = store()
    row = conn.execute("SELECT ticket FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise ThreadNotFound(f"No thread {thread_id!r} in the store.")
    with current_shop().transaction():
        count = conn.execute("SELECT count(*) FROM threads WHERE id LIKE ?", (f"{thread_id}-fork-%",)).fetchone()[0]
        fork_id = f"{thread_id}-fork-{count + 1}"
        conn.execute("INSERT INTO threads (id, ticket, schema_version, created_on) VALUES (?, ?, ?, ?)",
                     (fork_id, row[0], SCHEMA_VERSION, current_shop().today.isoformat()))
        conn.execute("INSERT INTO events (thread_id, seq, kind, data) SELECT ?, seq, kind, data FROM events "
                     "WHERE thread_id = ? AND seq < ?", (fork_id, thread_id, upto))
    return fork_id
''',
    ],
}

HIDDEN_ONLY: dict[str, dict[int, str]] = {}


# --- Mistakes learners made that once passed every check: each a small slip of the reference cell -----------

from special_cases._cells import slip

WRONG_ANSWERS["status_of_and_threads_with_status"].append(
    # a thread with no event yet (a fork at 0) has no last event: IndexError, and threads_with_status fails for all
    slip(5, "status_of_and_threads_with_status", "last = thread.events[-1] if thread.events else None",
          "last = thread.events[-1]"))
WRONG_ANSWERS["fork_thread"] += [
    # the fork's row copies the original's schema_version, though its events are today's
    slip(5, "fork_thread", "    thread = load_thread(thread_id)\n    conn = store()\n",
          "    thread = load_thread(thread_id)\n    conn = store()\n    (version,) = conn.execute(\"SELECT schema_version "
          "FROM threads WHERE id = ?\", (thread_id,)).fetchone()\n").replace(
        "(fork_id, thread.ticket.model_dump_json(), SCHEMA_VERSION,", "(fork_id, thread.ticket.model_dump_json(), version,"),
    # counts forks with one wildcard character: the tenth fork and the eleventh get the same id
    slip(5, "fork_thread", 'f"{thread_id}-fork-%"', 'f"{thread_id}-fork-_"'),
]
