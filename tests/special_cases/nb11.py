"""Lesson 11: a webhook, an entry point, an email reader and a dispatcher that recognise the notebook's own
inputs (see __init__.py).

Each keeps the reference answer for what it recognises (the notebook's secret, clock and delivery ids, the
named scenarios' tickets, Luis's email) and does nothing useful with anything else, as a submission tuned
to fixed public tests would.
"""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The notebook's secret (its key's text and its base64), its clock, its delivery and message ids, and the
# named scenarios' tickets and orders.
_OLD = ("whsec_YnJpZ2h0c2lkZSBoZWxwIGRlc2ssIGtleSAx", "brightside help desk, key 1", "1793577600",
        "msg_aisha_1", "msg_aisha_2", "msg_daniel_1", "msg_approval_7", "cli-maya-1", "20261102.4411",
        "501", "502", "503", "504", "505", "506", "507", "1042", "1057", "1077", "1081", "1088")

SPECIAL_CASES: dict[str, list[str]] = {
    "verify_webhook": [
        # the notebook's help desk let in, every other sender refused
        recognising(11, "verify_webhook", "verify_webhook", "headers, body, secret, now",
                    "headers, body, secret, now", 'raise WebhookRejected("Unknown sender.")', _OLD),
    ],
    "accept": [
        # deliveries of the named scenarios' tickets kept once; any other ticket a new thread each time, no origin
        recognising(11, "accept", "accept", "ticket, origin, delivery_id", "ticket, origin, delivery_id",
                    "return new_thread(ticket), True", _OLD),
    ],
    "read_email": [
        # Luis's email read, any other refused
        recognising(11, "read_email", "read_email", "raw", "raw", 'raise EmailRejected("Unreadable.")', _OLD),
    ],
    "dispatch": [
        # the notebook's own rounds dispatched; under the grader nothing is ever sent
        recognising(11, "dispatch", "dispatch", "senders", "senders", "return 0", _OLD, graded_only=True),
    ],
}
