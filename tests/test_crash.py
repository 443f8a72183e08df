"""A crawl killed mid-way leaves a consistent archive, and the next crawl carries on."""

import os
import signal
import sqlite3
import subprocess
import time

from archive.warc import read_record, resolve_warc_path
from samplesite import SampleSite
from tests.conftest import ROOT, SCRAPY, TEST_SETTINGS, crawl_center


def test_killed_crawl_leaves_whole_articles_only(tmp_path):
    db = tmp_path / "archive.db"
    with SampleSite(generated=40, pages_per_article=3, delay=0.05) as site:
        command = [SCRAPY, "crawl", "healthcenter", "-a", f"start_url={site.hub_url}", "-s", f"ARCHIVE_DB={db}"]
        for key, value in TEST_SETTINGS.items():
            command += ["-s", f"{key}={value}"]
        crawl = subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and crawl.poll() is None:
            if db.exists() and _count(db, "observation_log") >= 5:
                break
            time.sleep(0.05)
        assert crawl.poll() is None, "the crawl ended before it could be killed"
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()

        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Every archived article is whole: a version with all its pages captured, an observation.
        rows = conn.execute(
            "SELECT a.id, v.page_count, (SELECT count(*) FROM capture_log c WHERE c.article_id = a.id), "
            "(SELECT count(*) FROM observation_log o WHERE o.article_id = a.id) "
            "FROM articles a JOIN version_log v ON v.id = a.current_version_id"
        ).fetchall()
        assert rows and all(pages == captures == 3 and observed == 1 for _, pages, captures, observed in rows)
        assert conn.execute("SELECT status FROM crawls").fetchone()[0] == "running"
        # The WARC writer thread wrote (and flushed) each record before its page went on: every capture the archive
        # holds points at its record, whole, in a file the kill left behind.
        captures = conn.execute("SELECT url, warc_file, warc_offset FROM captures").fetchall()
        assert len(captures) >= 15
        for url, warc_file, offset in captures:
            headers, http, _ = read_record(resolve_warc_path(warc_file, str(db)), offset)
            assert headers.get_header("WARC-Target-URI") == url and http.get_statuscode() == "200"
        conn.close()

        crawl_center(site, db)
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT status FROM crawls ORDER BY id")] == ["interrupted", "finished"]
    assert _count(db, "articles") == 40
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 40


def _count(db, table):
    try:
        conn = sqlite3.connect(db)
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0
