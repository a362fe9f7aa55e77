'''Wrong-but-plausible answers to lesson 06, launch, pause, resume: solution-cell grade id -> replacement cell sources.

Each one is a whole solution cell. Each breaks a behaviour that a hidden test of its exercise checks, and
the visible check of that exercise catches it too.
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "run_until_paused": [
        # acts on every call, a request to a person included: nothing stops, the request runs as a tool
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # stops at a request to a person before storing it: the thread never shows what it waits for
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            if name in HUMAN_TOOLS:
                return "waiting"
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # an interrupted thread asks the model again instead of running the chosen call
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # an interrupted call is marked as failed and the model goes on: the call never gets its own result
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            append_event(thread_id, ToolFailed(name=chosen.name, error="Interrupted by a crash; try again."))
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # decides with the default intents: the model is never offered request_approval
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # names the request with intent_name's default intents: request_approval is stored as 'RequestApproval'
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # stops only at 'done': a waiting thread asks the model again
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status == "done":
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
        # out of steps, returns nothing instead of the thread's status
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return None
    ### END SOLUTION
''',
        # a malformed call ends the run (the ToolCallError escapes) instead of becoming an event
        '''
# Exercise 6.1
def run_until_paused(thread_id: str, prompt: Prompt, max_steps: int = 12,
                     intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status.

    Everything is stored as it happens, so stopping here loses nothing. A thread interrupted by a crash
    (a tool chosen, its result never stored) first runs that tool: its idempotency key makes that safe.
    """
    log: list[ModelCall] = []
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status in ("done", "waiting"):
            return status
        if status == "interrupted":  # the chosen call never got its result: run it, do not choose again
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        intent = determine_next_step(thread, prompt, log, intents=intents)
        if not isinstance(intent, Done):  # a Done is recorded by its Finished
            name = intent_name(intent, intents)
            append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
            if name in HUMAN_TOOLS:
                return "waiting"  # stored: stop between choosing the call and its result
        act(thread_id, intent, thread.ticket)
    return status_of(load_thread(thread_id))
    ### END SOLUTION
''',
    ],
    "launch": [
        # ignores the policy it is given: always the current shop's
        '''
# Exercise 6.2
def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:
    """Start the agent on `ticket`; return the thread's id once it is done or waits for a person."""
    thread_id = new_thread(ticket)
    run_until_paused(thread_id, system_prompt(current_shop().policy))
    return thread_id
    ### END SOLUTION
''',
        # returns the status instead of the thread's id
        '''
# Exercise 6.2
def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:
    """Start the agent on `ticket`; return the thread's id once it is done or waits for a person."""
    thread_id = new_thread(ticket)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # 'idempotent' launch: a ticket launched before gets its old thread back instead of a new one
        '''
# Exercise 6.2
def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:
    """Start the agent on `ticket`; return the thread's id once it is done or waits for a person."""
    thread_id = f"ticket-{ticket.ticket_id}-1"
    try:
        load_thread(thread_id)
    except ThreadNotFound:
        thread_id = new_thread(ticket)
    run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    return thread_id
    ### END SOLUTION
''',
        # defaults to the course's policy file instead of the current shop's policy
        '''
# Exercise 6.2
def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:
    """Start the agent on `ticket`; return the thread's id once it is done or waits for a person."""
    thread_id = new_thread(ticket)
    run_until_paused(thread_id, system_prompt(policy or ShopPolicy.load()))
    return thread_id
    ### END SOLUTION
''',
    ],
    "record_answer": [
        # takes an answer of the right kind for any call id: a stray or late answer is stored
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected):
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # checks the call id only: a customer's reply is taken as the manager's answer
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # quietly ignores an answer to a thread that waits for nobody: a duplicate resume runs the thread again
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # refuses with a plain ValueError instead of ResumeError
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ValueError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # stores the answer under its own name, not the call's: the model never sees its request answered
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=type(answer).__name__.lower(), result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # stores the answer first and checks it after: a refused answer is in the thread all the same
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}).")
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # resume runs the thread before recording the answer
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    status = run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    record_answer(thread_id, answer)
    return status
    ### END SOLUTION
''',
        # resume ignores the policy it is given
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(current_shop().policy))
    ### END SOLUTION
''',
        # a waiting thread resumed without an answer just carries on waiting, silently
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            return
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    record_answer(thread_id, answer)
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
        # resume swallows a refused answer and reports the thread's status as if all went well
        '''
# Exercise 6.3
def record_answer(thread_id: str, answer: Answer | None) -> None:
    """Store a person's answer as the one result of the call the thread waits on, or refuse it (ResumeError).

    Refused, with nothing changed: an answer to another call, a second answer, the wrong kind of answer (the
    customer writing while a person decides), an answer to a thread that waits for nobody, no answer at all
    for a thread that waits.
    """
    thread = load_thread(thread_id)  # ThreadNotFound for an unknown id
    status = status_of(thread)
    if status == "waiting":
        call_id, request = pending_request(thread)
        expected = ANSWERS_TO.get(request.name)
        if expected is None:
            raise ResumeError(f"Thread {thread_id} was handed to a person ({request.name}): no answer resumes it.")
        if answer is None:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got none.")
        if not isinstance(answer, expected) or answer.call_id != call_id:
            raise ResumeError(f"Thread {thread_id} waits for the answer to call {call_id} ({request.name}: "
                              f"{expected.__name__}); got {type(answer).__name__}(call_id={answer.call_id}). "
                              "Nothing was changed.")
        append_event(thread_id, ToolResult(name=request.name, result=answer.model_dump_json(exclude={"call_id"})))
    elif answer is not None:
        raise ResumeError(f"Thread {thread_id} is {status}: it waits for no answer. Nothing was changed.")


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Continue a stored thread where it stopped, in this process or any other; return its status."""
    try:
        record_answer(thread_id, answer)
    except ResumeError:
        return status_of(load_thread(thread_id))
    return run_until_paused(thread_id, system_prompt(policy or current_shop().policy))
    ### END SOLUTION
''',
    ],
}


# --- Mistakes learners made that once passed every check: each a small slip of the reference cell -----------

from special_cases._cells import slip

WRONG_ANSWERS["record_answer"] += [
    # a thread that is not waiting is refused even without an answer: an interrupted thread cannot be resumed, and
    # the crash recovery the lesson teaches breaks
    slip(6, "record_answer", "    elif answer is not None:\n", "    else:\n"),
    # resume without an answer skips record_answer: a thread waiting for a person is not refused, it just waits
    slip(6, "record_answer", "    record_answer(thread_id, answer)\n",
          "    if answer is not None:\n        record_answer(thread_id, answer)\n"),
]
