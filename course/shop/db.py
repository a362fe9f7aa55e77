"""`Shop`: one SQLite file holding the whole shop, seeded in one transaction.

A real database file, not mocks, so the lessons can show what an agent actually did (a refund row,
a message sent) and lesson 05 can store the agent's own thread next to the business data and
commit both in one transaction (`Shop.transaction()` nests as savepoints). "Today" is injected
and stored in the file, never read from the wall clock, so every run is reproducible, and a shop
is built once per seed, day and policy in a process: later ones copy its bytes (about 1 ms instead
of 9), so graders and tests can make hundreds of fresh shops.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from .errors import ShopError
from .faults import FaultPlan
from .fixtures import DEFAULT_TODAY
from .policy import ShopPolicy
from .seed import seed_rows

__all__ = ["DEFAULT_TODAY", "Shop"]

_SCHEMA = Path(__file__).with_name("schema.sql")
_TABLES = ("customers", "products", "orders", "order_items", "shipments", "refunds", "messages", "tickets")
_SQLITE_HEADER = b"SQLite format 3\x00"


class Shop:
    """An open shop database: `conn`, the injected `today`, the `policy`, and planned failures.

    Make one with `Shop.create()` (fresh and seeded) or `Shop.open(path)` (existing).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, *, temporary: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.faults = FaultPlan()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.today = date.fromisoformat(meta["today"])
        self.seed = int(meta["seed"])
        self.policy = ShopPolicy.model_validate_json(meta["policy"])
        self._savepoints = 0
        self._finalizer = weakref.finalize(self, _close, conn, path if temporary else None)

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        seed: int = 0,
        today: date = DEFAULT_TODAY,
        policy: ShopPolicy | None = None,
        replace: bool = False,
    ) -> Shop:
        """A fresh shop seeded with `seed`, in a temporary file (deleted on close) or at `path`."""
        temporary = path is None
        if path is None:
            handle, name = tempfile.mkstemp(prefix="shop-", suffix=".sqlite3")
            os.close(handle)
            target = Path(name)  # an empty file is an empty SQLite database
        else:
            target = Path(path)
            if target.is_dir():
                raise ShopError(f"{target} is a directory. Pass a file path such as {str(target / 'shop.sqlite3')!r}.")
            if target.exists():
                if not replace:
                    raise ShopError(f"{target} already exists. Open it with Shop.open({str(target)!r}), "
                                    "or pass replace=True to start over with a fresh shop.")
                target.unlink()
        policy = policy or ShopPolicy.load()
        key = (seed, today.isoformat(), policy.model_dump_json())
        try:
            image = _IMAGES.get(key)
            if image is not None:  # the same seed, day and policy give the same bytes: copy them, do not rebuild
                target.write_bytes(image)
                conn = _connect(target, create=False)
            else:
                conn = _connect(target, create=True)
                _build(conn, seed, today, policy)
                _remember(key, target.read_bytes())
        except (sqlite3.Error, OSError) as error:
            if temporary:
                target.unlink(missing_ok=True)
            raise ShopError(f"Could not create a shop at {target}: {error}. Check that the folder exists "
                            "and is writable.") from None
        return cls(conn, target, temporary=temporary)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Shop:
        """An existing shop file; a clear `ShopError` if it is missing, not SQLite or not a shop."""
        target = Path(path)
        fix = f"Create a fresh one with Shop.create({str(target)!r}, replace=True)."
        if not target.exists():
            raise ShopError(f"No shop database at {target}. Create one with Shop.create({str(target)!r}).")
        if target.is_dir():
            raise ShopError(f"{target} is a directory, not a shop database file.")
        with target.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        if header != _SQLITE_HEADER:
            what = "is empty" if not header else "is not a SQLite database (it may be corrupt)"
            raise ShopError(f"{target} {what}. {fix}")
        try:
            conn = _connect(target, create=False)
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.Error as error:
            raise ShopError(f"{target} could not be read as a SQLite database ({error}). {fix}") from None
        if check != "ok":
            conn.close()
            raise ShopError(f"{target} is a damaged SQLite database ({check}). {fix}")
        missing = [name for name in ("meta", *_TABLES) if name not in names]
        if missing:
            conn.close()
            raise ShopError(f"{target} is a SQLite database but not a shop: missing table(s) {', '.join(missing)}. {fix}")
        try:
            return cls(conn, target)
        except (sqlite3.Error, KeyError, ValueError) as error:
            conn.close()
            raise ShopError(f"{target} has a damaged meta table ({error!r}). {fix}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Commit everything inside together, or nothing. Nested use becomes a savepoint.

        The tools write inside this, so an agent can wrap a tool call and its own event record in
        an outer `with shop.transaction():` and have both commit or roll back as one.
        """
        if self.conn.in_transaction:
            self._savepoints += 1
            name = f"shop_sp_{self._savepoints}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._savepoints -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def fail_next(self, tool: str, error: Exception, *, times: int = 1, after: bool = False) -> None:
        """Make the next `times` calls to `tool` raise `error`, in the order planned.

        `after=False` (default): the call fails before touching anything. `after=True`: the effect
        is committed, then the error is raised, as when a response is lost on the way back.
        """
        from .registry import TOOLS  # the registry imports the tools, which import this module

        if tool not in TOOLS:
            raise ShopError(f"No tool {tool!r} to fail. Tools: {', '.join(TOOLS)}.")
        self.faults.add(tool, error, times=times, after=after)

    def close(self) -> None:
        """Close the connection (and delete the file if it was a temporary one)."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Shop({str(self.path)!r}, seed={self.seed}, today={self.today.isoformat()})"


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _build(conn: sqlite3.Connection, seed: int, today: date, policy: ShopPolicy) -> None:
    rows = seed_rows(seed, today)
    conn.execute("PRAGMA journal_mode = MEMORY")  # one bulk write into a brand-new file: no journal file needed
    conn.execute("BEGIN")
    for statement in _SCHEMA.read_text(encoding="utf-8").split(";"):
        if statement.strip():
            conn.execute(statement)
    meta = {"seed": str(seed), "today": today.isoformat(), "policy": policy.model_dump_json()}
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    for table in _TABLES:
        batch = getattr(rows, table, [])
        if batch:
            marks = ", ".join("?" * len(batch[0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = DELETE")


_IMAGES: dict[tuple[int, str, str], bytes] = {}  # built shops by (seed, today, policy): tests make hundreds


def _remember(key: tuple[int, str, str], image: bytes) -> None:
    if len(_IMAGES) >= 8:
        _IMAGES.pop(next(iter(_IMAGES)))
    _IMAGES[key] = image


def _close(conn: sqlite3.Connection, temporary: Path | None) -> None:
    conn.close()
    if temporary is not None:
        temporary.unlink(missing_ok=True)
