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
