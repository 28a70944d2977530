"""`claimbot topics`: what the topic rules are, and why one fired or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..claims import find_claims, score_sentence
from ..extract import extract, looks_like_html
from ..models import Document
from ..text import sentences
from ..topics import match_topics
from . import main
from .common import config_option, friendly, load


@main.group()
def topics() -> None:
    """Inspect the topic rules (topics.toml, named by bot.toml's topics_file)."""


@topics.command("list")
@config_option
@friendly
def topics_list(config_path: Path | None) -> None:
    """List the topics: id, name, and their aliases (the first few), with how many of each kind of word.

    \b
    Example:
      claimbot topics list
    """
    settings = load(config_path)
    click.echo(f"# {settings.topics_path}")
    for rule in settings.topics.rules:
        shown = ", ".join(term.text for term in rule.aliases[:6]) + (", ..." if len(rule.aliases) > 6 else "")
        click.echo(f"{rule.id}  {rule.name}\n  aliases ({len(rule.aliases)}): {shown}\n"
                   f"  ambiguous {len(rule.ambiguous)}, context {len(rule.context)}, exclude {len(rule.exclude)}, "
                   f"related {len(rule.related)}")


@topics.command("test")
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the text (or HTML) from a file instead.")
@click.option("--topics", "topics_path", type=click.Path(path_type=Path),
              help="Path to topics.toml (default: the one bot.toml names).")
@config_option
@friendly
def topics_test(text: str | None, file: Path | None, topics_path: Path | None, config_path: Path | None) -> None:
    """Show which rule fired on which sentence and why, or why nothing fired.

    \b
    Example:
      claimbot topics test "딥시크가 R1 모델을 공개했다. 개발비는 600만 달러였다."
      claimbot topics test --file article.html
    """
    if (text is None) == (file is None):
        raise click.UsageError("give either TEXT or --file")
    settings = load(config_path, topics_path=topics_path)
    raw = file.read_text(encoding="utf-8", errors="replace") if file else str(text)
    doc = Document(url=str(file or "text"), html=raw if looks_like_html(raw) else None,
                   text=None if looks_like_html(raw) else raw)
    article = extract(doc, settings.extract_options)
    sents = sentences(article.text)
    result = match_topics(sents, settings.topics, article.title)
    if result.spam:
        click.echo(f"spam: {result.spam_reason}")
    for line in result.rejected:
        click.echo(f"rejected: {line}")
    if not result.hits:
        click.echo("no topic fired: no alias of any topic occurs (or every mention was rejected above)")
        return
    by_sentence: dict[int, list[Any]] = {}
    for hit in result.hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    # The pipeline's own claim finder, so what is shown here is what replay and the service decide.
    found = {(c.topic, c.sentence): c for c in find_claims(sents, result, settings.claim_options)}
    for index, hits in sorted(by_sentence.items()):
        click.echo(f"\n[{index}] {sents[index].text}")
        for hit in hits:
            claim = found.get((hit.topic, index))
            if claim is not None:
                verdict = f"claim #{claim.rank + 1}{' (key)' if claim.key else ''}, score {claim.score:.1f}: " \
                          + ", ".join(claim.reasons[:-1])
            else:
                score, reasons, _ = score_sentence(sents[index].text, hit.terms if hit.how == "alias" else ())
                verdict = f"not a claim, score {score:.1f}: {', '.join(reasons) or 'nothing checkable'}"
            click.echo(f"    {hit.topic}: {hit.how} ({hit.why}); {verdict}")
