'''Wrong-but-plausible answers to lesson 11, trigger from anywhere.

Each one is the reference solution cell with one plausible slip (`slip` reads the reference from the
lesson's source and fails loudly if the text it replaces is gone). Each breaks a behaviour that a
hidden test of that exercise checks, and a visible check of that exercise catches it.
'''

from special_cases._cells import slip

_SIGNATURE = '''    if not any(hmac.compare_digest(expected, given.encode()) for given in signatures.split()):
        raise WebhookRejected("No valid v1 signature: not from the sender, or changed on the way.")
'''
_TIME = '''    if abs(now - sent) > TOLERANCE:
        raise WebhookRejected(f"The timestamp is {now - sent} s from now: more than {TOLERANCE} s either way.")
'''
_MARK = '''        senders[reply.channel](reply)
        inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "verify_webhook": [
        # a webhook that skips the signature: anyone who knows the URL starts the agent
        slip(11, "verify_webhook", _SIGNATURE, ""),
        # a webhook that skips the timestamp: last week's delivery, captured, is accepted again
        slip(11, "verify_webhook", _TIME, ""),
        # only "too old" is checked: a delivery dated tomorrow, captured, can be replayed all day
        slip(11, "verify_webhook", "    if abs(now - sent) > TOLERANCE:", "    if now - sent > TOLERANCE:"),
        # only the first signature is compared: a sender rotating its secret is refused
        slip(11, "verify_webhook", "for given in signatures.split()):", "for given in signatures.split()[:1]):"),
        # the secret's text as the key, not the bytes it encodes: every real sender is refused
        slip(11, "verify_webhook", '    key = base64.b64decode(secret.removeprefix("whsec_"))',
             "    key = secret.encode()"),
    ],
    "accept": [
        # no transaction: a crash after new_thread leaves a thread with no delivery, and the retry starts another
        slip(11, "accept", '''    with current_shop().transaction():
        seen = conn.execute("SELECT thread_id FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        if seen is not None:
            return seen[0], False
        thread_id = new_thread(ticket)
        conn.execute("INSERT INTO origins (thread_id, channel, address) VALUES (?, ?, ?)",
                     (thread_id, origin.channel, origin.address))
        conn.execute("INSERT INTO deliveries (id, thread_id) VALUES (?, ?)", (delivery_id, thread_id))
''', '''    seen = conn.execute("SELECT thread_id FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    if seen is not None:
        return seen[0], False
    thread_id = new_thread(ticket)
    conn.execute("INSERT INTO origins (thread_id, channel, address) VALUES (?, ?, ?)",
                 (thread_id, origin.channel, origin.address))
    conn.execute("INSERT INTO deliveries (id, thread_id) VALUES (?, ?)", (delivery_id, thread_id))
'''),
        # the delivery is never looked up: a retry fails on the deliveries' key (or starts a second thread)
        slip(11, "accept", '''        if seen is not None:
            return seen[0], False
''', ""),
        # the origin is not stored: the thread's replies have nowhere to go
        slip(11, "accept", '''        conn.execute("INSERT INTO origins (thread_id, channel, address) VALUES (?, ?, ?)",
                     (thread_id, origin.channel, origin.address))
''', ""),
    ],
    "read_email": [
        # HTML preferred: the ticket's body is markup
        slip(11, "read_email", 'preferencelist=("plain",)', 'preferencelist=("html", "plain")'),
        # the quoted earlier message kept: the model reads the shop's own words as the customer's
        slip(11, "read_email", '''    quoted = next((i for i, line in enumerate(lines) if line.startswith(">")), len(lines))''',
             '''    quoted = len(lines)'''),
        # the address kept as written: the same customer is two customers
        slip(11, "read_email", "customer_email=address.lower()", "customer_email=address"),
    ],
    "dispatch": [
        # marked before it is sent: a crash in between loses the reply
        slip(11, "dispatch", _MARK, '''        inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
        senders[reply.channel](reply)
'''),
        # all sent, then all marked: a failure half way sends the first ones again next time
        slip(11, "dispatch", _MARK, "        senders[reply.channel](reply)\n        sent += 1\n")
        .replace("    return sent", '''    for reply in pending_replies():
        if reply.channel in senders:
            inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
    return sent''').replace("        sent += 1\n        sent += 1\n", "        sent += 1\n"),
        # never marked: every round sends every reply again
        slip(11, "dispatch", '        inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))\n', ""),
    ],
}
