"""Edit the [[feeds]] of bot.toml in place, keeping the operator's comments and layout (tomlkit),
and read and write OPML, the feed-list format every reader exports.

bot.toml stays the one source of truth: these functions change the file and nothing
else; a running service sees the change (file watch or SIGHUP). Every edit is
validated as a whole config before the file is replaced, and the replacement is
atomic, so a failed or interrupted edit leaves the old file as it was.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError
from tomlkit.exceptions import TOMLKitError

from .config import BotFile, _explain, _same_feed, feed_url_problem
from .errors import ConfigError, InputError


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    name: str | None = None
    interval_seconds: int | None = None


def _load(path: Path) -> tomlkit.TOMLDocument:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", "pass --config with the path to bot.toml") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})", "check its permissions") from None
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})", "fix the syntax at that line first") from None


def _save(path: Path, doc: tomlkit.TOMLDocument) -> None:
    text = tomlkit.dumps(doc)
    try:
        BotFile.model_validate(tomlkit.parse(text).unwrap())
    except ValidationError as exc:
        raise _explain(path, exc, "bot") from None
    try:
        mode = path.stat().st_mode & 0o777
        fd, tmp = tempfile.mkstemp(prefix=".bot.toml.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be written ({exc.strerror})",
                          "run this where the file is writable (in Docker: on the host, where config/ is mounted "
                          "from)") from None


def _feeds(doc: tomlkit.TOMLDocument) -> Any:
    feeds = doc.get("feeds")
    if feeds is None:
        feeds = tomlkit.aot()
        doc.append("feeds", feeds)
    return feeds


def list_feeds(path: Path) -> list[FeedEntry]:
    return [FeedEntry(str(f["url"]), f.get("name"), f.get("interval_seconds")) for f in _load(path).get("feeds", [])]


def add_feeds(path: Path, entries: list[FeedEntry]) -> tuple[list[FeedEntry], list[FeedEntry]]:
    """Append feeds; returns (added, skipped because the URL is already there)."""
    doc = _load(path)
    feeds = _feeds(doc)
    present = {_same_feed(str(f["url"])) for f in feeds}
    added, skipped = [], []
    for entry in entries:
        problem = feed_url_problem(entry.url)
        if problem:
            raise InputError(entry.url[:200], f"not a feed URL: {problem}", "fix the URL")
        if _same_feed(entry.url) in present:
            skipped.append(entry)
            continue
        table = tomlkit.table()
        table.add("url", entry.url)
        if entry.name:
            table.add("name", entry.name)
        if entry.interval_seconds:
            table.add("interval_seconds", entry.interval_seconds)
        feeds.append(table)
        present.add(_same_feed(entry.url))
        added.append(entry)
    if added:
        _save(path, doc)
    return added, skipped


def remove_feed(path: Path, which: str) -> FeedEntry:
    """Remove the feed whose URL or name is ``which``."""
    doc = _load(path)
    feeds = doc.get("feeds") or []
    matches = [i for i, f in enumerate(feeds)
               if _same_feed(str(f["url"])) == _same_feed(which) or f.get("name") == which]
    if not matches:
        known = ", ".join(str(f.get("name") or f["url"]) for f in feeds) or "none"
        raise InputError(which, "no such feed in the config", f"give a URL or name from `claimbot feeds` ({known})")
    if len(matches) > 1:
        raise InputError(which, f"{len(matches)} feeds have that name", "give the URL instead")
    gone = feeds[matches[0]]
    entry = FeedEntry(str(gone["url"]), gone.get("name"), gone.get("interval_seconds"))
    del feeds[matches[0]]
    if not feeds:
        del doc["feeds"]  # an empty array of tables would be written as `feeds = []`
    _save(path, doc)
    return entry


# --- OPML ------------------------------------------------------------------------------

def parse_opml(data: bytes, source: str) -> list[FeedEntry]:
    """The feeds of an OPML file: every <outline> with an xmlUrl, however deeply nested."""
    if b"<!ENTITY" in data[:4096]:
        raise InputError(source, "declares XML entities, which OPML never needs", "export the file again")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(source, f"not valid XML ({exc})", "check that it is an OPML export") from None
    if root.tag.lower() != "opml":
        raise InputError(source, f"not OPML (the root element is <{root.tag}>)", "give an .opml export")
    entries = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            name = (outline.get("title") or outline.get("text") or "").strip() or None
            entries.append(FeedEntry(url, name))
    if not entries:
        raise InputError(source, "holds no feeds (no <outline xmlUrl=...>)", "check the export")
    return entries


def to_opml(entries: list[FeedEntry], title: str = "claimbot feeds") -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for entry in entries:
        attrs = {"type": "rss", "text": entry.name or entry.url, "xmlUrl": entry.url}
        if entry.name:
            attrs["title"] = entry.name
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
