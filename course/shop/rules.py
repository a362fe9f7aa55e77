"""The refund rules, written once: `check_refund_policy` reports them, `issue_refund` enforces them.

Three rules, from the shop policy: the order was not cancelled; it was delivered no more than
`refund_window_days` ago (orders not yet delivered can always be refunded); and the amount is more
than zero and no more than what is left after earlier refunds. The approval limit is deliberately
not a rule here: asking a human is the agent's control flow (lesson 08), so the decision only
reports `needs_approval`.
"""

from __future__ import annotations

from datetime import date

from .policy import ShopPolicy
from .records import Order, RefundDecision, to_cents, to_dollars

__all__ = ["decide_refund", "refund_problem"]


def _remaining_cents(order: Order) -> int:
    return to_cents(order.total) - to_cents(order.refunded)


def _order_problem(order: Order, today: date, policy: ShopPolicy) -> str | None:
    """Why nothing at all can be refunded on this order today, or None."""
    if order.status == "cancelled":
        return f"Order {order.order_id} was cancelled before it shipped; there is no payment to refund."
    if order.delivered_on is not None:
        days = (today - order.delivered_on).days
        if days > policy.refund_window_days:
            return (f"Order {order.order_id} was delivered on {order.delivered_on.isoformat()} ({days} days ago); "
                    f"refunds are only possible within {policy.refund_window_days} days of delivery.")
    if _remaining_cents(order) <= 0:
        return f"Order {order.order_id} has already been fully refunded (${order.total:.2f})."
    return None


def refund_problem(order: Order, amount: float, today: date, policy: ShopPolicy) -> str | None:
    """Why refunding `amount` dollars on `order` today breaks a rule, or None if it is allowed."""
    if to_cents(amount) <= 0:
        return f"A refund must be more than $0.00; got ${amount:.2f}."
    problem = _order_problem(order, today, policy)
    if problem:
        return problem
    remaining = _remaining_cents(order)
    if to_cents(amount) > remaining:
        return (f"${amount:.2f} is more than the ${to_dollars(remaining):.2f} left to refund on order "
                f"{order.order_id} (total ${order.total:.2f}, already refunded ${order.refunded:.2f}).")
    return None


def decide_refund(order: Order, amount: float, today: date, policy: ShopPolicy) -> RefundDecision:
    """The full decision for `check_refund_policy`: eligible or not, why, the maximum, and approval."""
    problem = refund_problem(order, amount, today, policy)
    maximum = 0 if _order_problem(order, today, policy) else _remaining_cents(order)
    needs_approval = policy.needs_approval(amount)
    if problem is None:
        when = "has not been delivered yet" if order.delivered_on is None else (
            f"was delivered {(today - order.delivered_on).days} days ago, within the "
            f"{policy.refund_window_days}-day window")
        reason = f"Order {order.order_id} {when}, and ${to_dollars(maximum):.2f} is left to refund."
        if needs_approval:
            reason += f" Refunds above ${policy.approval_limit:.2f} need a human's approval first."
    else:
        reason = problem
    return RefundDecision(order_id=order.order_id, amount=round(amount, 2), eligible=problem is None, reason=reason,
                          max_refundable=to_dollars(maximum), needs_approval=needs_approval,
                          approval_limit=policy.approval_limit)
