"""The shop's errors: every one says what went wrong and what to do next.

An agent shows these messages to a model (lesson 09 compacts them into its context), so each is a
short sentence a model can act on, never a raw database traceback. They all derive from
`ShopError`, so one `except ShopError` separates "the shop said no" from bugs.
"""

from __future__ import annotations

__all__ = [
    "BadArguments",
    "NotFound",
    "PaymentProviderDown",
    "RefundRejected",
    "ShopError",
    "ToolTimeout",
]


class ShopError(Exception):
    """Anything the shop refuses or cannot do, with a message meant for a model or a person."""

    default_message = "The shop could not do that."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class NotFound(ShopError):
    """An id or email that the shop does not know: the customer probably mistyped it."""

    default_message = "Not found."


class RefundRejected(ShopError):
    """A refund that breaks a business rule (window, amount, order state). Nothing was refunded."""

    default_message = "Refund rejected."


class BadArguments(ShopError):
    """Tool arguments that do not match the tool's input model (wrong type, missing field, bad JSON)."""

    default_message = "The tool arguments are invalid."


class PaymentProviderDown(ShopError):
    """The payment provider is unavailable: transient, worth retrying. Injected with `Shop.fail_next`."""

    default_message = "Payment provider unavailable (HTTP 503). Try again in a moment."


class ToolTimeout(ShopError):
    """A tool call that took too long to answer. Injected with `Shop.fail_next`."""

    default_message = "Timed out after 30 seconds waiting for the tool to respond."
