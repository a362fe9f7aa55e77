"""The public API of course.shop is pinned: renaming anything here breaks lessons, tests and graders."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import course.shop

PUBLIC = [
    "BadArguments", "CheckRefundPolicy", "Customer", "DEFAULT_TODAY", "DRAWN_OUTCOMES", "Expected", "GetOrder", "HistoryMessage",
    "IssueRefund", "LookupCustomer", "Message", "NotFound", "Order", "OrderItem", "OrderSummary", "Outcome",
    "PaymentProviderDown", "Refund", "RefundDecision", "RefundRejected", "SCENARIOS", "Scenario", "SendMessage",
    "Shipment", "Shop", "ShopError", "ShopPolicy", "TOOLS", "Ticket", "Tool", "ToolTimeout", "TrackShipment",
    "UpdateAddress", "check_refund_policy", "current_shop", "draw_scenario", "get_order", "get_scenario", "issue_refund", "lookup_customer",
    "outcome_of", "refunded_amount", "send_message", "tool_schemas", "track_shipment",
    "update_address", "use_shop",
]


def test_the_public_api_is_exactly_the_pinned_names() -> None:
    assert sorted(course.shop.__all__) == sorted(PUBLIC)
    assert all(hasattr(course.shop, name) for name in PUBLIC)


def test_every_shop_module_declares_all_and_stays_small() -> None:
    for info in pkgutil.iter_modules(course.shop.__path__):
        module = importlib.import_module(f"course.shop.{info.name}")
        assert isinstance(getattr(module, "__all__", None), list), info.name
        assert len(inspect.getsource(module).splitlines()) <= 300, info.name


def test_the_tool_functions_take_the_canonical_arguments() -> None:
    signatures = {name: list(inspect.signature(tool.function).parameters) for name, tool in course.shop.TOOLS.items()}
    assert signatures == {
        "lookup_customer": ["email"],
        "get_order": ["order_id"],
        "check_refund_policy": ["order_id", "amount"],
        "issue_refund": ["order_id", "amount", "reason", "idempotency_key"],
        "send_message": ["customer_email", "body"],
        "track_shipment": ["order_id"],
        "update_address": ["customer_email", "address"],
    }
    for name, tool in course.shop.TOOLS.items():
        assert list(tool.input.model_fields) == signatures[name]
