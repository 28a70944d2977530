"""A fake Slack Web API on 127.0.0.1 that records every call and enforces Block Kit limits.

Scripted failures: push "429", "500", "close" or "hang" onto ``script`` and the
next posts (chat.postMessage or the webhook) answer that way before returning to normal.
"429:3000" sets the Retry-After; "ACTION@method" scripts another method (``hang@conversations.list``,
``missing_scope@conversations.history``: any other word is answered as that Slack error).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class FakeSlack:
    base_url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    token: str = "xoxb-test"
    channels: dict[str, str] = field(default_factory=lambda: {"claims": "C123", "claimbot": "C124"})
    # Channel ids the bot was invited to (None: every channel) and methods the token lacks a scope for.
    members: set[str] | None = None
    missing_scope: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # "hang": record the message, then answer only once ``release`` is set (a client killed meanwhile never hears)
    received: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    refuse: str | None = None   # any post whose JSON holds this text is answered invalid_blocks

    def react(self, ts: str, name: str, user: str = "UANALYST") -> None:
        """An analyst adds a reaction to a message."""
        with self.lock:
            message = next(m for m in self.history if m["ts"] == ts)
            reactions = message.setdefault("reactions", [])
            found = next((r for r in reactions if r["name"] == name), None)
            if found is None:
                reactions.append({"name": name, "users": [user], "count": 1})
            elif user not in found["users"]:
                found["users"].append(user)
                found["count"] += 1

    def posts(self) -> list[dict[str, Any]]:
        """Every chat.postMessage request, accepted or not."""
        return [body for method, body in self.calls if method == "chat.postMessage"]

    def accepted(self) -> list[dict[str, Any]]:
        """The messages Slack accepted, oldest first: what the channel shows."""
        with self.lock:
            return list(reversed(self.history))


def violations(body: dict[str, Any]) -> list[str]:
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    problems = []
    if not body.get("text"):
        problems.append("no text fallback")
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks > 50")
    if len(json.dumps(body, ensure_ascii=False)) > 40_000:
        problems.append("message over 40k characters")
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and len(text) > 3000:
            problems.append("section text over 3000")
        if block["type"] == "header" and len(text) > 150:
            problems.append("header over 150")
        for element in block.get("elements", []):
            if len(element.get("text", "")) > 3000:
                problems.append("context element over 3000")
    return problems


@contextmanager
def fake_slack_server() -> Iterator[FakeSlack]:
    state = FakeSlack()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                body = json.loads(raw or "{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw).items()}
            method = self.path.rsplit("/", 1)[-1]
            with state.lock:
                state.calls.append((method, body))
                posting = method in ("chat.postMessage", "webhook")
                action = "ok"
                if state.script:
                    head, _, target = state.script[0].partition("@")
                    if (target == method) or (not target and posting):
                        action = head
                        state.script.pop(0)
            action, _, wait = action.partition(":")
            if method == "webhook":
                problems = violations(body)
                if action == "429":
                    return self._reply(429, {"ok": False}, {"Retry-After": wait or "1"})
                return self._reply(400 if problems else 200, {"ok": not problems})
            if action == "close":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if action == "429":
                return self._reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": wait or "1"})
            if action == "500":
                return self._reply(500, {"ok": False, "error": "internal_error"})
            if action == "hang" and not posting:
                state.received.set()
                state.release.wait(30)
            elif action not in ("ok", "hang"):
                return self._reply(200, {"ok": False, "error": action, "needed": "channels:history"
                                         if action == "missing_scope" else None})
            if self.headers.get("Authorization") != f"Bearer {state.token}" and method != "webhook":
                return self._reply(200, {"ok": False, "error": "invalid_auth"})
            if method in state.missing_scope:
                return self._reply(200, {"ok": False, "error": "missing_scope", "needed": state.missing_scope[method]})
            if method == "auth.test":
                return self._reply(200, {"ok": True, "user_id": "UBOT", "user": "claimbot", "team": "Test team"})

            def describe(name: str, cid: str) -> dict[str, Any]:
                return {"id": cid, "name": name, "is_archived": False,
                        "is_member": state.members is None or cid in state.members}

            if method == "conversations.info":
                found = [describe(n, i) for n, i in state.channels.items() if i == body.get("channel")]
                if not found:
                    return self._reply(200, {"ok": False, "error": "channel_not_found"})
                return self._reply(200, {"ok": True, "channel": found[0]})
            if method == "chat.postMessage":
                problems = violations(body)
                if state.refuse and state.refuse in json.dumps(body, ensure_ascii=False):
                    problems.append("refused by the test")
                if problems:
                    return self._reply(200, {"ok": False, "error": "invalid_blocks", "problems": problems})
                ts = f"{time.time():.6f}"
                channel = state.channels.get(body.get("channel", "").lstrip("#"), body.get("channel"))
                if channel not in state.channels.values():
                    return self._reply(200, {"ok": False, "error": "channel_not_found"})
                if state.members is not None and channel not in state.members:
                    return self._reply(200, {"ok": False, "error": "not_in_channel"})
                metadata = body.get("metadata")
                if isinstance(metadata, str):
                    metadata = json.loads(metadata)
                message = {"ts": ts, "text": body.get("text"), "metadata": metadata, "user": "UBOT",
                           "thread_ts": body.get("thread_ts"), "channel": channel, "blocks": body.get("blocks")}
                with state.lock:
                    state.history.insert(0, message)
                if action == "hang":
                    state.received.set()
                    state.release.wait(30)
                return self._reply(200, {"ok": True, "channel": channel, "ts": ts, "message": message})
            if method == "conversations.list":
                return self._reply(200, {"ok": True, "channels": [describe(n, i) for n, i in state.channels.items()],
                                         "response_metadata": {"next_cursor": ""}})
            if method == "conversations.replies":
                with state.lock:
                    thread = [m for m in state.history if m["ts"] == body.get("ts") or m.get("thread_ts") == body.get("ts")]
                return self._reply(200, {"ok": True, "messages": list(reversed(thread))})
            if method == "conversations.history":
                if not re.fullmatch(r"C[A-Z0-9]+", body.get("channel", "")):
                    return self._reply(200, {"ok": False, "error": "channel_not_found"})  # names do not work here
                oldest = float(body.get("oldest") or 0)
                with state.lock:
                    messages = [m for m in state.history if not m.get("thread_ts") and m["channel"] == body["channel"]
                                and float(m["ts"]) > oldest and not m.get("deleted")]
                # Pages of `limit`, newest first, like Slack; the cursor is the offset.
                start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 100)
                page = messages[start:start + limit]
                cursor = str(start + limit) if start + limit < len(messages) else ""
                return self._reply(200, {"ok": True, "messages": page, "response_metadata": {"next_cursor": cursor}})
            if method in ("chat.delete", "chat.update"):
                with state.lock:
                    found = [m for m in state.history if m["ts"] == body.get("ts") and m["channel"] == body.get("channel")]
                    if not found:
                        return self._reply(200, {"ok": False, "error": "message_not_found"})
                    if method == "chat.delete":
                        state.history.remove(found[0])
                    else:
                        update = {"text": body.get("text"), "blocks": body.get("blocks")}
                        if body.get("metadata"):
                            meta = body["metadata"]
                            update["metadata"] = json.loads(meta) if isinstance(meta, str) else meta
                        found[0].update(update)
                        found[0]["edited"] = True
                return self._reply(200, {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")})
            if method == "reactions.get":
                with state.lock:
                    found = [m for m in state.history if m["ts"] == body.get("timestamp")]
                if not found:
                    return self._reply(200, {"ok": False, "error": "message_not_found"})
                return self._reply(200, {"ok": True, "type": "message", "message": found[0]})
            return self._reply(200, {"ok": False, "error": "unknown_method"})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/api/"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
