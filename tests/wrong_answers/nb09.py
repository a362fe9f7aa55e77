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
