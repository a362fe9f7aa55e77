"""Hand-written rows the scenarios stand on, with fixed ids, whatever the seed.

Dates are counted back from the shop's "today", so the story holds for any injected date: order
1013 is always delivered 75 days ago, outside the 30-day refund window. The ticket prose in
`scenarios.py` describes exactly these rows; `tests/test_shop_scenarios.py` checks that it does.
Fixture customers have no other orders, refunds or messages, so `outcome_of` can judge a
scenario by looking at its customer alone.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

__all__ = ["CUSTOMERS", "DEFAULT_TODAY", "ORDERS", "UNKNOWN_ORDER_ID", "FixtureCustomer", "FixtureOrder"]

DEFAULT_TODAY = date(2026, 11, 2)
"""The shop's "today" unless another is injected: a Monday. The long thread's dates count back from it."""


class FixtureCustomer(NamedTuple):
    id: int
    name: str
    email: str
    address: str
    joined_days_ago: int


class FixtureOrder(NamedTuple):
    id: int
    customer_id: int
    placed_days_ago: int
    status: str
    items: tuple[tuple[int, int], ...]  # (product id, quantity)
    carrier: str
    tracking_number: str
    shipment_status: str
    shipped_days_ago: int | None
    delivered_days_ago: int | None
    eta_in_days: int  # days from today; negative means in the past


CUSTOMERS: tuple[FixtureCustomer, ...] = (
    FixtureCustomer(1, "Maya Chen", "maya.chen@example.com", "14 Orchard Lane, Portland, OR 97205", 412),
    FixtureCustomer(2, "Daniel Okafor", "daniel.okafor@example.com", "301 Cedar Ave, Austin, TX 78704", 230),
    FixtureCustomer(3, "Priya Raman", "priya.raman@example.net", "9 Willow Way, Cambridge, MA 02139", 95),
    FixtureCustomer(4, "Tom Becker", "tom.becker@example.org", "4410 Elm St, Columbus, OH 43214", 610),
    FixtureCustomer(5, "Aisha Karim", "aisha.karim@example.com", "77 Harbor Rd, Seattle, WA 98107", 58),
    FixtureCustomer(6, "Luis Ortega", "luis.ortega@example.com", "88 Pine St Apt 3, Denver, CO 80203", 340),
    FixtureCustomer(7, "Grace Liu", "grace.liu@example.com", "12 Birch Court, Madison, WI 53703", 150),
)

ORDERS: tuple[FixtureOrder, ...] = (
    # damaged_item: mug, dripper and beans; the mug arrived broken five days ago.
    FixtureOrder(1042, 1, 9, "delivered", ((1, 1), (2, 1), (3, 1)), "UPS", "1Z84V2E70391420051", "delivered", 7, 5, -5),
    # large_refund: an $899 TV delivered six days ago with a cracked screen.
    FixtureOrder(1057, 2, 12, "delivered", ((4, 1),), "FedEx", "781234567890", "delivered", 10, 6, -6),
    # unknown_order: Priya's real order (she writes #1603, which does not exist).
    FixtureOrder(1063, 3, 14, "delivered", ((5, 1), (6, 1)), "USPS", "9400111899223344556677", "delivered", 12, 8, -8),
    # out_of_window: a skillet delivered 75 days ago.
    FixtureOrder(1013, 4, 81, "delivered", ((7, 1), (8, 1)), "UPS", "1Z84V2E70310130013", "delivered", 79, 75, -75),
    # where_is_my_order: a rain jacket in transit, due in three days.
    FixtureOrder(1077, 5, 6, "shipped", ((9, 1),), "UPS", "1Z999AA10123456784", "in_transit", 4, None, 3),
    # change_address: placed yesterday, not shipped yet, so it can follow the new address.
    FixtureOrder(1081, 6, 1, "processing", ((10, 1),), "USPS", "9400111899100081001081", "label_created", None, None, 6),
    # long_thread: blanket, pillowcases and tray; delayed, delivered three days ago without the pillowcases.
    FixtureOrder(1088, 7, 28, "delivered", ((11, 1), (12, 1), (13, 1)), "USPS", "9400111899561234567890", "delivered", 16, 3, -3),
)

UNKNOWN_ORDER_ID = 1603
"""The order number Priya writes in the unknown_order ticket: a typo for 1063 that no seed creates."""
