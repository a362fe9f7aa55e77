"""Named support tickets and what a good agent does with each: shared by lessons, tests and grading.

Each scenario is a ticket a real customer might write, the fixture rows it stands on (see
`fixtures.py`) and the expected outcome. `outcome_of(shop, scenario)` reads what actually happened
from the shop database, so a test compares actual with expected without trusting the agent's
own account of itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from .fixtures import CUSTOMERS, DEFAULT_TODAY, UNKNOWN_ORDER_ID

if TYPE_CHECKING:
    from .db import Shop

__all__ = [
    "DEFAULT_TODAY",
    "SCENARIOS",
    "Category",
    "Expected",
    "HistoryMessage",
    "Observed",
    "Outcome",
    "Scenario",
    "Ticket",
    "get_scenario",
    "outcome_of",
    "refunded_amount",
]

Category = Literal["refund", "shipping", "account"]
Outcome = Literal["refunded", "approval_required", "ask_customer", "refused", "answered", "address_updated"]
Observed = Literal["refunded", "approval_required", "ask_customer", "refused", "answered", "address_updated", "nothing"]


class HistoryMessage(BaseModel):
    """An earlier message in the ticket's thread, from the customer or a human support agent."""

    model_config = ConfigDict(frozen=True)

    sender: Literal["customer", "agent"]
    sent_on: date
    body: str


class Ticket(BaseModel):
    """What the customer wrote: the newest message, and any earlier thread it continues."""

    model_config = ConfigDict(frozen=True)

    ticket_id: int
    customer_email: str
    customer_name: str
    subject: str
    body: str
    history: tuple[HistoryMessage, ...] = ()

    def render(self) -> str:
        """The ticket as one plain-text message: headers, the earlier thread if any, then the body."""
        lines = [f"From: {self.customer_name} <{self.customer_email}>", f"Subject: {self.subject}", ""]
        if self.history:
            lines.append(f"Earlier messages in this thread ({len(self.history)}):")
            for message in self.history:
                who = self.customer_name if message.sender == "customer" else "Brightside support"
                lines.append(f"[{message.sent_on.isoformat()}] {who}: {message.body}")
            lines += ["", "Latest message:"]
        lines.append(self.body)
        return "\n".join(lines)


class Expected(BaseModel):
    """What should happen. `refund_amount` is what gets (or, for approval, may get) refunded."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    refund_amount: float | None = None
    address: str | None = Field(default=None, description="The customer's address afterwards, when it changes.")


class Scenario(BaseModel):
    """A named ticket, the order it is about, and the expected outcome."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    category: Category
    order_id: int = Field(description="The order number as the ticket quotes it (it may not exist).")
    ticket: Ticket
    expected: Expected
    customer_reply: str | None = Field(default=None, description="What the customer answers if asked a question.")
    address_before: str | None = Field(default=None, description="The customer's address when they wrote, for a "
                                       "customer who is not a fixture (a drawn scenario, see drawn.py).")


def _customer(email: str) -> tuple[str, str]:
    match = next(c for c in CUSTOMERS if c.email == email)
    return match.email, match.name


def _ticket(ticket_id: int, email: str, subject: str, body: str, history: tuple[HistoryMessage, ...] = ()) -> Ticket:
    customer_email, name = _customer(email)
    return Ticket(ticket_id=ticket_id, customer_email=customer_email, customer_name=name,
                  subject=subject, body=body.strip(), history=history)


def _long_history() -> tuple[HistoryMessage, ...]:
    raw = json.loads(Path(__file__).with_name("long_thread.json").read_text(encoding="utf-8"))
    return tuple(HistoryMessage(sender=m["sender"], sent_on=DEFAULT_TODAY - timedelta(days=m["days_ago"]),
                                body=m["body"]) for m in raw)


_SCENARIOS = (
    Scenario(
        name="damaged_item", title="A mug arrived broken", category="refund", order_id=1042,
        ticket=_ticket(501, "maya.chen@example.com", "Mug arrived in pieces", """
Hi there,

My order 1042 came a few days ago. I'd ordered the pour-over dripper and a bag of the Ethiopian beans,
plus one of your speckled mugs as a birthday present for my sister. The box looked fine from the
outside, but when I unpacked it the mug was in three pieces. Everything else survived, it's only the
mug ($18.50). The birthday has passed now, so rather than a replacement could I just get a refund
for the mug?

Thanks,
Maya"""),
        expected=Expected(outcome="refunded", refund_amount=18.50),
    ),
    Scenario(
        name="large_refund", title="An $899 TV with a cracked screen", category="refund", order_id=1057,
        ticket=_ticket(502, "daniel.okafor@example.com", "Cracked screen on new TV", """
Hello,

The TV from order 1057 was delivered last week. I waited for the weekend to set it up, and when I
lifted it out of the foam there was a crack running across the bottom left corner of the screen.
When it's switched on, that whole corner is a spiderweb of dead pixels. The box had a big dent on
that side, so I assume it happened in transit.

I paid $899 for this TV and I'd like a full refund. I'd rather buy one locally than wait for another
to be shipped. I have photos if you need them.

Regards,
Daniel Okafor"""),
        expected=Expected(outcome="approval_required", refund_amount=899.00),
    ),
    Scenario(
        name="unknown_order", title="A refund for an order number that does not exist", category="refund",
        order_id=UNKNOWN_ORDER_ID,
        ticket=_ticket(503, "priya.raman@example.net", "Desk lamp arrived bent", """
Hi,

The brass desk lamp from order #1603 arrived last week with its neck bent, so it leans over to one
side and won't stand up straight. I tried gently bending it back but I'm afraid it will snap.
Can I get my money back for the lamp please?

Priya"""),
        expected=Expected(outcome="ask_customer"),
        customer_reply="Oh no, sorry, I mistyped it. It's order 1063.",
    ),
    Scenario(
        name="out_of_window", title="An angry customer, 75 days after delivery", category="refund", order_id=1013,
        ticket=_ticket(504, "tom.becker@example.org", "Your skillet CRACKED", """
I bought your 12-inch cast iron skillet (order 1013) about two and a half months ago and last night
it cracked clean through the bottom on my gas stove. CAST IRON. Cracked. My grandmother's skillet is
sixty years old and still going, and yours didn't last a season.

I want a full refund, not a coupon and not excuses. If I don't hear back I'll dispute the charge with
my bank and leave a review telling everyone what your "lifetime" cookware is worth.

Tom Becker"""),
        expected=Expected(outcome="refused"),
    ),
    Scenario(
        name="where_is_my_order", title="A parcel in transit", category="shipping", order_id=1077,
        ticket=_ticket(505, "aisha.karim@example.com", "Where is my order?", """
Hi!

I ordered the packable rain jacket almost a week ago (order 1077). The confirmation said it had
shipped, but I haven't had any update since. I'm going hiking the weekend after next and I really
need it by then. Can you tell me where it is and when it will arrive?

Thanks so much,
Aisha"""),
        expected=Expected(outcome="answered"),
    ),
    Scenario(
        name="change_address", title="A customer who just moved", category="account", order_id=1081,
        ticket=_ticket(506, "luis.ortega@example.com", "I moved", """
Hello,

I just moved and noticed my account still has my old address (88 Pine St Apt 3, Denver, CO 80203).
Please change it to 2150 Larimer St Unit 5B, Denver, CO 80205.

I placed order 1081 yesterday and I don't think it has gone out yet, so hopefully it can come to the
new place too.

Thanks!
Luis"""),
        expected=Expected(outcome="address_updated", address="2150 Larimer St Unit 5B, Denver, CO 80205"),
    ),
    Scenario(
        name="long_thread", title="Forty messages later, the pillowcases never came", category="refund",
        order_id=1088,
        ticket=_ticket(507, "grace.liu@example.com", "Re: order 1088", """
Hello again,

It's been three days since the box arrived, and the Linen Pillowcase Set never showed up. The packing
slip lists it, your warehouse says it was packed, and I've searched everything. I'm done waiting:
please just refund the $24 for the pillowcases on order 1088 and we'll call it even.

Grace""", _long_history()),
        expected=Expected(outcome="refunded", refund_amount=24.00),
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in _SCENARIOS}


def get_scenario(name: str) -> Scenario:
    """The scenario called `name`, or a KeyError that lists the valid names."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"No scenario {name!r}. Valid names: {', '.join(SCENARIOS)}.") from None


def refunded_amount(shop: Shop, scenario: Scenario) -> float:
    """Dollars refunded to the scenario's customer since the shop was seeded (fixture customers start at 0)."""
    row = shop.conn.execute(
        "SELECT COALESCE(SUM(r.amount_cents), 0) FROM refunds r JOIN orders o ON o.id = r.order_id"
        " JOIN customers c ON c.id = o.customer_id WHERE c.email = ?",
        (scenario.ticket.customer_email,),
    ).fetchone()
    return round(float(row[0]) / 100, 2)


def outcome_of(shop: Shop, scenario: Scenario, *, called: Iterable[str] = ()) -> Observed:
    """What actually happened for this scenario, judged from the database.

    In order: a refund to the customer -> "refunded"; their address changed -> "address_updated";
    a message sent to them -> "ask_customer" if it asks a question ("?"), else "refused" for a
    refund ticket and "answered" otherwise. Asking a human leaves no trace in the shop, so pass
    `called`, the names of the tools the agent called (from the transcript), to recognise an
    agent paused at "request_approval" or "ask_customer". Nothing at all -> "nothing".
    """
    email = scenario.ticket.customer_email
    if refunded_amount(shop, scenario) > 0:
        return "refunded"
    original = scenario.address_before or next(c.address for c in CUSTOMERS if c.email == email)
    if _one(shop.conn, "SELECT address FROM customers WHERE email = ?", email) != original:
        return "address_updated"
    last = _one(shop.conn, "SELECT m.body FROM messages m JOIN customers c ON c.id = m.customer_id"
                " WHERE c.email = ? ORDER BY m.id DESC LIMIT 1", email)
    if last is not None:
        if "?" in str(last):
            return "ask_customer"
        return "refused" if scenario.category == "refund" else "answered"
    names = set(called)
    if "request_approval" in names:
        return "approval_required"
    if "ask_customer" in names:
        return "ask_customer"
    return "nothing"


def _one(conn: sqlite3.Connection, sql: str, *params: object) -> object:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]
