'''Wrong-but-plausible answers to lesson 09, compact errors into the context window.

Each one is the reference solution cell with one plausible slip (`slip` reads the reference from the
lesson's source and fails loudly if the text it replaces is gone). Each breaks a behaviour that a
hidden test of that exercise checks, and a visible check of that exercise catches it.
'''

from special_cases._cells import slip

_CUT = '''    if len(text) > ERROR_LIMIT:
        text = text[:ERROR_LIMIT - 1] + "…"
'''
_STREAK_FROM_EVENTS = '''        if error_streak(thread) >= MAX_ERRORS:
            last = next(event for event in reversed(thread.events) if isinstance(event, ToolFailed))
            return escalate(thread_id, f"{MAX_ERRORS} errors in a row; the last: {last.error}")
'''
_DECIDE = '''            intent = with_retries(lambda: determine_next_step(fold_errors(thread), prompt, log, intents=intents),
                                  sleep, jitter)
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "error_event": [
        # every exception told as it is: a library's traceback, paths and keys reach the model
        slip(9, "error_event", "    if isinstance(error, (ShopError, ToolCallError)):\n",
             "    if isinstance(error, Exception):\n"),
        # never cut: a 600-character error goes into every later model call
        slip(9, "error_event", _CUT, ""),
        # cut, but with no sign that something was cut
        slip(9, "error_event", 'text = text[:ERROR_LIMIT - 1] + "…"', "text = text[:ERROR_LIMIT]"),
        # the message kept on its many lines
        slip(9, "error_event", '''        text = " ".join(f"{type(error).__name__}: {error}".split())''',
             '''        text = f"{type(error).__name__}: {error}"'''),
        # only the shop's errors are the course's own: a malformed call's explanation is hidden from the model
        slip(9, "error_event", "    if isinstance(error, (ShopError, ToolCallError)):\n",
             "    if isinstance(error, ShopError):\n"),
    ],
    "error_streak": [
        # every error in the thread counts: a success never resets the count
        slip(9, "error_streak", "        elif not isinstance(event, ToolRequested):\n            break\n", ""),
        # the call an error answers stops the walk: a streak is never more than one
        slip(9, "error_streak", "        elif not isinstance(event, ToolRequested):\n", "        else:\n"),
    ],
    "with_retries": [
        # no jitter: a hundred agents rate-limited together come back at the same instant
        slip(9, "with_retries", "    return min(0.5 * 2 ** attempt, 8.0) * (1 - 0.25 * jitter())",
             "    return min(0.5 * 2 ** attempt, 8.0)"),
        # no cap: the tenth retry waits four minutes
        slip(9, "with_retries", "    return min(0.5 * 2 ** attempt, 8.0) * (1 - 0.25 * jitter())",
             "    return 0.5 * 2 ** attempt * (1 - 0.25 * jitter())"),
        # retry-after-ms read as seconds
        slip(9, "with_retries", '(("retry-after-ms", 1000), ("retry-after", 1))', '(("retry-after-ms", 1), ("retry-after", 1))'),
        # the server's Retry-After never read
        slip(9, "with_retries", '''    for header, per_second in (("retry-after-ms", 1000), ("retry-after", 1)):''',
             '''    for header, per_second in ():'''),
        # every error retried: a 400 is sent four times, failing the same way each time
        slip(9, "with_retries", "        except RETRYABLE as error:\n", "        except Exception as error:\n"),
        # one call too many: `attempts` retries after the first call
        slip(9, "with_retries", "    for attempt in range(attempts):\n        try:", "    for attempt in range(attempts + 1):\n        try:")
        .replace("            if attempt == attempts - 1:", "            if attempt == attempts:"),
    ],
    "run_loop": [
        # an error counter kept in memory: a restart (or another process) starts again from zero
        slip(9, "run_loop", _STREAK_FROM_EVENTS, '''        if errors >= MAX_ERRORS:
            return escalate(thread_id, f"{MAX_ERRORS} errors in a row; the last: {thread.events[-1]}")
''').replace('    policy = current_shop().policy  # the shop\'s rules, not the prompt\'s\n',
             '    policy = current_shop().policy  # the shop\'s rules, not the prompt\'s\n    errors = 0\n').replace(
            '''            append_event(thread_id, error_event("model", error))
            continue''', '''            append_event(thread_id, error_event("model", error))
            errors += 1
            continue'''),
        # the count hard-coded to 3 instead of MAX_ERRORS
        slip(9, "run_loop", "        if error_streak(thread) >= MAX_ERRORS:", "        if error_streak(thread) >= 3:"),
        # the model asked directly: one 429 ends the run with an exception
        slip(9, "run_loop", _DECIDE, "            intent = determine_next_step(fold_errors(thread), prompt, log, intents=intents)\n"),
        # retries that really sleep: the loop's clock is not passed on
        slip(9, "run_loop", _DECIDE,
             "            intent = with_retries(lambda: determine_next_step(fold_errors(thread), prompt, log, intents=intents))\n"),
        # out of retries, an error stored and the loop goes on: the outage becomes the thread's fault and escalates it
        slip(9, "run_loop", '''        except RETRYABLE:  # the model cannot be reached: nothing was chosen, nothing is lost
            return "working"''', '''        except RETRYABLE as error:
            append_event(thread_id, error_event("model", error))
            continue'''),
        # a failed refund tried again by code, behind the model's back
        slip(9, "run_loop", '''                    else:
                        act(thread_id, intent, thread.ticket)''', '''                    elif isinstance(act(thread_id, intent, thread.ticket), ToolFailed):
                        act(thread_id, intent, thread.ticket)  # the provider is flaky: one more try'''),
        # a malformed call stored in full, with lesson 08's long text
        slip(9, "run_loop", '            append_event(thread_id, error_event("model", error))',
             '            append_event(thread_id, ToolFailed(name="model", error=str(error)))'),
    ],
}

_FRESH_CUT = '''    if len(text) > ERROR_LIMIT:
        text = text[:ERROR_LIMIT - 1] + "…"
'''
_GENERIC = '''        text = (f"{type(error).__name__}: {name} failed unexpectedly; the details are logged. "
                "Try another step, or hand the ticket to a person.")'''
_SHOP = '''        text = " ".join(f"{type(error).__name__}: {error}".split())'''
_BACKOFF = "    return min(0.5 * 2 ** attempt, 8.0) * (1 - 0.25 * jitter())"
_HEADERS = '''    headers = getattr(getattr(error, "response", None), "headers", None) or {}'''
_STREAK_CHECK = '''        if error_streak(thread) >= MAX_ERRORS:
            last = next(event for event in reversed(thread.events) if isinstance(event, ToolFailed))
            return escalate(thread_id, f"{MAX_ERRORS} errors in a row; the last: {last.error}")
'''
_FRESH_DECIDE = '''        try:
            intent = with_retries(lambda: determine_next_step(fold_errors(thread), prompt, log, intents=intents),
                                  sleep, jitter)
'''
_OUT_OF_RETRIES = '''        except RETRYABLE:  # the model cannot be reached: nothing was chosen, nothing is lost
            return "working"'''
_STEP_LIMIT_END = '''    status = status_of(load_thread(thread_id))
    if status in ("done", "waiting"):
        return status
    return escalate(thread_id, f"Still not done after {max_steps} steps: a person should take this ticket over.")'''
_INTERRUPTED = '''        if status == "interrupted":  # a crash after choosing a tool: finish that step (lesson 06)
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
'''

# Found by a second, independent pass of plausible mistakes made from the learner edition's prose.
_FRESH: dict[str, list[str]] = {
    "error_event": [
        # only newlines replaced by spaces: runs of spaces (an indented second line) stay in the text
        slip(9, "error_event", _SHOP,
             '''        text = f"{type(error).__name__}: {error}".replace("\\n", " ")'''),
        # cut to ERROR_LIMIT and then the ellipsis added: 201 characters
        slip(9, "error_event", 'text = text[:ERROR_LIMIT - 1] + "…"', 'text = text[:ERROR_LIMIT] + "…"'),
        # off by one: a text of exactly ERROR_LIMIT characters is cut too
        slip(9, "error_event", "    if len(text) > ERROR_LIMIT:", "    if len(text) >= ERROR_LIMIT:"),
        # the unexpected error's message appended "to help": the library's internals reach the model, cut short
        slip(9, "error_event", _GENERIC,
             '''        text = " ".join(f"{type(error).__name__}: {name} failed unexpectedly: {error}".split())'''),
        # the fixed sentence does not name the tool that failed
        slip(9, "error_event", _GENERIC,
             '''        text = (f"{type(error).__name__}: a tool failed unexpectedly; the details are logged. "
                "Try another step, or hand the ticket to a person.")'''),
        # the class object itself printed, not its name: "<class 'ValueError'>: ..."
        slip(9, "error_event", _GENERIC,
             '''        text = (f"{type(error)}: {name} failed unexpectedly; the details are logged. "
                "Try another step, or hand the ticket to a person.")'''),
        # the event named after the exception's class instead of the tool
        slip(9, "error_event", "    return ToolFailed(name=name, error=text)",
             "    return ToolFailed(name=type(error).__name__, error=text)"),
        # connection errors and timeouts treated as the shop's own: a library's traceback (collapsed) reaches the model
        slip(9, "error_event", "    if isinstance(error, (ShopError, ToolCallError)):\n",
             "    if isinstance(error, (ShopError, ToolCallError, ConnectionError, TimeoutError)):\n"),
        # "one line" read as "the first line": the rest of a two-line message is lost
        slip(9, "error_event", _SHOP,
             '''        text = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"'''),
        # cut before the whitespace is collapsed: a long, indented message is cut although it would fit
        slip(9, "error_event", _SHOP + "\n", '''        text = f"{type(error).__name__}: {error}"
        if len(text) > ERROR_LIMIT:
            text = text[:ERROR_LIMIT - 1] + "…"
        text = " ".join(text.split())
'''),
    ],
    "error_streak": [
        # only tool errors counted: malformed calls (name "model") are stepped over
        slip(9, "error_streak", '''        if isinstance(event, ToolFailed):
            streak += 1
''', '''        if isinstance(event, ToolFailed) and event.name != "model":
            streak += 1
        elif isinstance(event, ToolFailed):
            continue
'''),
        # only a ToolResult ends the streak: the ticket, an earlier message or a Finished are stepped over
        slip(9, "error_streak", "        elif not isinstance(event, ToolRequested):\n",
             "        elif isinstance(event, ToolResult):\n"),
        # the streak capped at MAX_ERRORS: "how many" becomes "at most three"
        slip(9, "error_streak", "    return streak", "    return min(streak, MAX_ERRORS)"),
        # errors in a row of the same tool only: another tool's error ends the streak
        slip(9, "error_streak", '''    streak = 0
    for event in reversed(thread.events):
        if isinstance(event, ToolFailed):
            streak += 1
''', '''    streak, tool = 0, None
    for event in reversed(thread.events):
        if isinstance(event, ToolFailed):
            if tool is not None and event.name != tool:
                break
            tool = event.name
            streak += 1
'''),
        # the stored thread's events reversed in place: the thread the loop reads next is backwards
        slip(9, "error_streak", "    for event in reversed(thread.events):\n",
             "    events = thread.events\n    events.reverse()\n    for event in events:\n"),
        # counted from calls: failed calls are half the events after the last success (a malformed call has no call)
        slip(9, "error_streak", '''    streak = 0
    for event in reversed(thread.events):
        if isinstance(event, ToolFailed):
            streak += 1
        elif not isinstance(event, ToolRequested):
            break
    return streak''', '''    tail = 0
    for event in reversed(thread.events):
        if not isinstance(event, (ToolFailed, ToolRequested)):
            break
        tail += 1
    return tail // 2'''),
        # a person's answer not counted as a success: only a tool that worked ends the streak
        slip(9, "error_streak", "        elif not isinstance(event, ToolRequested):\n",
             "        elif isinstance(event, ToolResult) and event.name in HUMAN_TOOLS:\n            continue\n"
             "        elif not isinstance(event, ToolRequested):\n"),
        # a pending call (no answer yet) ends the streak: only the ToolRequested inside the streak is stepped over
        slip(9, "error_streak", '''    streak = 0
    for event in reversed(thread.events):''', '''    streak = 0
    if thread.events and isinstance(thread.events[-1], ToolRequested):
        return 0
    for event in reversed(thread.events):'''),
    ],
    "with_retries": [
        # retry-after (seconds, rounded) read before retry-after-ms
        slip(9, "with_retries", '(("retry-after-ms", 1000), ("retry-after", 1))', '(("retry-after", 1), ("retry-after-ms", 1000))'),
        # no upper bound on what the server asks: a 429 asking two minutes is waited for
        slip(9, "with_retries", "        if 0 < asked <= 60:", "        if 0 < asked:"),
        # the bound off by one: exactly 60 s is not honoured
        slip(9, "with_retries", "        if 0 < asked <= 60:", "        if 0 < asked < 60:"),
        # jitter added instead of taken off
        slip(9, "with_retries", _BACKOFF, "    return min(0.5 * 2 ** attempt, 8.0) * (1 + 0.25 * jitter())"),
        # the jitter applied before the cap: every capped wait is exactly 8 s again, in step with every other agent
        slip(9, "with_retries", _BACKOFF, "    return min(0.5 * 2 ** attempt * (1 - 0.25 * jitter()), 8.0)"),
        # the first retry numbered 1: the waits start at 1 s, not 0.5 s
        slip(9, "with_retries", "            sleep(retry_wait(attempt, error, jitter))",
             "            sleep(retry_wait(attempt + 1, error, jitter))"),
        # a wait after the last failure too, before raising
        slip(9, "with_retries", '''            if attempt == attempts - 1:
                raise
            sleep(retry_wait(attempt, error, jitter))''', '''            sleep(retry_wait(attempt, error, jitter))
            if attempt == attempts - 1:
                raise'''),
        # out of retries, a new error of its own instead of the last one
        slip(9, "with_retries", '''        except RETRYABLE as error:
            if attempt == attempts - 1:
                raise
            sleep(retry_wait(attempt, error, jitter))
    raise ValueError(f"attempts must be at least 1, not {attempts}")''', '''        except RETRYABLE as error:
            if attempt == attempts - 1:
                break
            sleep(retry_wait(attempt, error, jitter))
    raise RuntimeError(f"the model failed {attempts} times")'''),
        # the headers read as integers: "1.5" seconds is not a number, so the backoff is used instead
        slip(9, "with_retries", "            asked = float(headers.get(header, \"\")) / per_second",
             "            asked = int(headers.get(header, \"\")) / per_second"),
        # error.response read directly: a timeout has no response, and the AttributeError escapes
        slip(9, "with_retries", _HEADERS, "    headers = error.response.headers"),
    ],
    "run_loop": [
        # the streak checked after the model is asked: one model call wasted before each escalation
        slip(9, "run_loop", _STREAK_CHECK + _FRESH_DECIDE, '''        try:
            intent = with_retries(lambda: determine_next_step(fold_errors(thread), prompt, log, intents=intents),
                                  sleep, jitter)
''').replace('''        name = intent_name(intent, intents)
''', '''        if error_streak(thread) >= MAX_ERRORS:
            last = next(event for event in reversed(thread.events) if isinstance(event, ToolFailed))
            return escalate(thread_id, f"{MAX_ERRORS} errors in a row; the last: {last.error}")
        name = intent_name(intent, intents)
'''),
        # off by one: escalates only after four errors in a row
        slip(9, "run_loop", "        if error_streak(thread) >= MAX_ERRORS:", "        if error_streak(thread) > MAX_ERRORS:"),
        # the escalation gives no reason a person can act on: the last error is not quoted
        slip(9, "run_loop", '''            last = next(event for event in reversed(thread.events) if isinstance(event, ToolFailed))
            return escalate(thread_id, f"{MAX_ERRORS} errors in a row; the last: {last.error}")''',
             '''            return escalate(thread_id, "Too many errors in a row: a person should take this ticket over.")'''),
        # out of retries, the thread reported as waiting for a person although nobody was asked
        slip(9, "run_loop", _OUT_OF_RETRIES, '''        except RETRYABLE:
            return "waiting"'''),
        # out of retries, the loop simply takes another step: the outage burns the steps and escalates
        slip(9, "run_loop", _OUT_OF_RETRIES, '''        except RETRYABLE:
            continue'''),
        # the malformed call stored under the function's name instead of "model"
        slip(9, "run_loop", '            append_event(thread_id, error_event("model", error))',
             '            append_event(thread_id, error_event("determine_next_step", error))'),
        # sleep and jitter passed in the wrong order
        slip(9, "run_loop", "                                  sleep, jitter)", "                                  jitter, sleep)"),
        # the model asked about the stored thread: every resolved error read again on every call
        slip(9, "run_loop", "determine_next_step(fold_errors(thread), prompt", "determine_next_step(thread, prompt"),
        # lesson 08's step-limit escalation dropped in the copy: a run out of steps is left 'working' with nobody on it
        slip(9, "run_loop", _STEP_LIMIT_END, "    return status_of(load_thread(thread_id))"),
        # lesson 06's interrupted step dropped in the copy: a crash after choosing a tool is asked about again
        slip(9, "run_loop", _INTERRUPTED, ""),
    ],
}

for _grade_id, _sources in _FRESH.items():
    WRONG_ANSWERS[_grade_id] = [*WRONG_ANSWERS[_grade_id], *_sources]
