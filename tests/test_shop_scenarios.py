"""The scenarios: each ticket's prose matches the fixture rows it stands on, and outcomes are judged from the db."""

from __future__ import annotations

import re

import pytest

from course.shop import (
    SCENARIOS,
    NotFound,
    Scenario,
    Shop,
    get_order,
    get_scenario,
    issue_refund,
    lookup_customer,
    outcome_of,
    send_message,
    track_shipment,
    update_address,
    use_shop,
)
from course.shop.fixtures import CUSTOMERS

EXPECTED = {
    "damaged_item": ("refund", "refunded", 18.50),
    "large_refund": ("refund", "approval_required", 899.00),
    "unknown_order": ("refund", "ask_customer", None),
    "out_of_window": ("refund", "refused", None),
    "where_is_my_order": ("shipping", "answered", None),
    "change_address": ("account", "address_updated", None),
    "long_thread": ("refund", "refunded", 24.00),
}


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    with Shop.create() as fresh, use_shop(fresh):
        yield fresh


def test_the_scenarios_and_their_expected_outcomes() -> None:
    assert {name: (s.category, s.expected.outcome, s.expected.refund_amount) for name, s in SCENARIOS.items()} == EXPECTED


def test_get_scenario_lists_the_valid_names_when_it_fails() -> None:
    assert get_scenario("damaged_item").order_id == 1042
    with pytest.raises(KeyError, match="damaged_item, large_refund"):
        get_scenario("damaged")


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=list(SCENARIOS))
def test_every_ticket_quotes_its_order_number_and_comes_from_a_known_customer(shop: Shop, scenario: Scenario) -> None:
    assert re.search(rf"(order|#)\s*#?{scenario.order_id}\b", scenario.ticket.body)
    assert lookup_customer(scenario.ticket.customer_email).name == scenario.ticket.customer_name
    assert scenario.ticket.body.isascii() and scenario.ticket.render().startswith("From: ")


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n != "unknown_order"])
def test_the_order_each_ticket_is_about_exists_and_belongs_to_its_customer(shop: Shop, name: str) -> None:
    scenario = SCENARIOS[name]
    order = get_order(scenario.order_id)
    assert order.customer_email == scenario.ticket.customer_email
    assert order.refunded == 0


def test_the_unknown_order_does_not_exist_but_the_customers_reply_names_her_real_order(shop: Shop) -> None:
    scenario = SCENARIOS["unknown_order"]
    with pytest.raises(NotFound, match=f"No order {scenario.order_id}"):
        get_order(scenario.order_id)
    real = int(re.search(r"order (\d+)", scenario.customer_reply or "").group(1))  # type: ignore[union-attr]
    order = get_order(real)
    assert order.customer_email == scenario.ticket.customer_email
    assert any("Lamp" in item.name for item in order.items) and "lamp" in scenario.ticket.body


def test_refund_amounts_in_the_prose_match_the_order_lines(shop: Shop) -> None:
    for name in ("damaged_item", "large_refund", "long_thread"):
        scenario = SCENARIOS[name]
        lines = {item.line_total for item in get_order(scenario.order_id).items}
        assert scenario.expected.refund_amount in lines
        quoted = float(re.findall(r"\$(\d+(?:\.\d\d)?)", scenario.ticket.body)[-1])
        assert quoted == scenario.expected.refund_amount, name


def test_refund_scenario_dates_match_the_refund_window(shop: Shop) -> None:
    window = shop.policy.refund_window_days
    for name in ("damaged_item", "large_refund", "long_thread"):
        order = get_order(SCENARIOS[name].order_id)
        assert 0 <= (shop.today - order.delivered_on).days <= window, name
    old = get_order(SCENARIOS["out_of_window"].order_id)
    assert (shop.today - old.delivered_on).days == 75
    assert "two and a half months" in SCENARIOS["out_of_window"].ticket.body


def test_only_the_large_refund_is_above_the_approval_limit(shop: Shop) -> None:
    over = [name for name, s in SCENARIOS.items() if (s.expected.refund_amount or 0) > shop.policy.approval_limit]
    assert over == ["large_refund"]


def test_the_parcel_in_the_shipping_ticket_is_still_on_its_way(shop: Shop) -> None:
    shipment = track_shipment(SCENARIOS["where_is_my_order"].order_id)
    assert shipment.status == "in_transit" and shipment.eta > shop.today


def test_the_address_ticket_quotes_the_old_address_and_the_order_has_not_shipped(shop: Shop) -> None:
    scenario = SCENARIOS["change_address"]
    customer = lookup_customer(scenario.ticket.customer_email)
    assert customer.address in scenario.ticket.body
    assert scenario.expected.address in scenario.ticket.body
    assert get_order(scenario.order_id).status == "processing"


def test_the_long_thread_is_long_and_holds_sensitive_data_to_redact() -> None:
    ticket = SCENARIOS["long_thread"].ticket
    assert len(ticket.history) == 40
    everything = ticket.render()
    assert "4111 1111 1111 1111" in everything
    others = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", everything)) - {ticket.customer_email}
    assert len(others) >= 2
    dates = [message.sent_on for message in ticket.history]
    assert dates == sorted(dates)


def test_fixture_customers_start_with_no_refunds_or_messages(shop: Shop) -> None:
    for scenario in SCENARIOS.values():
        assert outcome_of(shop, scenario) == "nothing"


def test_outcome_of_reads_what_happened_from_the_database(shop: Shop) -> None:
    damaged, late, moved, lost = (SCENARIOS[n] for n in ("damaged_item", "out_of_window", "change_address", "unknown_order"))
    issue_refund(order_id=1042, amount=18.5, reason="mug")
    assert outcome_of(shop, damaged) == "refunded"
    send_message(late.ticket.customer_email, "Sorry, that is outside our 30-day window.")
    assert outcome_of(shop, late) == "refused"
    update_address(moved.ticket.customer_email, moved.expected.address or "")
    assert outcome_of(shop, moved) == "address_updated"
    assert outcome_of(shop, lost, called=["get_order", "ask_customer"]) == "ask_customer"
    assert outcome_of(shop, SCENARIOS["large_refund"], called=["request_approval"]) == "approval_required"


def test_a_question_sent_by_message_counts_as_asking_the_customer(shop: Shop) -> None:
    scenario = SCENARIOS["unknown_order"]
    send_message(scenario.ticket.customer_email, "Could you check the order number on your confirmation email?")
    assert outcome_of(shop, scenario) == "ask_customer"


def test_every_fixture_customer_has_a_scenario() -> None:
    assert {c.email for c in CUSTOMERS} == {s.ticket.customer_email for s in SCENARIOS.values()}
