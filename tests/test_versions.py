"""Versions over time: three rounds of the sample center, crawled by real `scrapy crawl healthcenter` processes.

Round 2 edits a sentence on page 2 of one article, rotates every piece of chrome, adds a page to
another article, removes a third (404), adds a new one to the hub and makes a page answer 503.
Round 3 reverts the edit and recovers the 503.
"""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import Archive, ArchiveError, schema
from archive.schema import V1
from archive.text import blocks as text_blocks
from samplesite import SampleSite
from tests.conftest import ROOT, crawl_center

CLI = str(Path(sys.executable).with_name("healtharchive"))


def state(db, crawl_id):
    """{slug: (outcome, current version, version count, article status)} after crawl ``crawl_id``."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT a.url, o.outcome, v.version, a.status, (SELECT count(*) FROM versions x WHERE x.article_id = a.id) "
        "FROM articles a LEFT JOIN observations o ON o.article_id = a.id AND o.crawl_id = ? "
        "LEFT JOIN versions v ON v.id = o.version_id",
        [crawl_id],
    ).fetchall()
    return {url.rsplit("/", 1)[-1]: (outcome, version, count, status) for url, outcome, version, status, count in rows}


def cli(*args):
    result = subprocess.run([CLI, *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    db = tmp_path_factory.mktemp("rounds") / "archive.db"
    with SampleSite() as site:
        states, scenario, urls = [], site.scenario, {}
        for round_ in (1, 2, 3):
            site.set_round(round_)
            urls.update({a["slug"]: a["url"] for a in site.articles()})
            crawl_center(site, db)
            states.append(state(db, round_))
        yield {"db": db, "states": states, "scenario": scenario, "urls": urls}


def test_round_1_every_article_new(rounds):
    first = rounds["states"][0]
    assert first and all(s == ("new", 1, 1, "live") for s in first.values())


def test_round_2_only_real_changes_make_versions(rounds):
    sc, second = rounds["scenario"], rounds["states"][1]
    assert second.pop(sc["edited"]) == ("changed", 2, 2, "live")
    assert second.pop(sc["grown"]) == ("changed", 2, 2, "live")
    assert second.pop(sc["removed"]) == ("gone", 1, 1, "gone")
    assert second.pop(sc["added"]) == ("new", 1, 1, "live")
    assert second.pop(sc["failing"]) == ("incomplete", 1, 1, "live")
    # Every piece of chrome changed on every page, inside and around the bodies: no version.
    assert second and all(s == ("unchanged", 1, 1, "live") for s in second.values())


def test_round_3_revert_is_a_new_version_with_the_old_hash(rounds):
    sc, third = rounds["scenario"], rounds["states"][2]
    assert third.pop(sc["edited"]) == ("changed", 3, 3, "live")
    assert third.pop(sc["removed"]) == (None, None, 1, "gone")
    assert third.pop(sc["grown"]) == ("unchanged", 2, 2, "live")
    assert third.pop(sc["failing"]) == ("unchanged", 1, 1, "live")
    assert all(s[0] == "unchanged" for s in third.values())
    conn = sqlite3.connect(rounds["db"])
    hashes = [
        h
        for (h,) in conn.execute(
            "SELECT content_hash FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? ORDER BY version",
            [rounds["urls"][sc["edited"]]],
        )
    ]
    assert hashes[0] == hashes[2] != hashes[1]
    # The reverted text is stored once.
    assert conn.execute("SELECT count(*) FROM texts WHERE hash = ?", [hashes[0]]).fetchone()[0] == 1


def test_versions_record_provenance(rounds):
    conn = sqlite3.connect(rounds["db"])
    conn.row_factory = sqlite3.Row
    grown = conn.execute(
        "SELECT v.* FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? AND version = 2",
        [rounds["urls"][rounds["scenario"]["grown"]]],
    ).fetchone()
    page_urls = json.loads(grown["page_urls"])
    assert grown["page_count"] == len(page_urls) == 4
    assert grown["crawl_id"] == 2 and grown["crawled_at"].endswith("Z")
    assert grown["extractor"] == "trafilatura" and grown["extractor_version"]
    assert len(json.loads(grown["capture_ids"])) == 4


def _version(rounds, slug, number):
    conn = sqlite3.connect(rounds["db"])
    conn.row_factory = sqlite3.Row
    return conn.execute(
        "SELECT v.* FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? AND version = ?",
        [rounds["urls"][slug], number],
    ).fetchone()


def test_versions_know_where_each_page_starts(rounds):
    sc = rounds["scenario"]
    edited = _version(rounds, sc["edited"], 2)
    starts = json.loads(edited["page_starts"])
    blocks = text_blocks(edited["text"])
    assert len(starts) == edited["page_count"] and starts[0] == 0 and starts == sorted(set(starts))
    changed = next(i for i, b in enumerate(blocks) if sc["new_sentence"] in b)
    assert max(p for p, start in enumerate(starts, start=1) if start <= changed) == sc["edited_page"]
    grown = _version(rounds, sc["grown"], 2)
    starts = json.loads(grown["page_starts"])
    assert len(starts) == 4 and starts == sorted(set(starts)) and starts[-1] < len(text_blocks(grown["text"]))


def test_incomplete_says_which_page_failed(rounds):
    sc = rounds["scenario"]
    conn = sqlite3.connect(rounds["db"])
    detail = conn.execute(
        "SELECT o.detail FROM observations o JOIN articles a ON a.id = o.article_id WHERE a.url = ? AND o.crawl_id = 2",
        [rounds["urls"][sc["failing"]]],
    ).fetchone()[0]
    assert detail.startswith(f"page {sc['failing_page']} (http") and "503" in detail, detail
    assert conn.execute("SELECT count(*) FROM observations WHERE detail IS NOT NULL").fetchone()[0] == 1


def test_articles_count_their_versions(rounds):
    conn = sqlite3.connect(rounds["db"])
    rows = conn.execute(
        "SELECT a.version_count, a.last_changed, (SELECT count(*) FROM versions v WHERE v.article_id = a.id), "
        "(SELECT max(crawled_at) FROM versions v WHERE v.article_id = a.id) FROM articles a"
    ).fetchall()
    assert rows and all(r[0] == r[2] and r[1] == r[3] for r in rows)
    assert {r[0] for r in rows} == {1, 2, 3}


def test_diff_and_history_of_the_edited_article(rounds):
    sc, db = rounds["scenario"], str(rounds["db"])
    url = rounds["urls"][sc["edited"]]
    unified = cli("diff", url, "1", "2", "--db", db)
    removed = [line for line in unified.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in unified.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert len(removed) == len(added) == 1
    assert sc["old_sentence"] in removed[0] and sc["new_sentence"] in added[0]
    words = json.loads(cli("diff", url, "--db", db, "--format", "json"))  # default: the last two (2 -> 3)
    changed = [op for op in words["ops"] if op["op"] != "equal"]
    assert len(changed) == 1 and sc["old_sentence"] in changed[0]["new"]
    history = cli("history", url, "--db", db)
    assert [line.split()[0] for line in history.splitlines() if line.startswith("  v")] == ["v1", "v2", "v3"]
    assert [line.split()[3] for line in history.splitlines() if line.startswith("  crawl")] == [
        "new",
        "changed",
        "changed",
    ]


def test_unknown_article_is_one_clear_line(rounds):
    result = subprocess.run(
        [CLI, "history", "http://nowhere.example/x", "--db", str(rounds["db"])], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: no article http://nowhere.example/x in the archive"


def test_upgrade_from_schema_1_keeps_every_row(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        V1
        + """
        INSERT INTO crawls VALUES (1, 'healthcenter', '2026-03-01T10:00:00Z', '2026-03-01T10:05:00Z');
        INSERT INTO crawls VALUES (2, 'healthcenter', '2026-03-08T10:00:00Z', '2026-03-08T10:05:00Z');
        INSERT INTO articles VALUES (1, 'https://h.example/c/a', 'A', 'live', '2026-03-01T10:01:00Z', '2026-03-08T10:01:00Z');
        INSERT INTO versions VALUES (1, 1, 1, 'A', 'Old text.', 'sha256:old', 2, '2026-03-01T10:01:00Z');
        INSERT INTO versions VALUES (2, 1, 2, 'A', 'New text.', 'sha256:new', 2, '2026-03-08T10:01:00Z');
        INSERT INTO observations VALUES (1, 1, 1, '2026-03-01T10:01:00Z', 'new', 1);
        INSERT INTO observations VALUES (2, 1, 2, '2026-03-08T10:01:00Z', 'changed', 2);
        INSERT INTO captures VALUES (1, 1, 1, 'https://h.example/c/a', 1, 200, '2026-03-01T10:01:00Z');
        INSERT INTO captures VALUES (2, 2, 1, 'https://h.example/c/a', 1, 200, '2026-03-08T10:01:00Z');
        PRAGMA user_version = 1;
    """
    )
    conn.close()
    Archive(str(db)).close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 2
    assert conn.execute("SELECT version, text, content_hash, crawl_id FROM versions ORDER BY id").fetchall() == [
        (1, "Old text.", "sha256:old", 1),
        (2, "New text.", "sha256:new", 2),
    ]
    assert conn.execute("SELECT observed_at, outcome FROM observations ORDER BY id").fetchall() == [
        ("2026-03-01T10:01:00Z", "new"),
        ("2026-03-08T10:01:00Z", "changed"),
    ]
    assert conn.execute("SELECT url, status, fetched_at FROM captures ORDER BY id").fetchall() == [
        ("https://h.example/c/a", 200, "2026-03-01T10:01:00Z"),
        ("https://h.example/c/a", 200, "2026-03-08T10:01:00Z"),
    ]
    assert conn.execute("SELECT current_version_id, host FROM articles").fetchone() == (2, "h.example")
    assert conn.execute("SELECT rowid FROM versions_fts WHERE versions_fts MATCH 'old'").fetchall() == [(1,)]
    # Later steps: counts kept on articles, words without punctuation, page boundaries unknown for old versions.
    assert conn.execute("SELECT version_count, last_changed FROM articles").fetchone() == (2, "2026-03-08T10:01:00Z")
    assert conn.execute("SELECT words FROM versions ORDER BY id").fetchall() == [(2,), (2,)]
    assert conn.execute("SELECT page_starts FROM versions").fetchall() == [(None,), (None,)]


def test_a_new_archive_is_made_whole_or_not_at_all(tmp_path, monkeypatch):
    """A new archive's schema is made in one transaction: when its making fails at the last step (a kill, a full
    disk), the file holds no table at all, and the next open makes all of it, the same schema as the steps one by
    one make."""
    db = tmp_path / "archive.db"
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:-1], "CREATE TABLE broken (;"])
    with pytest.raises(ArchiveError, match="cannot open archive"):
        Archive(str(db))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    assert conn.execute("PRAGMA user_version").fetchone() == (0,)
    conn.close()
    monkeypatch.undo()
    Archive(str(db)).close()
    stepwise = sqlite3.connect(tmp_path / "stepwise.db")
    for number, script in enumerate(schema.MIGRATIONS, start=1):
        stepwise.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    shape = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
    assert sqlite3.connect(db).execute(shape).fetchall() == stepwise.execute(shape).fetchall()
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone() == (schema.LATEST,)


def test_article_missing_from_its_center_is_gone_after_n_crawls(tmp_path):
    archive = Archive(str(tmp_path / "a.db"))
    with archive.db.atomic():
        archive.db.execute(
            "INSERT INTO articles (url, host, status, missed) VALUES ('https://h.example/c/a', 'h.example', 'live', 0)"
        )
    scope = (("h.example",), ("/c/",))
    for crawl in (1, 2):
        archive.db.execute("INSERT INTO crawls (id, spider) VALUES (?, 'healthcenter')", [crawl])
        assert archive.mark_missing(crawl, *scope, gone_after=2) == crawl - 1
    row = next(archive.db.query("SELECT status, missed FROM articles"))
    assert row == {"status": "gone", "missed": 2}
    assert [r["outcome"] for r in archive.db.query("SELECT outcome FROM observations")] == ["gone"]
