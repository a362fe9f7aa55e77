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

_FRESH_LOWER = "    headers = {name.lower(): value for name, value in headers.items()}\n"
_FRESH_GET = '''    msg_id, timestamp, signatures = (headers.get(name, "") for name in
                                     ("webhook-id", "webhook-timestamp", "webhook-signature"))
'''
_FRESH_TRY = '''    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookRejected(f"The timestamp {timestamp[:20]!r} is not a number of seconds.") from None
'''
_FRESH_CMP = "    if not any(hmac.compare_digest(expected, given.encode()) for given in signatures.split()):"
_FRESH_LOOKUP = '''        seen = conn.execute("SELECT thread_id FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        if seen is not None:
            return seen[0], False
'''
_FRESH_NEW = "        thread_id = new_thread(ticket)\n"
_FRESH_DELIVERY = '''        conn.execute("INSERT INTO deliveries (id, thread_id) VALUES (?, ?)", (delivery_id, thread_id))
'''
_FRESH_MARK = '''        senders[reply.channel](reply)
        inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
'''
_FRESH_SKIP = '''        if reply.channel not in senders:
            continue
'''

# Found by a second, independent pass of plausible mistakes made from the learner edition's prose.
_FRESH: dict[str, list[str]] = {
    "verify_webhook": [
        # header names read as sent: a sender writing Webhook-Id is refused
        slip(11, "verify_webhook", _FRESH_LOWER, ""),
        # GitHub's habit: a hex digest, not base64
        slip(11, "verify_webhook", '    expected = b"v1," + base64.b64encode(digest)',
             '    expected = b"v1," + hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).hexdigest().encode()'),
        # the version prefix dropped from the given signature: a v1a (or any) scheme is accepted
        slip(11, "verify_webhook", _FRESH_CMP,
             '    if not any(hmac.compare_digest(base64.b64encode(digest), given.split(",", 1)[-1].encode()) for given in signatures.split()):'),
        # off by one: a delivery exactly TOLERANCE old is refused
        slip(11, "verify_webhook", "    if abs(now - sent) > TOLERANCE:", "    if abs(now - sent) >= TOLERANCE:"),
        # the machine's clock, not the `now` given
        slip(11, "verify_webhook", "    if abs(now - sent) > TOLERANCE:", "    if abs(int(time.time()) - sent) > TOLERANCE:"),
        # headers indexed: a missing one is a KeyError (500), not a 401
        slip(11, "verify_webhook", _FRESH_GET + '''    if not (msg_id and timestamp and signatures):
        raise WebhookRejected("A webhook-id, webhook-timestamp and webhook-signature are required.")
''', '''    msg_id, timestamp, signatures = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
'''),
        # a timestamp that is no number: int() raises ValueError, not WebhookRejected
        slip(11, "verify_webhook", _FRESH_TRY, "    sent = int(timestamp)\n"),
        # lstrip strips characters, not a prefix: a key whose base64 starts with c, e, h, s or w is mangled
        slip(11, "verify_webhook", 'secret.removeprefix("whsec_")', 'secret.lstrip("whsec_")'),
        # the body signed as re-serialised JSON, not as the bytes sent
        slip(11, "verify_webhook", 'f"{msg_id}.{timestamp}.".encode() + body',
             'f"{msg_id}.{timestamp}.{json.dumps(json.loads(body))}".encode()'),
        # the secret decoded with its prefix: the key's bytes are wrong
        slip(11, "verify_webhook", 'base64.b64decode(secret.removeprefix("whsec_"))', 'base64.b64decode(secret + "==")'),
    ],
    "accept": [
        # new_thread before the transaction: a crash leaves a thread with nothing recorded
        slip(11, "accept", "    conn = inbox()\n    with current_shop().transaction():\n" + _FRESH_LOOKUP + _FRESH_NEW,
             "    conn = inbox()\n    thread_id = new_thread(ticket)\n    with current_shop().transaction():\n" + _FRESH_LOOKUP),
        # the row returned, not its thread id
        slip(11, "accept", "            return seen[0], False", "            return seen, False"),
        # new read as "seen before": the flag inverted
        slip(11, "accept", "            return seen[0], False", "            return seen[0], True")
        .replace("    return thread_id, True", "    return thread_id, False"),
        # the deliveries' columns swapped in the insert
        slip(11, "accept", "(delivery_id, thread_id))", "(thread_id, delivery_id))"),
        # the customer's email stored as where replies go
        slip(11, "accept", "(thread_id, origin.channel, origin.address))", "(thread_id, origin.channel, ticket.customer_email))"),
        # one thread per ticket, not per delivery
        slip(11, "accept", '''conn.execute("SELECT thread_id FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()''',
             '''conn.execute("SELECT d.thread_id FROM deliveries d JOIN threads t ON t.id = d.thread_id "
                            "WHERE json_extract(t.ticket, '$.ticket_id') = ? OR d.id = ?",
                            (ticket.ticket_id, delivery_id)).fetchone()'''),
        # store(), lesson 05's connection: this lesson's tables never made
        slip(11, "accept", "    conn = inbox()", "    conn = store()"),
        # the thread started before the lookup
        slip(11, "accept", _FRESH_LOOKUP + _FRESH_NEW, _FRESH_NEW + _FRESH_LOOKUP),
        # EAFP: insert the delivery and catch the duplicate key, after the thread was started
        slip(11, "accept", _FRESH_LOOKUP, "").replace(_FRESH_DELIVERY, '''        try:
            conn.execute("INSERT INTO deliveries (id, thread_id) VALUES (?, ?)", (delivery_id, thread_id))
        except sqlite3.IntegrityError:
            return conn.execute("SELECT thread_id FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()[0], False
'''),
        # the sqlite3 connection as the transaction: with autocommit it groups nothing
        slip(11, "accept", "    with current_shop().transaction():", "    with conn:"),
    ],
    "read_email": [
        # the default policy: no get_body, encoded words left encoded
        slip(11, "read_email", "email.message_from_bytes(raw, policy=email.policy.default)", "email.message_from_bytes(raw)"),
        # no fallback for a sender without a display name: an empty name
        slip(11, "read_email", 'customer_name=name or address.split("@")[0]', "customer_name=name"),
        # the whole address as the fallback name
        slip(11, "read_email", 'customer_name=name or address.split("@")[0]', "customer_name=name or address"),
        # the subject not stripped
        slip(11, "read_email", 'subject=str(message.get("Subject", "")).strip()', 'subject=str(message.get("Subject", ""))'),
        # the body not stripped: the blank line before the quote stays
        slip(11, "read_email", 'body="\\n".join(kept).strip()', 'body="\\n".join(kept)'),
        # the "wrote:" line kept
        slip(11, "read_email", '''    if quoted < len(lines) and kept and kept[-1].rstrip().endswith("wrote:"):
        kept = kept[:-1]
''', ""),
        # quoted lines filtered out, not cut at: a signature after the quote stays
        slip(11, "read_email", "    kept = lines[:quoted]", '    kept = [line for line in lines if not line.startswith(">")]'),
        # an address is anything non-empty
        slip(11, "read_email", '    if "@" not in address:', "    if not address:"),
        # the Message-ID's angle brackets stripped before numbering
        slip(11, "read_email", 'ticket_number(str(message.get("Message-ID", "")))',
             'ticket_number(str(message.get("Message-ID", "")).strip("<>"))'),
        # the payload as sent, not decoded: quoted-printable and base64 stay encoded
        slip(11, "read_email", "    lines = part.get_content().splitlines()", "    lines = part.get_payload().splitlines()"),
    ],
    "dispatch": [
        # no skip: a channel with no sender is a KeyError
        slip(11, "dispatch", _FRESH_SKIP, ""),
        # break, not continue: one waiting channel holds back every reply after it
        slip(11, "dispatch", "            continue", "            break"),
        # a failing sender swallowed and the round goes on: later replies overtake it
        slip(11, "dispatch", _FRESH_MARK, '''        try:
            senders[reply.channel](reply)
        except Exception:
            continue
        inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
'''),
        # counted before the skip: waiting replies counted as sent
        slip(11, "dispatch", "    for reply in pending_replies():\n", "    for reply in pending_replies():\n        sent += 1\n")
        .replace("        inbox().execute(\"UPDATE outbox SET sent = 1 WHERE id = ?\", (reply.id,))\n        sent += 1\n",
                 "        inbox().execute(\"UPDATE outbox SET sent = 1 WHERE id = ?\", (reply.id,))\n"),
        # marked by thread: one send marks every reply of its thread
        slip(11, "dispatch", 'SET sent = 1 WHERE id = ?", (reply.id,))', 'SET sent = 1 WHERE thread_id = ?", (reply.thread_id,))'),
        # the body handed to the sender, not the reply
        slip(11, "dispatch", "        senders[reply.channel](reply)\n", "        senders[reply.channel](reply.body)\n"),
        # the outbox read directly: nothing was ever copied into it
        slip(11, "dispatch", "    for reply in pending_replies():", '''    rows = inbox().execute("SELECT id, thread_id, channel, address, body FROM outbox WHERE sent = 0 ORDER BY rowid")
    for reply in [Outgoing(id=i, thread_id=t, channel=c, address=a, body=b) for i, t, c, a, b in rows]:'''),
        # one transaction around the round: a failure rolls back the marks of replies already sent
        slip(11, "dispatch", '''    for reply in pending_replies():
        if reply.channel not in senders:
            continue
        senders[reply.channel](reply)
        inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
        sent += 1
''', '''    with current_shop().transaction():
        for reply in pending_replies():
            if reply.channel not in senders:
                continue
            senders[reply.channel](reply)
            inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
            sent += 1
'''),
        # marked only when the sender returns something truthy: senders return None
        slip(11, "dispatch", _FRESH_MARK, '''        if senders[reply.channel](reply):
            inbox().execute("UPDATE outbox SET sent = 1 WHERE id = ?", (reply.id,))
'''),
        # the replies sent newest first
        slip(11, "dispatch", "    for reply in pending_replies():", "    for reply in reversed(pending_replies()):"),
    ],
}

for _grade_id, _sources in _FRESH.items():
    WRONG_ANSWERS[_grade_id] = [*WRONG_ANSWERS[_grade_id], *_sources]
