"""The store on a real SQLite file and a real PostgreSQL server, through its intention-revealing methods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from bot.models import Article, Claim, Decision, Figure, Fingerprint
from bot.novelty import NoveltyOptions, fingerprint, keys
from bot.store import Store
from bot.store.schema import metadata

NOW = datetime(2025, 2, 7, 9, 0, tzinfo=UTC)


def article(url: str, outlet: str = "Daily") -> Article:
    return Article(url=url, title="t", published=NOW - timedelta(hours=1), outlet=outlet, author=None, text="body")


def claim(text: str = "OpenAI will invest $500 billion in Stargate.") -> Claim:
    return Claim(topic="stargate", text=text, sentence=0, score=3.0,
                 figures=(Figure(5e11, "USD", "money", "$500 billion", ("invest",)),), names_topic=True)


def fp(c: Claim) -> Fingerprint:
    return fingerprint(c, NoveltyOptions(), b"\x01" * 8)


def test_migrations_create_every_table_the_code_uses(db_url: str) -> None:
    store = Store.open(db_url)
    tables = set(inspect(store.engine).get_table_names())
    assert set(metadata.tables) <= tables
    store.migrate()  # running again on start is harmless
    store.close()


def test_migrations_and_the_schema_module_describe_the_same_database(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    store = Store.open(db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    store.close()
    assert [d for d in diff if d[0] in ("add_index", "remove_index", "add_table", "remove_table", "add_column",
                                         "remove_column")] == []


def test_an_article_is_stored_once_per_canonical_url(db_url: str) -> None:
    store = Store.open(db_url)
    with store.transaction() as repo:
        first, new1 = repo.save_article(article("https://a.example/1"), "https://a.example/1", topics=["stargate"],
                                        spam=False, spam_reason=None, now=NOW)
        second, new2 = repo.save_article(article("https://a.example/1?utm_source=x"), "https://a.example/1",
                                         topics=[], spam=False, spam_reason=None, now=NOW)
    assert (new1, new2) == (True, False) and first == second
    store.close()


def test_claims_flow_from_pending_to_posted_and_survive_a_restart(db_url: str) -> None:
    store = Store.open(db_url)
    c = claim()
    keys_ = keys(fp(c), NoveltyOptions())
    with store.transaction() as repo:
        a1, _ = repo.save_article(article("https://a.example/1", "A"), "https://a.example/1", topics=["stargate"],
                                  spam=False, spam_reason=None, now=NOW)
        [first] = repo.save_claims(a1, [(c, Decision("new", "stargate-c1"), fp(c), keys_)], url="https://a.example/1",
                                   outlet="A", now=NOW)
        again = repo.save_claims(a1, [(c, Decision("new", "stargate-c1"), fp(c), keys_)], url="https://a.example/1",
                                 outlet="A", now=NOW)
        assert again == [first]  # idempotent: a retry stores nothing twice
    store.close()

    store = Store.open(db_url)  # a restart forgets nothing
    with store.transaction() as repo:
        similar = repo.similar_claims("stargate", keys_, NOW - timedelta(days=90))
        assert [k.cluster for k in similar] == ["stargate-c1"]
        assert similar[0].figures[0].value == 5e11
        assert similar[0].fingerprint == fp(c)  # the slots and the embedding come back as stored
        a2, _ = repo.save_article(article("https://b.example/2", "B"), "https://b.example/2", topics=["stargate"],
                                  spam=False, spam_reason=None, now=NOW)
        again_claim = claim("Stargate: $500 billion from OpenAI.")
        repo.save_claims(a2, [(again_claim, Decision("repeat", "stargate-c1"), fp(again_claim), keys_)],
                         url="https://b.example/2", outlet="B", now=NOW)
        pending = repo.pending_claims()
        assert [p.claim_id for p in pending] == [first]
        assert pending[0].outlets_since == 1
        assert pending[0].published is not None and pending[0].published.tzinfo is not None
        digest_id = repo.start_digest([first], None, NOW, "#c", NOW)
        assert [d[:4] for d in repo.unfinished_digests()] == [(digest_id, [first], None, "pending")]  # never reached Slack
        repo.mark_sending(digest_id)
        repo.record_first_message(digest_id, "C123", "123.456")
        assert [d[:4] for d in repo.unfinished_digests()] == [(digest_id, [first], "C123", "sending")]
        repo.mark_posted(digest_id, [first], "123.456", NOW)
        assert repo.pending_claims() == []
        assert repo.last_digest_end() == NOW
    store.close()


def test_retention_forgets_old_clusters(db_url: str) -> None:
    store = Store.open(db_url)
    c = claim()
    keys_ = keys(fp(c), NoveltyOptions())
    old = NOW - timedelta(days=120)
    with store.transaction() as repo:
        a1, _ = repo.save_article(article("https://a.example/1"), "https://a.example/1", topics=["stargate"],
                                  spam=False, spam_reason=None, now=old)
        repo.save_claims(a1, [(c, Decision("new", "old-1"), fp(c), keys_)], url="https://a.example/1", outlet="A",
                         now=old)
        assert repo.similar_claims("stargate", keys_, NOW - timedelta(days=90)) == []
        assert repo.prune(NOW, retention_days=90) == 1
        assert repo.similar_claims("stargate", keys_, old - timedelta(days=1)) == []
    store.close()


def _stored_at_revision(db_url: str, revision: str, cluster: str, text: str, entities: str,
                        claim_keys: tuple[str, ...]) -> None:
    """A database migrated to ``revision`` holding one claim with the keys that revision wrote."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from bot.store import MIGRATIONS

    engine = create_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.exec_driver_sql("INSERT INTO articles (id, url, canonical_url, fetched_at, topics, spam, text_chars) VALUES "
                             "(1, 'https://a.example/1', 'https://a.example/1', '2025-02-07 08:00:00', '[]', false, 0)")
        conn.exec_driver_sql("INSERT INTO clusters (id, topic, created_at, last_seen_at) VALUES "
                             f"('{cluster}', 'stargate', '2025-02-07 08:00:00', '2025-02-07 08:00:00')")
        conn.exec_driver_sql(
            "INSERT INTO claims (id, article_id, cluster_id, topic, text, text_key, status, conflicts_with, why, score,"
            f" figures, entities, tokens, created_at, suppressed) VALUES (1, 1, '{cluster}', 'stargate', '{text}',"
            f" 'k', 'new', '[]', '', 3.0, '[]', '{entities}', '[]', '2025-02-07 08:00:00', false)")
        for key in claim_keys:
            conn.exec_driver_sql(f"INSERT INTO claim_keys (claim_id, key, topic, created_at) VALUES "
                                 f"(1, '{key}', 'stargate', '2025-02-07 08:00:00')")
    engine.dispose()


def test_claims_stored_before_fingerprints_are_still_found_after_the_upgrade(db_url: str) -> None:
    _stored_at_revision(db_url, "0003", "old-1", "OpenAI will invest $500 billion in Stargate.", '["openai"]',
                        ("f:money:USD:5e+11", "m:money:USD:~invest", "e:openai", "e:@us", "b0:invest"))
    store = Store.open(db_url)  # migrates to the head
    c = claim()
    with store.transaction() as repo:
        found = repo.similar_claims("stargate", keys(fp(c), NoveltyOptions()), NOW - timedelta(days=90))
    store.close()
    assert [k.cluster for k in found] == ["old-1"] and found[0].fingerprint is None


def test_count_keys_stored_with_their_noun_are_found_by_value_after_the_upgrade(db_url: str) -> None:
    from bot.text import figures

    _stored_at_revision(db_url, "0005", "old-2", "The plant will make 10 million smartphones.", "[]",
                        ("f|count|smartphone|1e+07", "f|count|MW|1e+07"))
    store = Store.open(db_url)  # migrates to the head
    text = "이 공장은 연간 1000만대를 생산한다."
    korean = Claim(topic="stargate", text=text, sentence=0, score=3.0, figures=figures(text))
    with store.transaction() as repo:
        found = repo.similar_claims("stargate", [k for k in keys(fp(korean), NoveltyOptions())
                                                 if k.text.startswith("f|")], NOW - timedelta(days=90))
    store.close()
    assert [k.cluster for k in found] == ["old-2"]


def test_a_sentence_stored_word_for_word_is_found_by_its_text_and_topic(db_url: str) -> None:
    store = Store.open(db_url)
    c = claim()
    with store.transaction() as repo:
        a1, _ = repo.save_article(article("https://a.example/1"), "https://a.example/1", topics=["stargate"],
                                  spam=False, spam_reason=None, now=NOW)
        repo.save_claims(a1, [(c, Decision("new", "c-1"), fp(c), ())], url="https://a.example/1", outlet="A", now=NOW)
        a2, _ = repo.save_article(article("https://b.example/2"), "https://b.example/2", topics=["stargate"],
                                  spam=False, spam_reason=None, now=NOW)
        repo.save_claims(a2, [(c, Decision("repeat", "c-1"), fp(c), ())], url="https://b.example/2", outlet="B",
                         now=NOW)
        found = repo.copies_of([("stargate", "OpenAI  will invest $500 billion in Stargate."),
                                ("deepseek", c.text), ("stargate", "Another sentence.")], NOW - timedelta(days=1))
    store.close()
    assert list(found) == [("stargate", "OpenAI  will invest $500 billion in Stargate.")]
    assert found[("stargate", "OpenAI  will invest $500 billion in Stargate.")].status == "new"
