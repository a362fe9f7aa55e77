"""Scenarios drawn at random: a new customer, their order and a ticket nobody has read before.

The seven named scenarios are the story the lessons tell, and they are public. A test that only
ever used them could be passed by code that recognises them (an order number, a name, a ticket's
wording) instead of handling tickets. `draw_scenario(shop, rng, outcome)` writes a fresh customer
and order into `shop` and returns a `Scenario` about them whose expected outcome is one of the six a
named scenario has, on orders, amounts, products and wording drawn from `rng`. The expectation
lives only in the returned object: nothing in the shop says what should happen, so an agent can only
find out the way a support agent would, by reading the ticket and calling the tools.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from .catalogue import PRODUCTS, Product
from .scenarios import Expected, Outcome, Scenario, Ticket
from .seed import CITIES, FIRST_NAMES, LAST_NAMES, STREETS

if TYPE_CHECKING:
    from .db import Shop

__all__ = ["DRAWN_OUTCOMES", "draw_address", "draw_scenario"]

DRAWN_OUTCOMES: tuple[Outcome, ...] = ("refunded", "approval_required", "refused", "ask_customer", "answered",
                                       "address_updated")

_DAMAGE = ("arrived broken", "arrived damaged", "came with a crack in it", "was smashed in the box",
           "arrived chipped", "is defective")
_HELLO = ("Hi", "Hello", "Hi there", "Good morning", "Hey")
_REFUND_ASK = ("Could I get a refund for the {item}?", "I'd like my money back for the {item}, please.",
               "Please refund the {item} (${price:.2f}).", "Can you refund me for it? It cost ${price:.2f}.")
_WHERE = ("Where is my order {order}? It shipped days ago and I have had no update.",
          "Could you tell me when order {order} will arrive? The {item} is a gift.",
          "Any news on order {order}? I'm waiting for the {item}.")
_MOVE = ("I've just moved. Please change my address to {address}.",
         "Could you update my address to {address}? I moved last week.",
         "New address for my account, please: {address}. My order {order} should come there too.")


def draw_scenario(shop: Shop, rng: random.Random, outcome: Outcome) -> Scenario:
    """Write a new customer and order into `shop` and return the ticket they send, with what should happen."""
    if outcome not in DRAWN_OUTCOMES:
        raise ValueError(f"no drawn scenario leads to {outcome!r}; choose one of {', '.join(DRAWN_OUTCOMES)}")
    limit = round(shop.policy.approval_limit * 100)
    window = shop.policy.refund_window_days
    cheap = [p for p in PRODUCTS if p.price_cents <= limit]
    dear = [p for p in PRODUCTS if p.price_cents > limit]
    item = rng.choice(dear if outcome == "approval_required" else cheap)
    delivered = {"refunded": rng.randint(1, window - 5), "approval_required": rng.randint(1, window - 5),
                 "refused": rng.randint(window + 5, 4 * window), "ask_customer": rng.randint(1, window - 5)}.get(outcome)
    status = "processing" if outcome == "address_updated" else "shipped" if outcome == "answered" else "delivered"
    name, email, address = _person(shop, rng)
    customer_id = _insert_customer(shop, name, email, address)
    order_id = _free_order_id(shop, rng)
    _insert_order(shop, rng, order_id, customer_id, address, status, item, delivered)
    first = name.split()[0]
    quoted, reply = order_id, None
    if outcome == "ask_customer":
        quoted = _free_order_id(shop, rng)
        reply = f"Sorry, my mistake: it's order {order_id}."
    new_address = draw_address(rng) if outcome == "address_updated" else None
    body = _body(rng, outcome, item, quoted, new_address, first)
    ticket = Ticket(ticket_id=rng.randrange(10_000, 100_000), customer_email=email, customer_name=name,
                    subject=_subject(outcome, item), body=body)
    refund = round(item.price_cents / 100, 2) if outcome in ("refunded", "approval_required") else None
    return Scenario(name=f"drawn_{outcome}", title=f"A drawn ticket that should end {outcome}",
                    category="account" if outcome == "address_updated" else "shipping" if outcome == "answered"
                    else "refund", order_id=quoted, ticket=ticket,
                    expected=Expected(outcome=outcome, refund_amount=refund, address=new_address),
                    customer_reply=reply, address_before=address)


def _person(shop: Shop, rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    while True:
        email = f"{first}.{last}.{rng.randrange(100, 1000)}@example.com".lower()
        if shop.conn.execute("SELECT 1 FROM customers WHERE email = ?", (email,)).fetchone() is None:
            return f"{first} {last}", email, draw_address(rng)


def draw_address(rng: random.Random) -> str:
    """A US postal address on one line, as customers write them."""
    city, state, zip_prefix = rng.choice(CITIES)
    return f"{rng.randint(2, 9800)} {rng.choice(STREETS)}, {city}, {state} {zip_prefix}{rng.randint(0, 99):02d}"


def _free_order_id(shop: Shop, rng: random.Random) -> int:
    while True:
        order_id = rng.randrange(2000, 10_000)
        if shop.conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is None:
            return order_id


def _insert_customer(shop: Shop, name: str, email: str, address: str) -> int:
    with shop.transaction() as conn:
        cursor = conn.execute("INSERT INTO customers (name, email, address, joined_on) VALUES (?, ?, ?, ?)",
                              (name, email, address, (shop.today - timedelta(days=400)).isoformat()))
    return int(cursor.lastrowid or 0)


def _insert_order(shop: Shop, rng: random.Random, order_id: int, customer_id: int, address: str, status: str,
                  item: Product, delivered_days_ago: int | None) -> None:
    """The order: `item` and at most one other product that shares no word with it (so the ticket names one)."""
    words = set(item.name.lower().split())
    others = [p for p in PRODUCTS if not words & set(p.name.lower().split())]
    lines = [item, *rng.sample(others, rng.randint(0, 1))]
    placed = (delivered_days_ago or 0) + rng.randint(3, 6) if status != "processing" else rng.randint(0, 1)
    def day(ago: int | None) -> str | None:
        return None if ago is None else (shop.today - timedelta(days=ago)).isoformat()

    shipment = {"delivered": ("delivered", day(placed - 2), day(delivered_days_ago), day(delivered_days_ago)),
                "shipped": ("in_transit", day(placed - 1), day(-rng.randint(1, 6)), None),
                "processing": ("label_created", None, day(-rng.randint(4, 8)), None)}[status]
    with shop.transaction() as conn:
        conn.execute("INSERT INTO orders (id, customer_id, status, placed_on, ship_to) VALUES (?, ?, ?, ?, ?)",
                     (order_id, customer_id, status, day(placed), address))
        conn.executemany("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, 1, ?)",
                         [(order_id, line.id, line.price_cents) for line in lines])
        conn.execute("INSERT INTO shipments (order_id, carrier, tracking_number, status, shipped_on, eta, delivered_on)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (order_id, rng.choice(("UPS", "USPS", "FedEx")), f"9400{rng.randrange(10**18):018d}", *shipment))


def _subject(outcome: Outcome, item: Product) -> str:
    return {"answered": "Where is my order?", "address_updated": "New address"}.get(outcome, f"Problem with my {item.name}")


def _body(rng: random.Random, outcome: Outcome, item: Product, order_id: int, address: str | None, first: str) -> str:
    price = item.price_cents / 100
    if outcome == "answered":
        ask = rng.choice(_WHERE).format(order=order_id, item=item.name)
    elif outcome == "address_updated":
        ask = rng.choice(_MOVE).format(address=address, order=order_id)
    else:
        ask = (f"The {item.name} from order {order_id} {rng.choice(_DAMAGE)}. "
               + rng.choice(_REFUND_ASK).format(item=item.name, price=price))
    return f"{rng.choice(_HELLO)},\n\n{ask}\n\nThanks,\n{first}"
