"""The reading commands on a real two-round crawl of the sample center: show, search, diff, backup, and their errors.

Each command runs as a user runs it, `healtharchive ...` in its own process.
"""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.text import blocks as text_blocks
from tests.conftest import ROOT

CLI = str(Path(sys.executable).with_name("healtharchive"))


def run(*args, ok=True):
    result = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def facts(two_round_archive):
    conn = sqlite3.connect(f"file:{two_round_archive}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    multi = conn.execute(
        "SELECT a.id, a.url, v.version, v.page_urls, v.page_starts, v.text FROM articles a "
        "JOIN versions v ON v.id = a.current_version_id WHERE v.page_count > 1 AND a.status = 'live' "
        "AND v.version > 1 ORDER BY a.id LIMIT 1"
    ).fetchone()
    yield {"db": two_round_archive, "conn": conn, "multi": dict(multi)}
    conn.close()


def test_show_reads_a_whole_version_with_its_pages(facts):
    multi, db = facts["multi"], facts["db"]
    out = run("show", multi["id"], "--db", db).stdout
    page_urls, starts = json.loads(multi["page_urls"]), json.loads(multi["page_starts"])
    assert f"version {multi['version']} of {multi['version']}" in out
    for block in text_blocks(multi["text"]):
        assert block in out
    for page, url in enumerate(page_urls, start=1):
        assert f"--- page {page} {url}" in out
    # The page marker stands right before the first paragraph of its page.
    second = text_blocks(multi["text"])[starts[1]]
    assert out.index(f"--- page 2 {page_urls[1]}") < out.index(second)
    first = run("show", multi["id"], "1", "--db", db, "--format", "json").stdout
    assert json.loads(first)["version"]["version"] == 1


@pytest.mark.parametrize(
    "form",
    [
        lambda m: str(m["id"]),
        lambda m: m["url"],
        lambda m: m["url"].rstrip("/") + "/" if not m["url"].endswith("/") else m["url"].rstrip("/"),
        lambda m: m["url"] + ("&" if "?" in m["url"] else "?") + "utm_source=newsletter&utm_medium=email",
        lambda m: json.loads(m["page_urls"])[1],  # a page-2 URL, as captured
    ],
    ids=["id", "url", "trailing-slash", "tracking", "page-2"],
)
def test_every_form_of_an_article_finds_it(facts, form):
    key = form(facts["multi"])
    shown = json.loads(run("show", key, "--db", facts["db"], "--format", "json").stdout)
    assert shown["article"]["id"] == facts["multi"]["id"], key
    history = json.loads(run("history", key, "--db", facts["db"], "--format", "json").stdout)
    assert history["article"]["id"] == facts["multi"]["id"], key


def test_show_errors_are_one_line(facts):
    for args, message in [
        (["show", "999999"], "no article 999999 in the archive"),
        (["show", str(facts["multi"]["id"]), "99"], "has no version 99 (versions: 1, 2"),
    ]:
        result = run(*args, "--db", facts["db"], ok=False)
        assert result.returncode == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1


def test_search_ranks_and_shows_the_passage(facts):
    conn, db = facts["conn"], facts["db"]
    hits = json.loads(run("search", "pathology report", "--db", db, "--format", "json").stdout)
    assert hits and [h["rank"] for h in hits] == sorted(h["rank"] for h in hits)  # bm25: lower is better
    assert all(h["status"] == "live" for h in hits)
    text = run("search", "pathology report", "--db", db).stdout
    assert "[pathology]" in text.lower() or "[report]" in text.lower()
    assert "\x1b[" not in text  # no colour in a pipe unless asked
    assert "\x1b[1;33m" in run("search", "pathology", "--db", db, "--color").stdout
    # As of a day before the archive began: nothing stood yet.
    assert "no article matches" in run("search", "pathology", "--on", "2000-01-01", "--db", db).stdout
    # As of the end of the first crawl: only what that crawl had archived (its versions span several seconds).
    first = conn.execute(
        "SELECT max(crawled_at) FROM versions WHERE crawl_id = (SELECT min(id) FROM crawls)"
    ).fetchone()[0]
    then = json.loads(run("search", "pathology", "--on", first, "--db", db, "--format", "json").stdout)
    assert then and all(h["crawled_at"] <= first for h in then)


def test_search_refuses_a_date_it_cannot_read(facts):
    for bad in ("yesterday", "12/01/2026"):
        result = run("search", "pathology", "--on", bad, "--db", facts["db"], ok=False)
        assert result.returncode == 2 and "is not a date: use YYYY-MM-DD" in result.stderr


def test_word_diff_keeps_colour_and_markers_in_a_pipe(facts):
    multi, db = facts["multi"], facts["db"]
    coloured = run("diff", multi["id"], "--format", "words", "--color", "--db", db).stdout
    assert "\x1b[3" in coloured and ("{+" in coloured or "[-" in coloured)
    plain = run("diff", multi["id"], "--format", "words", "--db", db).stdout
    assert "\x1b[" not in plain and ("{+" in plain or "[-" in plain)


def test_clear_errors_instead_of_tracebacks(facts, tmp_path):
    readme = ROOT / "README.md"
    empty_db = tmp_path / "other.db"
    sqlite3.connect(empty_db).execute("CREATE TABLE t (x)").connection.close()
    for args, message in [
        (["serve", readme], "is not an SQLite database"),
        (["serve", empty_db], "not a healtharchive archive"),
        (["export", facts["multi"]["url"], "-o", tmp_path / "missing" / "x.warc.gz", "--db", facts["db"]], "no folder"),
        (["backup", "--db", facts["db"], "--to", tmp_path / "missing" / "b.db"], "no folder"),
        (["backup", "--db", facts["db"], "--to", facts["db"]], "is the archive itself"),
    ]:
        result = run(*args, ok=False)
        assert result.returncode == 1, args
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_backup_while_a_crawl_writes_and_a_reader_reads(two_round_archive, tmp_path):
    """Backups taken again and again while a real crawl writes the archive (and a reader, as Datasette does,
    holds it open) are each a consistent archive; the one taken after the crawl holds all of it."""
    from samplesite import SampleSite
    from tests.conftest import SCRAPY, TEST_SETTINGS

    db = tmp_path / "archive.db"
    db.write_bytes(two_round_archive.read_bytes())
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    copies = []
    with SampleSite(generated=40, pages_per_article=2, delay=0.02) as site:
        command = [SCRAPY, "crawl", "healthcenter", "-s", f"ARCHIVE_DB={db}", "-a", f"start_url={site.hub_url}"]
        for key, value in TEST_SETTINGS.items():
            command += ["-s", f"{key}={value}"]
        crawl = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while crawl.poll() is None and len(copies) < 60:
                reader.execute("SELECT count(*) FROM observations").fetchone()
                copies.append(tmp_path / f"copy{len(copies)}.db")
                run("backup", "--db", db, "--to", copies[-1])
            assert crawl.wait(timeout=300) == 0
        finally:
            if crawl.poll() is None:
                crawl.kill()
    final = tmp_path / "backups"
    final.mkdir()
    out = run("backup", "--db", db, "--to", final).stdout
    copies.append(next(final.iterdir()))
    assert "backed up" in out and str(copies[-1]) in out
    mid_crawl = 0
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", copy
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        # One commit's snapshot: counts kept by triggers agree with the rows they count.
        assert (
            conn.execute(
                "SELECT count(*) FROM (SELECT crawl_id, outcome, count(*) AS n FROM observation_log GROUP BY 1, 2) x "
                "LEFT JOIN crawl_outcomes c USING (crawl_id, outcome) WHERE c.n IS NOT x.n"
            ).fetchone()[0]
            == 0
        ), copy
        assert (
            conn.execute(
                "SELECT count(*) FROM articles a WHERE version_count != (SELECT count(*) FROM version_log v "
                "WHERE v.article_id = a.id)"
            ).fetchone()[0]
            == 0
        ), copy
        assert (
            conn.execute(
                "SELECT count(*) FROM observation_log o WHERE o.version_id IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM version_log v WHERE v.id = o.version_id)"
            ).fetchone()[0]
            == 0
        ), copy
        mid_crawl += conn.execute("SELECT count(*) FROM crawls WHERE status = 'running'").fetchone()[0]
        conn.close()
    assert mid_crawl >= 1, f"no backup of {len(copies)} was taken while the crawl ran"
    source = sqlite3.connect(db)
    last = sqlite3.connect(copies[-1])
    for table in ("crawls", "articles", "versions", "observations", "captures"):
        assert (
            last.execute(f"SELECT count(*) FROM {table}").fetchone()
            == source.execute(f"SELECT count(*) FROM {table}").fetchone()
        ), table
    assert last.execute("SELECT status FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0] == "finished"
    reader.close()
