"""Crawls that do not finish normally (a signal, an archive error) record what they saw and nothing about the rest."""

import os
import signal
import sqlite3
import time

import pytest

from samplesite import SampleSite
from tests.conftest import copy_archive, crawl_center, outcomes, rows, start_crawl


def wait_until(check, timeout=60.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except sqlite3.Error:
            pass  # the archive is being created
        assert process is None or process.poll() is None, "the crawl ended before the test could act on it"
        time.sleep(0.05)
    raise AssertionError("timed out")


SLOW = {"DOWNLOAD_DELAY": "0.1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}  # about 6 s for the center


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    """A 60-article center, archived once."""
    with SampleSite(generated=60, pages_per_article=1) as site:
        db = tmp_path_factory.mktemp("center") / "archive.db"
        crawl_center(site, db)
        yield site, db


def test_a_crawl_stopped_by_ctrl_c_counts_no_misses_and_says_it_stopped(center, tmp_path):
    site, archived = center
    db = copy_archive(archived, tmp_path)
    # One miss would make an article gone: the old code marked every article it did not reach.
    crawl = start_crawl("healthcenter", db, f"start_url={site.hub_url}", settings={"GONE_AFTER_MISSES": "1", **SLOW})
    wait_until(lambda: rows(db, "SELECT count(*) FROM observation_log WHERE crawl_id = 2")[0][0] >= 5, process=crawl)
    os.killpg(crawl.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 3, err[-3000:]
    assert "crawl stopped: stopped before it finished (shutdown)" in err
    assert rows(db, "SELECT status, finish_reason FROM crawls WHERE id = 2") == [("stopped", "shutdown")]
    seen = outcomes(db, 2)
    assert 5 <= len(seen) < 60
    assert {outcome for outcome, _ in seen.values()} == {"unchanged"}
    assert rows(db, "SELECT count(*) FROM articles WHERE status != 'live' OR missed != 0") == [(0,)]


def test_a_crawl_failed_by_the_archive_counts_no_misses(center, tmp_path):
    site, archived = center
    db = copy_archive(archived, tmp_path)
    conn = sqlite3.connect(db)
    # A real SQLite error when the crawl writes its fifth article (but not when an article is found gone).
    conn.execute(
        "CREATE TRIGGER full_disk BEFORE INSERT ON observation_log WHEN new.article_id = 5 AND new.outcome != 5 "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    conn.commit()
    conn.close()
    crawl = start_crawl("healthcenter", db, f"start_url={site.hub_url}", settings={"GONE_AFTER_MISSES": "1"})
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, err[-3000:]
    assert "cannot write" in err and "database or disk is full" in err
    assert "crawl failed: the archive could not be written" in err
    assert rows(db, "SELECT status, finish_reason FROM crawls WHERE id = 2") == [("failed", "archive_error")]
    assert rows(db, "SELECT count(*) FROM articles WHERE status != 'live' OR missed != 0") == [(0,)]


def test_a_second_ctrl_c_still_closes_the_books_as_stopped(tmp_path):
    # Each answer takes 3 s, so the first Ctrl-C's graceful stop waits for the requests in flight; the second one
    # stops the reactor at once, before the spider closes. The crawl used to stay `running` in the archive.
    with SampleSite(generated=30, pages_per_article=1, delay=3.0) as slow:
        db = tmp_path / "archive.db"
        crawl = start_crawl("healthcenter", db, f"start_url={slow.hub_url}")
        wait_until(lambda: rows(db, "SELECT status FROM crawls") == [("running",)], process=crawl)
        time.sleep(1)  # robots.txt is being fetched
        os.killpg(crawl.pid, signal.SIGINT)
        time.sleep(0.5)
        os.killpg(crawl.pid, signal.SIGINT)
        _, err = crawl.communicate(timeout=60)
    assert "forcing unclean shutdown" in err.lower(), err[-3000:]
    assert rows(db, "SELECT status, finish_reason FROM crawls") == [("stopped", "shutdown")], err[-3000:]
    assert rows(db, "SELECT count(*) FROM articles WHERE status != 'live' OR missed != 0") == [(0,)]
