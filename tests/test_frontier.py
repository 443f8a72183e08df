"""A center's articles wait in the crawl's frontier as URLs, not as queued requests; misses stay right.

A hub of N articles scheduled at once held N requests (each with its article's assembly) in memory: on a 50,000-link
hub, more memory than the whole rest of the crawl (``crawler/frontier.py``, docs/performance.md "Scale").
"""

import re
import sqlite3

import pytest

from samplesite import SampleSite
from tests.conftest import copy_archive, crawl_center, outcomes, rows, run_crawl

ARTICLES = 120
LAZY = {"CONCURRENT_REQUESTS": "4"}  # the frontier feeds the scheduler this many at a time


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    assert found, f"no {name} in the crawl's stats"
    return int(found.group(1))


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    """A center of ARTICLES one-page articles on one hub page, archived once."""
    with SampleSite(generated=ARTICLES, pages_per_article=1) as site:
        db = tmp_path_factory.mktemp("frontier") / "archive.db"
        first = crawl_center(site, db, **LAZY)
        yield site, db, first.stderr


def test_a_big_hub_is_fed_to_the_scheduler_as_it_drains(center):
    _, db, log = center
    assert len(outcomes(db, 1)) == ARTICLES
    assert stat(log, "frontier/max") >= ARTICLES - 5  # the hub's links waited as URLs...
    assert stat(log, "frontier/scheduler_max") <= 2 * 4  # ...and the scheduler never held more than a few requests


def ghost(site, db) -> str:
    """An article the archive holds as live under a URL whose page now names another article as its own (its
    rel=canonical): a recrawl that goes through its whole frontier never observes it, and counts it missed."""
    url = site.hub_url.rsplit("/", 1)[0] + "/fatigue-guide-0?v=2"
    conn = sqlite3.connect(db)
    with conn:
        host = conn.execute("SELECT host FROM articles LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO articles (url, host, status, missed) VALUES (?, ?, 'live', 0)", [url, host])
    conn.close()
    return url


def test_a_finished_recrawl_counts_misses_and_a_stopped_one_none(center, tmp_path):
    site, archived, _ = center
    live = "SELECT url FROM articles WHERE status = 'live' AND missed = 0"

    db = copy_archive(archived, tmp_path / "finished")
    url = ghost(site, db)
    result = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings={"GONE_AFTER_MISSES": "1", **LAZY})
    assert result.returncode == 0, result.stderr[-3000:]
    assert {outcome for outcome, _ in outcomes(db, 2).values()} == {"unchanged", "gone"}
    assert len(outcomes(db, 2)) == ARTICLES + 1  # every article revisited, and the ghost found missing
    assert rows(db, "SELECT status, missed FROM articles WHERE url = ?", url) == [("gone", 1)]
    assert len(rows(db, live)) == ARTICLES

    db = copy_archive(archived, tmp_path / "stopped")
    ghost(site, db)
    slow = {"DOWNLOAD_DELAY": "0.2", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "CLOSESPIDER_TIMEOUT": "4"}
    result = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings={"GONE_AFTER_MISSES": "1", **slow})
    assert result.returncode == 3, result.stderr[-3000:]
    assert 0 < len(outcomes(db, 2)) < ARTICLES
    assert rows(db, "SELECT status FROM crawls WHERE id = 2") == [("stopped",)]
    assert len(rows(db, live)) == ARTICLES + 1  # the ghost too: a stopped crawl counts no miss
