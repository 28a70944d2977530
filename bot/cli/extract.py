"""`claimbot extract`: the clean main text of pages, files or JSON Lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import ClaimbotError, InputError
from ..extract import extract, looks_like_html
from ..fetch import Fetcher, decode
from ..models import Document
from . import main
from .common import config_option, fetcher_for, friendly, load, parse_json_line


def _documents_for(path: str, fetcher: Fetcher) -> Iterator[Document]:
    if path == "-":
        for number, raw in enumerate(sys.stdin, 1):
            if raw.strip():
                obj = parse_json_line(raw, f"stdin line {number}")
                if not isinstance(obj, dict) or not isinstance(obj.get("html", obj.get("text")), str):
                    raise InputError(f"stdin line {number}", "needs 'url' and 'html' or 'text'", "fix that line")
                yield Document(url=str(obj.get("url") or f"stdin:{number}"), html=obj.get("html"),
                               text=None if "html" in obj else obj.get("text"))
        return
    fetched = fetcher.get(path)
    content = decode(fetched.content, fetched.headers.get("content-type"))
    is_html = path.lower().endswith((".html", ".htm", ".xhtml")) or "html" in fetched.headers.get("content-type", "") \
        or looks_like_html(content)
    url = fetched.final_url if path.startswith(("http://", "https://")) else Path(path).resolve().as_uri() \
        if "://" not in path else path
    yield Document(url=url, html=content if is_html else None, text=None if is_html else content)


@main.command("extract")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@config_option
@friendly
def extract_cmd(paths: tuple[str, ...], fmt: str, config_path: Path | None) -> None:
    """Print the clean main text of HTML or text files, URLs, or JSON Lines on stdin (-).

    Bytes are decoded by BOM, then the HTTP header, then <meta charset>, then
    detection, so EUC-KR and CP949 pages come out clean. --format json prints one
    line per document: {"source", "title", "published", "outlet", "author", "text"}.
    Files are read up to limits.max_page_bytes whatever size they claim (devices,
    pipes); a pipe with no writer is an error, not a wait.

    \b
    Example:
      claimbot extract page.html https://example.com/news/1 --format json
    """
    settings = load(config_path)
    fetcher = fetcher_for(settings, trusted=True)
    failed = 0
    for path in paths:
        try:
            for doc in _documents_for(path, fetcher):
                article = extract(doc, settings.extract_options)
                if fmt == "json":
                    click.echo(json.dumps({
                        "source": path if path != "-" else doc.url, "url": doc.url, "title": article.title,
                        "published": article.published.isoformat() if article.published else None,
                        "outlet": article.outlet, "author": article.author, "text": article.text,
                    }, ensure_ascii=False))
                else:
                    click.echo(f"# {article.title or path}\n\n{article.text}\n")
        except ClaimbotError as exc:
            failed += 1
            click.echo(f"extract: {exc}", err=True)
    fetcher.close()
    if failed:
        sys.exit(1)
