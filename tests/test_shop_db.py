"""The shop database: seeded deterministically, quick to make, and clear about broken files."""

from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest

from course.shop import DEFAULT_TODAY, Shop, ShopError, ShopPolicy, get_order, issue_refund, use_shop
from course.shop.fixtures import ORDERS, UNKNOWN_ORDER_ID
from course.shop.policy import POLICY_FILE

TABLES = ("customers", "products", "orders", "order_items", "shipments", "refunds", "messages", "tickets")


def rows(shop: Shop, table: str) -> list[tuple[object, ...]]:
    return shop.conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def test_the_same_seed_gives_identical_rows_in_every_table() -> None:
    with Shop.create(seed=7) as first, Shop.create(seed=7) as second:
        for table in TABLES:
            assert rows(first, table) == rows(second, table), table


def test_a_different_seed_gives_different_random_rows_but_the_same_fixtures() -> None:
    with Shop.create(seed=0) as first, Shop.create(seed=1) as second:
        assert rows(first, "orders") != rows(second, "orders")
        assert rows(first, "customers") != rows(second, "customers")
        fixture_ids = tuple(order.id for order in ORDERS)
        query = f"SELECT * FROM orders WHERE id IN ({','.join('?' * len(fixture_ids))}) ORDER BY id"
        assert first.conn.execute(query, fixture_ids).fetchall() == second.conn.execute(query, fixture_ids).fetchall()


def test_a_fresh_shop_has_realistic_amounts_of_data() -> None:
    with Shop.create() as shop:
        counts = {table: shop.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
    assert counts["customers"] == 40
    assert counts["products"] == 60
    assert counts["orders"] == 300
    assert counts["order_items"] >= 300
    assert counts["messages"] == 0
    assert counts["tickets"] == 7


def test_seeded_orders_are_consistent_with_today() -> None:
    with Shop.create(seed=3) as shop:
        today = shop.today.isoformat()
        assert shop.conn.execute("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS "
                                 "(SELECT 1 FROM order_items i WHERE i.order_id = o.id)").fetchone()[0] == 0
        assert shop.conn.execute("SELECT COUNT(*) FROM orders WHERE placed_on > ?", (today,)).fetchone()[0] == 0
        assert shop.conn.execute("SELECT COUNT(*) FROM shipments WHERE delivered_on > ? OR shipped_on > delivered_on",
                                 (today,)).fetchone()[0] == 0
        assert shop.conn.execute("SELECT COUNT(*) FROM orders o WHERE status != 'cancelled' AND NOT EXISTS "
                                 "(SELECT 1 FROM shipments s WHERE s.order_id = o.id)").fetchone()[0] == 0
        assert shop.conn.execute("SELECT COUNT(*) FROM orders WHERE id = ?", (UNKNOWN_ORDER_ID,)).fetchone()[0] == 0


def test_today_is_injected_not_read_from_the_clock() -> None:
    with Shop.create(today=date(2030, 1, 15)) as shop, use_shop(shop):
        assert shop.today == date(2030, 1, 15)
        assert (shop.today - get_order(1013).delivered_on).days == 75
    assert date(2026, 11, 2) == DEFAULT_TODAY


def test_creating_a_shop_is_fast() -> None:
    started = time.perf_counter()
    for seed in range(3):
        Shop.create(seed=seed).close()
    assert (time.perf_counter() - started) / 3 < 0.25


def test_a_temporary_shop_file_is_deleted_on_close() -> None:
    shop = Shop.create()
    path = shop.path
    assert path.exists()
    shop.close()
    assert not path.exists() and shop.closed


def test_a_shop_reopens_with_its_data_date_and_policy(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    with Shop.create(path, seed=5, today=date(2026, 12, 1)) as shop, use_shop(shop):
        issue_refund(order_id=1042, amount=18.5, reason="mug broken", idempotency_key="k")
    with Shop.open(path) as again, use_shop(again):
        assert (again.seed, again.today, again.policy) == (5, date(2026, 12, 1), ShopPolicy.load())
        assert get_order(1042).refunded == 18.5
    assert path.exists()


def test_creating_over_an_existing_file_needs_replace(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    Shop.create(path).close()
    with pytest.raises(ShopError, match=r"already exists.*replace=True"):
        Shop.create(path)
    Shop.create(path, replace=True).close()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "No shop database at"), (b"", "is empty"), (b"this is not a database, just text" * 10, "not a SQLite database")],
)
def test_a_missing_or_corrupt_file_gives_a_shop_error_saying_what_to_do(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "shop.sqlite3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ShopError, match=message) as caught:
        Shop.open(path)
    assert "Shop.create" in str(caught.value)
    assert not isinstance(caught.value, sqlite3.Error)


def test_a_sqlite_file_that_is_not_a_shop_names_the_missing_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE notes (id INTEGER)").connection.close()
    with pytest.raises(ShopError, match=r"not a shop: missing table.*customers"):
        Shop.open(path)


def test_a_directory_is_not_a_shop(tmp_path: Path) -> None:
    with pytest.raises(ShopError, match="directory"):
        Shop.open(tmp_path)


def test_a_truncated_shop_file_gives_a_shop_error(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    Shop.create(path).close()
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ShopError):
        Shop.open(path)


def test_the_policy_comes_from_the_shipped_config_file() -> None:
    policy = ShopPolicy.load()
    assert POLICY_FILE.name == "policy.json" and POLICY_FILE.exists()
    assert (policy.refund_window_days, policy.approval_limit, policy.currency) == (30, 100.0, "USD")
    with Shop.create() as shop:
        assert shop.policy == policy
    assert not policy.needs_approval(100.00) and policy.needs_approval(100.01)


def test_a_shop_can_carry_its_own_policy() -> None:
    strict = ShopPolicy.load().model_copy(update={"approval_limit": 20.0})
    with Shop.create(policy=strict) as shop:
        assert shop.policy.approval_limit == 20.0


def test_an_outer_transaction_rolls_back_a_tool_effect_inside_it() -> None:
    with Shop.create() as shop, use_shop(shop):
        with pytest.raises(RuntimeError), shop.transaction():
            issue_refund(order_id=1042, amount=18.5, reason="mug broken")
            raise RuntimeError("crash before the agent recorded its event")
        assert get_order(1042).refunded == 0
        with shop.transaction():
            issue_refund(order_id=1042, amount=18.5, reason="mug broken")
        assert get_order(1042).refunded == 18.5


def test_creating_in_a_missing_folder_gives_a_shop_error(tmp_path: Path) -> None:
    with pytest.raises(ShopError, match="folder exists"):
        Shop.create(tmp_path / "nowhere" / "shop.sqlite3")
    with pytest.raises(ShopError, match="directory"):
        Shop.create(tmp_path)
