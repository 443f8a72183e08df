"""An article's versions in time order when older history arrives after newer (a backfill): numbers never change,
``previous_version`` follows time, and the writer compares each moment with the version in force then."""

import sqlite3

from archive import Archive
from crawler.items import ArticleItem, Page

URL = "https://www.example.org/health/article"
TEXTS = {"A": "First text.\n\nSecond paragraph.", "B": "First text, edited.\n\nSecond paragraph."}


def item(text: str, at: str) -> ArticleItem:
    found = ArticleItem(url=URL, spider="backfill", profile="generic", state="ok", listed=True, title="Article")
    found.pages = [Page(url=URL, number=1, status=200, fetched_at=at)]
    found.text = TEXTS.get(text, text)
    return found


def history(db) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT version, previous_version, substr(text, 1, 19) FROM versions ORDER BY crawled_at, version"
        ).fetchall()
    finally:
        conn.close()


def test_older_moments_are_numbered_after_and_ordered_in_time(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        crawl = archive.start_crawl("healthcenter", "generic", {}, None)
        assert archive.record(crawl, item("A", "2026-03-01T00:00:00Z"), "x", "1") == "new"
        backfill = archive.start_crawl("backfill", "generic", {}, None, source="https://web.archive.org/cdx/search/cdx")
        at = {"2019": "2019-05-01T00:00:00Z", "2021": "2021-05-01T00:00:00Z", "2022": "2022-05-01T00:00:00Z"}
        assert archive.record(backfill, item("B", at["2019"]), "x", "1", at=at["2019"]) == "new"
        assert archive.record(backfill, item("A", at["2021"]), "x", "1", at=at["2021"]) == "changed"
        assert archive.record(backfill, item("A", at["2022"]), "x", "1", at=at["2022"]) == "unchanged"
        article = archive.article(URL)
    assert history(db) == [
        (2, None, "First text, edited."),
        (3, 2, "First text.\n\nSecond"),
        (1, 3, "First text.\n\nSecond"),
    ]
    # The crawled version stays the article's current one; its first sighting moves back to the oldest capture.
    assert article["first_seen"] == "2019-05-01T00:00:00Z" and article["current_version_id"] is not None
    conn = sqlite3.connect(db)
    current = conn.execute("SELECT version FROM versions WHERE id = ?", [article["current_version_id"]]).fetchone()
    observed = conn.execute("SELECT observed_at, outcome FROM observations ORDER BY observed_at").fetchall()
    conn.close()
    assert current == (1,)
    assert [o for _, o in observed] == ["new", "changed", "unchanged", "new"]  # outcomes as recorded, dated by capture
