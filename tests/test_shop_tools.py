"""The tools: typed results, business rules enforced in code, idempotent refunds, planned failures."""

from __future__ import annotations

import json

import pytest

from course.shop import (
    TOOLS,
    BadArguments,
    NotFound,
    PaymentProviderDown,
    RefundRejected,
    Shop,
    ShopError,
    ToolTimeout,
    check_refund_policy,
    current_shop,
    get_order,
    issue_refund,
    lookup_customer,
    send_message,
    tool_schemas,
    track_shipment,
    update_address,
    use_shop,
)


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    with Shop.create() as fresh, use_shop(fresh):
        yield fresh


def refund_count(shop: Shop) -> int:
    return shop.conn.execute("SELECT COUNT(*) FROM refunds").fetchone()[0]


def test_get_order_returns_items_total_dates_and_shipment(shop: Shop) -> None:
    order = get_order(order_id=1042)
    assert next((item.name, item.quantity, item.price) for item in order.items) == ("Speckled Stoneware Mug", 1, 18.5)
    assert order.total == 66.5 and order.refunded == 0
    assert order.customer_email == "maya.chen@example.com"
    assert order.shipment is not None and order.shipment.status == "delivered"
    assert (shop.today - order.delivered_on).days == 5


def test_lookup_customer_summarises_orders_and_ignores_case(shop: Shop) -> None:
    customer = lookup_customer(email="Maya.Chen@Example.com")
    assert customer.name == "Maya Chen"
    assert [summary.order_id for summary in customer.orders] == [1042]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: get_order(9999), "No order 9999. Ask the customer to check the order number."),
        (lambda: track_shipment(9999), "No order 9999."),
        (lambda: check_refund_policy(9999, 10.0), "No order 9999."),
        (lambda: lookup_customer("nobody@example.com"), "No customer with email nobody@example.com."),
        (lambda: send_message("nobody@example.com", "hi"), "No customer with email nobody@example.com."),
    ],
)
def test_unknown_ids_raise_not_found_with_a_helpful_message(shop: Shop, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound) as caught:
        call()
    assert str(caught.value).startswith(message)


def test_a_small_refund_in_the_window_is_eligible_without_approval(shop: Shop) -> None:
    decision = check_refund_policy(order_id=1042, amount=18.5)
    assert decision.eligible and not decision.needs_approval
    assert decision.max_refundable == 66.5


def test_a_refund_above_the_limit_needs_approval_but_is_eligible(shop: Shop) -> None:
    decision = check_refund_policy(order_id=1057, amount=899.0)
    assert decision.eligible and decision.needs_approval
    assert "approval" in decision.reason


def test_a_refund_outside_the_window_is_not_eligible_and_is_rejected(shop: Shop) -> None:
    before = refund_count(shop)
    decision = check_refund_policy(order_id=1013, amount=64.0)
    assert not decision.eligible and decision.max_refundable == 0
    assert "30 days" in decision.reason
    with pytest.raises(RefundRejected, match="within 30 days of delivery"):
        issue_refund(order_id=1013, amount=64.0, reason="cracked")
    assert refund_count(shop) == before


def test_a_refund_cannot_exceed_what_is_left_on_the_order(shop: Shop) -> None:
    with pytest.raises(RefundRejected, match=r"more than the \$66.50 left"):
        issue_refund(order_id=1042, amount=70.0, reason="everything")
    issue_refund(order_id=1042, amount=18.5, reason="mug")
    with pytest.raises(RefundRejected, match=r"\$48.00 left"):
        issue_refund(order_id=1042, amount=48.01, reason="rest")
    issue_refund(order_id=1042, amount=48.0, reason="rest")
    assert not check_refund_policy(order_id=1042, amount=1.0).eligible


@pytest.mark.parametrize("amount", [0.0, -5.0, 0.001])
def test_a_refund_must_be_more_than_zero(shop: Shop, amount: float) -> None:
    with pytest.raises(RefundRejected, match="more than"):
        issue_refund(order_id=1042, amount=amount, reason="nothing")


def test_a_cancelled_order_cannot_be_refunded(shop: Shop) -> None:
    order_id = shop.conn.execute("SELECT id FROM orders WHERE status = 'cancelled' LIMIT 1").fetchone()[0]
    with pytest.raises(RefundRejected, match="cancelled"):
        issue_refund(order_id=order_id, amount=1.0, reason="x")
    with pytest.raises(ShopError, match="cancelled"):
        track_shipment(order_id=order_id)


def test_an_order_not_yet_delivered_can_be_refunded(shop: Shop) -> None:
    assert check_refund_policy(order_id=1077, amount=79.0).eligible


def test_the_same_idempotency_key_refunds_once(shop: Shop) -> None:
    before = refund_count(shop)
    first = issue_refund(order_id=1042, amount=18.5, reason="mug broken", idempotency_key="refund-1042-1850")
    second = issue_refund(order_id=1042, amount=18.5, reason="mug broken", idempotency_key="refund-1042-1850")
    assert first == second
    assert refund_count(shop) == before + 1
    assert get_order(1042).refunded == 18.5


def test_reusing_a_key_for_a_different_refund_is_rejected(shop: Shop) -> None:
    issue_refund(order_id=1042, amount=18.5, reason="mug", idempotency_key="k1")
    with pytest.raises(RefundRejected, match="already used"):
        issue_refund(order_id=1042, amount=32.0, reason="dripper", idempotency_key="k1")


def test_a_rejected_refund_changes_nothing(shop: Shop) -> None:
    dump = list(shop.conn.iterdump())
    for amount, order_id in ((64.0, 1013), (500.0, 1042), (0.0, 1042)):
        with pytest.raises(RefundRejected):
            issue_refund(order_id=order_id, amount=amount, reason="x", idempotency_key=f"k-{order_id}-{amount}")
    assert list(shop.conn.iterdump()) == dump


def test_send_message_stores_what_the_customer_was_told(shop: Shop) -> None:
    message = send_message(customer_email="maya.chen@example.com", body="Your refund is on its way.")
    assert message.sent_on == shop.today
    assert shop.conn.execute("SELECT body FROM messages").fetchall() == [("Your refund is on its way.",)]
    with pytest.raises(ShopError, match="empty"):
        send_message(customer_email="maya.chen@example.com", body="   ")


def test_track_shipment_gives_carrier_status_and_eta(shop: Shop) -> None:
    shipment = track_shipment(order_id=1077)
    assert (shipment.carrier, shipment.status) == ("UPS", "in_transit")
    assert (shipment.eta - shop.today).days == 3


def test_update_address_moves_unshipped_orders_too(shop: Shop) -> None:
    customer = update_address(customer_email="luis.ortega@example.com", address="2150 Larimer St Unit 5B, Denver, CO 80205")
    assert customer.address == "2150 Larimer St Unit 5B, Denver, CO 80205"
    assert get_order(1081).ship_to == customer.address


def test_an_injected_failure_fires_once_then_clears(shop: Shop) -> None:
    shop.fail_next("issue_refund", PaymentProviderDown())
    with pytest.raises(PaymentProviderDown, match="503"):
        issue_refund(order_id=1042, amount=18.5, reason="mug", idempotency_key="k")
    assert get_order(1042).refunded == 0
    assert issue_refund(order_id=1042, amount=18.5, reason="mug", idempotency_key="k").amount == 18.5
    assert shop.faults.pending() == 0


def test_injected_failures_fire_in_the_order_planned(shop: Shop) -> None:
    shop.fail_next("get_order", PaymentProviderDown(), times=2)
    shop.fail_next("get_order", ToolTimeout())
    fired = []
    for _ in range(4):
        try:
            get_order(1042)
            fired.append("ok")
        except ShopError as error:
            fired.append(type(error).__name__)
    assert fired == ["PaymentProviderDown", "PaymentProviderDown", "ToolTimeout", "ok"]


def test_a_failure_after_the_effect_commits_it_and_a_retry_with_the_key_does_not_repeat_it(shop: Shop) -> None:
    before = refund_count(shop)
    shop.fail_next("issue_refund", ToolTimeout(), after=True)
    with pytest.raises(ToolTimeout):
        issue_refund(order_id=1042, amount=18.5, reason="mug", idempotency_key="k")
    assert refund_count(shop) == before + 1
    issue_refund(order_id=1042, amount=18.5, reason="mug", idempotency_key="k")
    assert refund_count(shop) == before + 1


def test_failing_an_unknown_tool_is_an_error(shop: Shop) -> None:
    with pytest.raises(ShopError, match="No tool 'refund'"):
        shop.fail_next("refund", PaymentProviderDown())


def test_the_registry_has_the_canonical_tools_with_schemas() -> None:
    assert list(TOOLS) == ["lookup_customer", "get_order", "check_refund_policy", "issue_refund", "send_message",
                           "track_shipment", "update_address"]
    schema = TOOLS["issue_refund"].schema()["function"]
    assert schema["name"] == "issue_refund" and schema["description"]
    assert schema["parameters"]["required"] == ["order_id", "amount", "reason"]
    assert all(spec.get("description") for spec in schema["parameters"]["properties"].values())
    assert len(tool_schemas()) == 7 and [s["function"]["name"] for s in tool_schemas("get_order")] == ["get_order"]


def test_tool_run_validates_then_calls(shop: Shop) -> None:
    assert TOOLS["get_order"].run({"order_id": "1042"}).order_id == 1042
    assert TOOLS["get_order"].run('{"order_id": 1042}').order_id == 1042


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"order_id": 1042, "amount": "lots", "reason": "x"}, "amount"),
        ({"order_id": 1042, "reason": "x"}, "amount: Field required"),
        ({"order_id": 1042, "amount": 5, "reason": "x", "force": True}, "force"),
        ('{"order_id": 1042, "amount": ', "not valid JSON"),
    ],
)
def test_bad_arguments_are_rejected_and_nothing_runs(shop: Shop, args: object, message: str) -> None:
    before = refund_count(shop)
    with pytest.raises(BadArguments, match=message) as caught:
        TOOLS["issue_refund"].run(args)  # type: ignore[arg-type]
    assert str(caught.value).startswith("issue_refund:")
    assert refund_count(shop) == before


def test_use_switches_the_current_shop_and_restores_it() -> None:
    outer = current_shop()
    assert current_shop() is outer
    with Shop.create(seed=1) as inner:
        with use_shop(inner):
            assert current_shop() is inner
        assert current_shop() is outer


def test_results_serialise_to_json_in_dollars(shop: Shop) -> None:
    data = json.loads(get_order(1057).model_dump_json())
    assert data["total"] == 899.0 and data["items"][0]["line_total"] == 899.0


def test_threads_without_a_use_block_share_the_default_shop() -> None:
    import threading

    seen: list[Shop] = []
    worker = threading.Thread(target=lambda: seen.append(current_shop()))
    worker.start()
    worker.join()
    assert seen == [current_shop()]
