"""Storage behind intention-revealing methods.

``Store`` owns the engine and runs Alembic migrations; ``Store.transaction()``
hands out a ``Repository`` (repository.py) bound to one connection and
transaction, so the caller decides what is committed together.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ..errors import StoreError
from .repository import FeedState, Repository, text_key

__all__ = ["FeedState", "Repository", "Store", "text_key"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite_lock = threading.RLock()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise StoreError(_redact(url), f"not a usable database URL ({exc})",
                             "use e.g. sqlite:///data/claimbot.db or postgresql+psycopg://user@host/db") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Several workers may start at once: one migrates, the others wait.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StoreError(_redact(str(self.engine.url)), f"cannot reach the database ({exc.orig})",
                             "check DATABASE_URL and that the server is running") from None

    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        # SQLite has one writer at a time; threads of this process queue on a lock instead of
        # sleeping in SQLite's busy handler, which backs off in steps of up to 100 ms.
        lock = self._sqlite_lock if self.engine.dialect.name == "sqlite" else nullcontext()
        try:
            with lock, self.engine.begin() as conn:
                yield Repository(conn)
        except OperationalError as exc:
            raise StoreError(_redact(str(self.engine.url)), f"database error ({exc.orig})",
                             "check that the database is reachable and not locked by another process") from None

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Yields whether this process holds the named lock; another worker holding it means skip.

        PostgreSQL: a session advisory lock, released on exit or when the process dies.
        SQLite runs one worker, so the lock is always ours.
        """
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int(hashlib.sha1(name.encode()).hexdigest()[:15], 16)
        with self.engine.connect() as conn:
            got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar())
            try:
                yield got
            finally:
                if got:
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                conn.commit()

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
