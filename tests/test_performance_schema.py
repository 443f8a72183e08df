"""Schema V4/V5 (issue 7): the join-free views and the per-crawl outcome counts agree with the compact tables."""

from archive import Archive
from archive.schema import OUTCOME_CODE


def _counts(db):
    kept = {(c, o): n for c, o, n in db.execute("SELECT crawl_id, outcome, n FROM crawl_outcomes") if n}
    real = {
        (c, o): n
        for c, o, n in db.execute("SELECT crawl_id, outcome, count(*) FROM observation_log GROUP BY crawl_id, outcome")
    }
    return kept, real


def test_crawl_outcomes_follow_inserts_updates_and_deletes(tmp_path):
    archive = Archive(str(tmp_path / "archive.db"))
    db = archive.db
    new, changed, unchanged = OUTCOME_CODE["new"], OUTCOME_CODE["changed"], OUTCOME_CODE["unchanged"]
    with db.conn:
        db.execute(
            "INSERT INTO observation_log (article_id, crawl_id, at, outcome) VALUES "
            f"(1, 1, 0, {new}), (2, 1, 0, {new}), (1, 2, 0, {changed}), (2, 2, 0, {unchanged})"
        )
        db.execute(f"UPDATE observation_log SET outcome = {unchanged} WHERE crawl_id = 2 AND article_id = 1")
        db.execute("DELETE FROM observation_log WHERE crawl_id = 1 AND article_id = 2")
    kept, real = _counts(db)
    assert kept == real == {(1, new): 1, (2, unchanged): 2}
    archive.close()


def test_views_show_every_version_and_capture(tmp_path):
    archive = Archive(str(tmp_path / "archive.db"))
    db = archive.db
    with db.conn:
        db.execute("INSERT INTO texts (id, hash, text, words) VALUES (1, 'sha256:a', 'Some text', 2)")
        db.execute("INSERT INTO version_log (id, article_id, version, title, text_id) VALUES (7, 1, 1, 'T', 1)")
        db.execute("INSERT INTO urls (id, url) VALUES (3, 'https://example.org/a')")
        db.execute(
            "INSERT INTO capture_log (id, crawl_id, article_id, url_id, page, status, at) "
            "VALUES (5, 1, 1, 3, 1, 200, 0)"
        )
    assert list(db.query("SELECT id, text, content_hash, words FROM versions")) == [
        {"id": 7, "text": "Some text", "content_hash": "sha256:a", "words": 2}
    ]
    assert list(db.query("SELECT id, url, fetched_at, warc_file FROM captures")) == [
        {"id": 5, "url": "https://example.org/a", "fetched_at": "1970-01-01T00:00:00Z", "warc_file": None}
    ]
    archive.close()
