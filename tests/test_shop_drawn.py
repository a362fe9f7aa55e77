"""Drawn scenarios: fresh customers, orders and tickets whose expected outcome a competent agent reaches.

The hidden tests run the learner's agent on them (autograder.hidden.drawn), so each must be
answerable from the ticket and the tools alone: the reference agents of lessons 01-04 reach every
drawn outcome with the shop brain, the same seed draws the same ticket, and nothing in the shop
says what should happen. `effects_follow_calls` is the grader's rule that an effect needs a call.
"""

from __future__ import annotations

import json
import random
import sys

import pytest

from autograder.hidden.drawn import Records, effects_follow_calls
from course.brain import shop_brain
from course.grading.layout import REPO_ROOT
from course.llm import FakeModel, use_model
from course.shop import DRAWN_OUTCOMES, Shop, draw_scenario, outcome_of, refunded_amount, use_shop
from course.shop import tools as shop_tools

SEEDS = range(4)


@pytest.fixture(scope="module")
def stages():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO_ROOT / "stages"))
    try:
        import stage_01
        import stage_04
        yield {"01": stage_01, "04": stage_04}
    finally:
        sys.path.remove(str(REPO_ROOT / "stages"))


@pytest.mark.parametrize("outcome", [o for o in DRAWN_OUTCOMES if o != "approval_required"])
@pytest.mark.parametrize("stage", ["01", "04"])
def test_the_reference_agents_reach_every_drawn_outcome(stages, stage, outcome):
    for seed in SEEDS:
        with Shop.create() as db, use_shop(db), use_model(FakeModel(shop_brain)) as fake:
            scenario = draw_scenario(db, random.Random(seed), outcome)
            before = Records.of(db)
            stages[stage].run_agent(scenario.ticket)
            assert outcome_of(db, scenario, called=[n for n, _ in fake.transcript.tool_calls()]) == outcome, (
                seed, scenario.ticket.render())
            if outcome == "refunded":
                assert refunded_amount(db, scenario) == scenario.expected.refund_amount
            effects_follow_calls(db, fake.transcript.tool_calls(), before, where=f"seed {seed}")


def test_a_drawn_refund_above_the_limit_needs_approval():
    for seed in SEEDS:
        with Shop.create() as db, use_shop(db):
            scenario = draw_scenario(db, random.Random(seed), "approval_required")
            assert scenario.expected.refund_amount > db.policy.approval_limit
            decision = shop_tools.check_refund_policy(scenario.order_id, scenario.expected.refund_amount)
            assert decision.eligible and decision.needs_approval


def test_the_same_seed_draws_the_same_ticket_and_the_shop_holds_no_expectation():
    tickets = []
    for _ in range(2):
        with Shop.create() as db:
            scenario = draw_scenario(db, random.Random(11), "refused")
            tickets.append(scenario.ticket)
            dump = "\n".join(db.conn.iterdump())
    assert tickets[0] == tickets[1]
    assert "refused" not in dump and scenario.ticket.customer_email in dump
    with Shop.create() as db:
        assert draw_scenario(db, random.Random(12), "refused").ticket != tickets[0]


def test_an_unknown_outcome_is_a_clear_error():
    with Shop.create() as db, pytest.raises(ValueError, match="choose one of refunded"):
        draw_scenario(db, random.Random(0), "teleported")  # type: ignore[arg-type]


def test_an_effect_without_a_model_call_is_refused():
    with Shop.create() as db, use_shop(db):
        scenario = draw_scenario(db, random.Random(3), "refunded")
        amount = scenario.expected.refund_amount
        asked = [("issue_refund", json.dumps({"order_id": scenario.order_id, "amount": amount, "reason": "damaged"}))]
        before = Records.of(db)
        shop_tools.issue_refund(scenario.order_id, amount, "damaged", idempotency_key="k")
        effects_follow_calls(db, asked, before, where="one call, one refund")
        with pytest.raises(AssertionError, match="never asked for that refund"):
            effects_follow_calls(db, [], before, where="no call")
        shop_tools.issue_refund(scenario.order_id, 0.01, "damaged", idempotency_key="k2")
        with pytest.raises(AssertionError, match=r"\$0.01"):
            effects_follow_calls(db, asked, before, where="one call, two refunds")
        before = Records.of(db)
        shop_tools.update_address(scenario.ticket.customer_email, "1 New Rd, Omaha, NE 68102")
        with pytest.raises(AssertionError, match="never asked for that change"):
            effects_follow_calls(db, [("update_address", '{"address": "2 Other St, Omaha, NE 68102"}')], before,
                                 where="another address")
        effects_follow_calls(db, [("update_address", '{"address": "1 New Rd, Omaha, NE 68102"}')], before,
                             where="the address asked for")
