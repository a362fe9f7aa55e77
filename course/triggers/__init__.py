"""Triggers: what lets an agent be started from anywhere (lesson 11, factor 11).

- `serving(app)` / `deliver(app, requests)`: an ASGI app on 127.0.0.1, requests over a real socket;
- `webhook_headers(secret, id, body, timestamp)` / `new_secret()`: sign the Standard Webhooks way,
  with the specification's reference library, as real senders do;
- `python -m course.triggers send|serve`: a terminal as a channel, and your own agent on loopback.
"""

from .serving import ServerError, as_bytes, deliver, serving
from .signing import new_secret, webhook_headers

__all__ = ["ServerError", "as_bytes", "deliver", "new_secret", "serving", "webhook_headers"]
