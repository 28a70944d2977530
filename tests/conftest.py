"""Shared fixtures: real servers on 127.0.0.1, a real SQLite file, a real PostgreSQL schema."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from .fake_slack import FakeSlack, fake_slack_server

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PG_URL = os.environ.get("CLAIMBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def gold() -> dict[str, Any]:
    return json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))


# --- PostgreSQL ------------------------------------------------------------------------

def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver or network failure means "not here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the `test` database; dropped afterwards.

    In CI the server must be there (.ci/run starts it); elsewhere the test is
    skipped with the reason.
    """
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable ({problem}); start it or set CLAIMBOT_TEST_PG")
    schema = f"claimbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both real databases: a SQLite file and a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/claimbot.db"
    return request.getfixturevalue("pg_url")


# --- HTTP ----------------------------------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class LocalServer:
    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


def respond(status: int = 200, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Route:
    data = body.encode() if isinstance(body, str) else body

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handler


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1; tests fill ``routes`` with handlers."""
    routes: dict[str, Route] = {}
    server_ref: dict[str, LocalServer] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server_ref["s"].requests.append((self.command, self.path, dict(self.headers), body))
            route = routes.get(self.path.split("?")[0])
            if route is None:
                respond(404, b"not found")(self)
            else:
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        do_GET = do_POST = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server = LocalServer(f"http://127.0.0.1:{httpd.server_address[1]}", routes)
    server_ref["s"] = server
    yield server
    httpd.shutdown()
    httpd.server_close()


# --- Slack -------------------------------------------------------------------------------------

@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The fake Slack Web API on 127.0.0.1, for the real slack-sdk."""
    with fake_slack_server() as server:
        yield server
