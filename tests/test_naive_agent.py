"""Stage 0, the naive agent: what it gets right on the happy path, and where it breaks.

The later notebooks fix each failure listed here; if one of these starts passing by accident,
the story the course tells is broken, so the failures are asserted, not just the successes.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from course.agents import naive
from course.agents.demo import run_naive
from course.llm import FakeModel, Reply, use_model
from course.shop import NotFound, Shop, get_scenario, use_shop


@pytest.mark.parametrize("name", ["damaged_item", "out_of_window", "where_is_my_order", "change_address", "long_thread"])
def test_the_naive_agent_handles_the_happy_path(name):
    run = run_naive(name)
    assert run.error is None
    assert run.outcome == get_scenario(name).expected.outcome


def test_the_naive_agent_refunds_a_large_amount_without_asking_a_human():
    run = run_naive("large_refund")
    assert get_scenario("large_refund").expected.outcome == "approval_required"
    assert run.outcome == "refunded"


def test_the_naive_agent_crashes_on_an_order_that_does_not_exist():
    run = run_naive("unknown_order")
    assert isinstance(run.error, NotFound)
    assert run.outcome == "nothing"


def test_the_naive_agent_resends_the_whole_history_every_turn():
    run = run_naive("damaged_item")
    sizes = [len(request.messages) for request in run.transcript.requests]
    assert sizes == sorted(sizes) and sizes[0] == 2 and sizes[-1] > 6


def test_the_naive_agent_runs_whatever_function_name_the_model_returns():
    fake = FakeModel.scripted(Reply.tool_call("client", {}), Reply.text("done"))
    with Shop.create() as shop, use_shop(shop), use_model(fake):
        assert naive.run_agent("hello") == "done"  # `client` is not a tool, yet it ran
    assert "OpenAI object" in fake.transcript.last_request.messages[-1]["content"]


def test_the_naive_agent_crashes_on_a_tool_that_does_not_exist():
    with Shop.create() as shop, use_shop(shop), use_model(FakeModel.scripted(Reply.tool_call("delete_all_orders"))):
        with pytest.raises(KeyError, match="delete_all_orders"):
            naive.run_agent("hello")


def test_the_naive_agent_crashes_on_malformed_arguments():
    with Shop.create() as shop, use_shop(shop), use_model(FakeModel.scripted(Reply.tool_call("get_order", '{"order_id": 10'))):
        with pytest.raises(ValueError):
            naive.run_agent("hello")


def test_the_demo_prints_a_trace_and_the_outcome():
    result = subprocess.run([sys.executable, "-m", "course.cli", "demo", "large_refund"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "model  → issue_refund" in result.stdout
    assert "Outcome: refunded (expected approval_required) ✗" in result.stdout


def test_the_demo_shows_the_crash_of_the_naive_agent():
    result = subprocess.run([sys.executable, "-m", "course.cli", "demo", "unknown_order"], capture_output=True, text=True, timeout=60)
    assert "crashed: NotFound" in result.stdout


def test_the_demo_names_the_valid_scenarios_for_an_unknown_one():
    result = subprocess.run([sys.executable, "-m", "course.cli", "demo", "nope"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "damaged_item" in result.stderr
