"""The shop world: a seeded SQLite shop, its policy, the agent's tools and the scenarios.

    from course.shop import Shop, use_shop, get_order, SCENARIOS

    shop = Shop.create()                 # fresh, seeded, deterministic; today is 2026-11-02
    with use_shop(shop):
        get_order(order_id=1042)         # Order(order_id=1042, items=[...], total=66.5, ...)

Every notebook, test and grader stands on this package, and it depends on nothing else in the
course (the shop brain, the fake model's policy about this world, is `course.brain`); see each
module's docstring for why it is shaped the way it is.
"""

from .context import current_shop, use_shop
from .db import DEFAULT_TODAY, Shop
from .drawn import DRAWN_OUTCOMES, draw_scenario
from .errors import BadArguments, NotFound, PaymentProviderDown, RefundRejected, ShopError, ToolTimeout
from .policy import ShopPolicy
from .records import (
    Customer,
    Message,
    Order,
    OrderItem,
    OrderSummary,
    Refund,
    RefundDecision,
    Shipment,
)
from .registry import TOOLS, Tool, tool_schemas
from .scenarios import (
    SCENARIOS,
    Expected,
    HistoryMessage,
    Outcome,
    Scenario,
    Ticket,
    get_scenario,
    outcome_of,
    refunded_amount,
)
from .tools import (
    CheckRefundPolicy,
    GetOrder,
    IssueRefund,
    LookupCustomer,
    SendMessage,
    TrackShipment,
    UpdateAddress,
    check_refund_policy,
    get_order,
    issue_refund,
    lookup_customer,
    send_message,
    track_shipment,
    update_address,
)

__all__ = [
    "DEFAULT_TODAY",
    "DRAWN_OUTCOMES",
    "SCENARIOS",
    "TOOLS",
    "BadArguments",
    "CheckRefundPolicy",
    "Customer",
    "Expected",
    "GetOrder",
    "HistoryMessage",
    "IssueRefund",
    "LookupCustomer",
    "Message",
    "NotFound",
    "Order",
    "OrderItem",
    "OrderSummary",
    "Outcome",
    "PaymentProviderDown",
    "Refund",
    "RefundDecision",
    "RefundRejected",
    "Scenario",
    "SendMessage",
    "Shipment",
    "Shop",
    "ShopError",
    "ShopPolicy",
    "Ticket",
    "Tool",
    "ToolTimeout",
    "TrackShipment",
    "UpdateAddress",
    "check_refund_policy",
    "current_shop",
    "draw_scenario",
    "get_order",
    "get_scenario",
    "issue_refund",
    "lookup_customer",
    "outcome_of",
    "refunded_amount",
    "send_message",
    "tool_schemas",
    "track_shipment",
    "update_address",
    "use_shop",
]
