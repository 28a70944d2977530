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
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError

from ..errors import StoreError, one_line
from .history import SeenClaim, StoryHistory
from .repository import FeedState, Repository, text_key

__all__ = ["FeedState", "Repository", "SeenClaim", "Store", "StoryHistory", "text_key"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite_lock = threading.RLock()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        if url.startswith("sqlite:///") and not url.startswith(("sqlite:///:memory:", "sqlite:///file:")):
            folder = Path(url.removeprefix("sqlite:///").split("?", 1)[0]).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(_redact(url), f"cannot create the folder {folder} ({exc.strerror})",
                                 "point database_url (or DATABASE_URL) at a folder you can write to") from None
        try:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise StoreError(_redact(url), f"not a usable database URL ({exc})",
                             "use e.g. sqlite:///data/claimbot.db or postgresql+psycopg://user@host/db") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if engine.dialect.name == "sqlite":
            store.check_integrity()
        if migrate:
            store.migrate()
        return store

    def check_integrity(self) -> None:
        """A damaged SQLite file can still open and answer the queries that miss its bad pages;
        it is refused here rather than half-read. (PostgreSQL checks its own pages.)"""
        try:
            with self.engine.connect() as conn:
                problems = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
        except DatabaseError as exc:
            raise self._explain(exc) from None
        if problems != ["ok"]:
            first = str(problems[0]).splitlines()[0]
            raise StoreError(_redact(str(self.engine.url)), f"the database file is corrupt ({first}; "
                             f"{len(problems)} problem(s) found by PRAGMA quick_check)",
                             "restore it from a backup, or move it aside to start a new one") from None

    def _explain(self, exc: DatabaseError) -> StoreError:
        """The driver's error as one line, with the advice that fits the database at hand."""
        url, detail = _redact(str(self.engine.url)), one_line(exc)
        if self.engine.dialect.name != "sqlite":
            return StoreError(url, f"cannot reach the database ({detail})",
                              "check DATABASE_URL and that the server is running")
        low = detail.lower()
        if "not a database" in low or "malformed" in low:
            return StoreError(url, f"the database file is corrupt ({detail})",
                              "restore it from a backup, or move it aside to start a new one")
        if "readonly" in low or "read-only" in low:
            return StoreError(url, f"the database is read-only ({detail})",
                              "make the file and its folder writable, or point database_url (or DATABASE_URL) "
                              "at a writable place")
        if "unable to open" in low:
            return StoreError(url, f"cannot open the SQLite file ({detail})",
                              "check that its folder exists and is writable, or fix database_url (or DATABASE_URL)")
        if "locked" in low or "busy" in low:
            return StoreError(url, f"the database is locked ({detail})",
                              "another process holds it; SQLite serves one worker, use PostgreSQL for more")
        return StoreError(url, f"database error ({detail})", "check the file, its folder and the disk")

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.connect() as conn:
                sqlite = conn.dialect.name == "sqlite"
                if sqlite:
                    # A migration that rebuilds a table (SQLite's way to alter one) drops the old one:
                    # with foreign keys on, that would cascade into claim_keys and cluster_sources.
                    # The pragma only takes effect outside a transaction.
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    conn.commit()
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        # Several workers may start at once: one migrates, the others wait.
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
        except (OperationalError, DatabaseError) as exc:
            raise self._explain(exc) from None

    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        # SQLite has one writer at a time; threads of this process queue on a lock instead of
        # sleeping in SQLite's busy handler, which backs off in steps of up to 100 ms.
        lock = self._sqlite_lock if self.engine.dialect.name == "sqlite" else nullcontext()
        try:
            with lock, self.engine.begin() as conn:
                yield Repository(conn)
        except OperationalError as exc:
            if self.engine.dialect.name == "sqlite":
                raise self._explain(exc) from None
            raise StoreError(_redact(str(self.engine.url)), f"database error ({one_line(exc)})",
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
        with self.engine.connect() as conn:
            # Advisory locks are database-wide: the schema is part of the key, so claimbots sharing one
            # database in different schemas (and parallel test runs) never skip each other's digest.
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar() or ""
            key = int(hashlib.sha1(f"{schema}:{name}".encode()).hexdigest()[:15], 16)
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
