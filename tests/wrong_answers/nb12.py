'''Wrong-but-plausible answers to lesson 12, make your agent a stateless reducer.

Each one is the reference solution cell with one plausible slip (`slip` reads the reference from the
lesson's source and fails loudly if the text it replaces is gone). Each breaks a behaviour that a
hidden test of that exercise checks, and a visible check of that exercise catches it.
'''

from special_cases._cells import slip

_COPY = '''    thread = state.thread.model_copy(update={"events": [*state.thread.events, event]})
'''
_KEPT = '''    elif isinstance(event, ToolRequested):
        errors = state.errors
'''
_GUARD = "                ruling = guard(intent, state.thread, state.policy)\n"
_RECORD = "        state, effects = record(state, stored)\n"
_APPROVAL = '''                    stored = [call, ToolFailed(name=name, error=(
                        f"Failed: a refund of ${intent.amount:.2f} needs a person's approval first (the limit is "
                        f"${state.policy.approval_limit:.2f}). A person was asked; wait for their answer.")),
                        ToolRequested(name="request_approval", arguments=ruling.model_dump_json())]
'''
_REMEMBERED = slip(12, "step", "# Exercise 12.2\n",
                   "# Exercise 12.2\n_REFUNDED: set[int] = set()  # orders refunded, remembered to save a guard call\n\n")

WRONG_ANSWERS: dict[str, list[str]] = {
    "evolve_and_replay": [
        # the event appended to the list of the state given: the old state changes too
        slip(12, "evolve_and_replay", _COPY, "    state.thread.events.append(event)\n    thread = state.thread\n"),
        # a call the model chose counted as a fresh start: errors in a row never reach three
        slip(12, "evolve_and_replay", _KEPT, "    elif isinstance(event, ToolRequested):\n        errors = 0\n"),
        # every call taken for an interrupted one, a person's included
        slip(12, "evolve_and_replay", 'status = "waiting" if event.name in HUMAN_TOOLS else "interrupted"',
             'status = "interrupted"'),
        # an error counted as the first, whatever came before
        slip(12, "evolve_and_replay", "errors = state.errors + 1", "errors = 1"),
        # the rules looked up in the shop, not the ones given
        slip(12, "evolve_and_replay", "    state = start(thread.ticket, policy)\n",
             "    state = start(thread.ticket, current_shop().policy)\n"),
    ],
    "step": [
        # reads the clock: the summary stamped with the time it was written
        slip(12, "step", "stored = [Finished(summary=summary)]",
             'stored = [Finished(summary=f"{summary} (at {time.strftime(\'%H:%M\')})")]'),
        # draws a random number: each hand-back numbered at random
        slip(12, "step", 'json.dumps({"agent": "triage"})',
             'json.dumps({"agent": "triage", "handback": random.randrange(1_000_000)})'),
        # touches the shop: the approval limit read from the current shop, not from the state
        slip(12, "step", _GUARD, "                ruling = guard(intent, state.thread, current_shop().policy)\n"),
        # mutates its input: the stored events added to the state given
        slip(12, "step", _RECORD, "        state.thread.events.extend(stored)\n"
                                  "        effects = [Store(event=event) for event in stored]\n"),
        # remembers between calls: a refund made in any thread blocks the same order in every other
        _REMEMBERED.replace(_GUARD, "                if intent.order_id in _REFUNDED:\n"
                                    "                    return state, [AskModel()]\n"
                                    "                _REFUNDED.add(intent.order_id)\n" + _GUARD),
        # done decided but never stored: the model is asked again
        slip(12, "step", "stored = [Finished(summary=summary)]", "stored = []"),
        # the approval asked for without telling the model why its refund did not happen
        slip(12, "step", _APPROVAL, '                    stored = [call, ToolRequested(name="request_approval", '
                                    'arguments=ruling.model_dump_json())]\n'),
        # the third error in a row is not enough to call a person
        slip(12, "step", "if state.errors >= MAX_ERRORS:", "if state.errors > MAX_ERRORS:"),
    ],
    "diverges_at": [
        # the recorded call fed as it is, never as the model's choice
        slip(12, "diverges_at", "chosen = model_choice(events[k]) if asked else None", "chosen = None"),
        # a reducer that stores more than the log holds is not a divergence
        slip(12, "diverges_at", "if k >= len(events) or events[k] != effect.event:",
             "if k < len(events) and events[k] != effect.event:"),
        # the position of the event that differs, not of the step that began there
        slip(12, "diverges_at", "                    return begun\n", "                    return k\n"),
    ],
}

# A second pass of mistakes, as a learner reading the prose might make them.
_FRESH: dict[str, list[str]] = {
    "evolve_and_replay": [
        # a Finished forgotten: the thread never reads as done
        slip(12, "evolve_and_replay", '    if isinstance(event, Finished):\n        status = "done"\n    elif isinstance(event, ToolRequested):',
             '    if isinstance(event, ToolRequested):'),
        # errors kept after a result: only a ToolFailed ever changes them
        slip(12, "evolve_and_replay", "    else:\n        errors = 0\n", "    else:\n        errors = state.errors\n"),
        # the person's tools and the others swapped
        slip(12, "evolve_and_replay", 'status = "waiting" if event.name in HUMAN_TOOLS else "interrupted"',
             'status = "interrupted" if event.name in HUMAN_TOOLS else "waiting"'),
        # any other event keeps the status it found, instead of "working"
        slip(12, "evolve_and_replay", '    else:\n        status = "working"\n', '    else:\n        status = state.status\n'),
        # only an approval counts as waiting for a person
        slip(12, "evolve_and_replay", 'status = "waiting" if event.name in HUMAN_TOOLS else "interrupted"',
             'status = "waiting" if event.name == "request_approval" else "interrupted"'),
        # the list of events given extended in place, though the thread is copied
        slip(12, "evolve_and_replay", '    thread = state.thread.model_copy(update={"events": [*state.thread.events, event]})\n',
             '    events = state.thread.events\n    events.append(event)\n'
             '    thread = state.thread.model_copy(update={"events": events})\n'),
        # replay folds all but the last event (the runtime's "replay all but the last" misread)
        slip(12, "evolve_and_replay", "    for event in thread.events:\n", "    for event in thread.events[:-1]:\n"),
        # replay starts from the thread itself: every event is there twice
        slip(12, "evolve_and_replay", "    state = start(thread.ticket, policy)\n", "    state = State(thread=thread, policy=policy)\n"),
        # the rules loaded from the shop's file, not the ones given
        slip(12, "evolve_and_replay", "    state = start(thread.ticket, policy)\n", "    state = start(thread.ticket, ShopPolicy.load())\n"),
        # a ToolFailed also counted as "interrupted": the failed call is taken for one still running
        slip(12, "evolve_and_replay", '    else:\n        status = "working"\n',
             '    elif isinstance(event, ToolFailed):\n        status = "interrupted"\n    else:\n        status = "working"\n'),
    ],
    "step": [
        # every tool's result taken for a hand-back
        slip(12, "step", "if isinstance(last, ToolResult) and last.name == HAND_BACK:", "if isinstance(last, ToolResult):"),
        # the guard's refusal stored without the call it refuses
        slip(12, "step", "                    stored = [call, ruling]\n", "                    stored = [ruling]\n"),
        # the amount in the error not rounded to cents
        slip(12, "step", "a refund of ${intent.amount:.2f} needs", "a refund of ${intent.amount} needs"),
        # the escalation marked as normal urgency
        slip(12, "step", 'errors in a row; the last: {last.error}", urgency="high")',
             'errors in a row; the last: {last.error}", urgency="normal")'),
        # the escalation quotes the whole event, not its error
        slip(12, "step", "the last: {last.error}", "the last: {last}"),
        # Stop said before the stores
        slip(12, "step", "        return state, [*effects, Stop(status=state.status)]",
             "        return state, [Stop(status=state.status), *effects]"),
        # an event from the world not folded in: the state stays where it was
        slip(12, "step", "        state, effects = evolve(state, event), []\n", "        effects = []\n"),
        # an event from the world stored again, though the runtime stored it already
        slip(12, "step", "        state, effects = evolve(state, event), []\n", "        state, effects = record(state, [event])\n"),
        # a call with no result forgotten: the model is asked again instead of running it
        slip(12, "step", "    if state.status == \"interrupted\":\n        return state, [*effects, RunTool(call=last)]\n", ""),
        # the step budget counted in step itself, across every call and thread
        slip(12, "step", "# Exercise 12.2\n", "# Exercise 12.2\n_ASKED = [0]  # model calls so far: escalate when out of steps\n\n")
        .replace("    return state, [*effects, AskModel()]",
                 "    _ASKED[0] += 1\n    if _ASKED[0] > 12:\n"
                 "        escalation = Escalate(reason=\"Out of steps.\", urgency=\"high\")\n"
                 "        state, more = record(state, [ToolRequested(name=\"escalate\", arguments=escalation.model_dump_json())])\n"
                 "        return state, [*effects, *more, Stop(status=\"waiting\")]\n"
                 "    return state, [*effects, AskModel()]"),
        # reads the clock through datetime: the summary dated
        slip(12, "step", "stored = [Finished(summary=summary)]",
             "stored = [Finished(summary=f\"{summary} ({__import__('datetime').datetime.now():%Y-%m-%d %H:%M:%S.%f})\")]"),
        # a random id on each approval request
        slip(12, "step", "ToolRequested(name=\"request_approval\", arguments=ruling.model_dump_json())]",
             "ToolRequested(name=\"request_approval\", arguments=json.dumps({**ruling.model_dump(), "
             "\"request_id\": __import__('uuid').uuid4().hex}))]"),
        # the approval limit loaded from the shop's file
        slip(12, "step", _GUARD, "                ruling = guard(intent, state.thread, ShopPolicy.load())\n"),
    ],
    "diverges_at": [
        # the log's end taken for the end of the replay: one store too many is not a divergence
        slip(12, "diverges_at", "                if k >= len(events) or events[k] != effect.event:\n",
             "                if k >= len(events):\n                    return None\n"
             "                if events[k] != effect.event:\n"),
        # events compared by kind only
        slip(12, "diverges_at", "events[k] != effect.event", "events[k].kind != effect.event.kind"),
        # the reducer given ignored
        slip(12, "diverges_at", "    reducer = reducer or step\n", "    reducer = step\n"),
        # the model's choice moves k on too: the stores are checked against the events after it
        slip(12, "diverges_at", "            fed = chosen\n", "            fed = chosen\n            k += 1\n"),
        # a stored event found anywhere in the log counts
        slip(12, "diverges_at", "events[k] != effect.event", "effect.event not in events"),
        # the ticket skipped: it is the thread's, not an event of the run
        slip(12, "diverges_at", "    k, asked = 0, False\n", "    k, asked = 1, False\n"),
        # every recorded choice fed as the model's, asked for or not
        slip(12, "diverges_at", "chosen = model_choice(events[k]) if asked else None", "chosen = model_choice(events[k])"),
        # only the first Store of a step checked
        slip(12, "diverges_at", "        for effect in effects:\n            if isinstance(effect, Store):\n",
             "        for effect in [e for e in effects if isinstance(e, Store)][:1]:\n            if True:\n"),
        # the position one before the step
        slip(12, "diverges_at", "                    return begun\n", "                    return begun - 1 if begun else 0\n"),
    ],
}

for _grade_id, _sources in _FRESH.items():
    WRONG_ANSWERS[_grade_id] = [*WRONG_ANSWERS[_grade_id], *_sources]
