"""Sign a webhook delivery the Standard Webhooks way, with the specification's own reference library.

A sender (a help desk, an approval tool, the `send` command) signs; the agent's endpoint verifies.
Signing here goes through `standardwebhooks`, the reference implementation of the specification
(https://www.standardwebhooks.com), so an endpoint that accepts these deliveries accepts real senders:

    webhook-id:        msg_2b7f...                 unique per message, the same on every retry
    webhook-timestamp: 1764892800                  seconds since the epoch, when it was sent
    webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body" under the secret's bytes>

A secret is `whsec_` and the base64 of random bytes; the bytes, not the text, are the HMAC key.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timezone

__all__ = ["new_secret", "webhook_headers"]


def new_secret(raw: bytes | None = None) -> str:
    """A webhook secret, `whsec_<base64>`: of `raw` bytes, or of 24 fresh random ones."""
    return "whsec_" + base64.b64encode(raw if raw is not None else secrets.token_bytes(24)).decode("ascii")


def webhook_headers(secret: str, msg_id: str, body: str | bytes, timestamp: int) -> dict[str, str]:
    """The three headers a Standard Webhooks sender puts on `body`, signed with `secret` at `timestamp`."""
    from standardwebhooks.webhooks import Webhook

    when = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}
