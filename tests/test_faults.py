"""The fault suite: a health center whose pages misbehave (tests/faultsite.py), recrawled with faults switched on.

Round 1 archives the center cleanly (9 articles of 1-3 pages); each test recrawls a copy of that archive with
a group of faults on distinct articles, so one crawl exercises many of them, and checks what the archive
recorded for each article. The table of faults, outcomes and tests is docs/reliability.md.
"""

import asyncio
import sqlite3

import pytest

from healtharchive.site import make_datasette
from tests.conftest import copy_archive, outcomes, run_crawl
from tests.faultsite import FaultSite

FAST = {"DOWNLOAD_TIMEOUT": "3", "RETRY_TIMES": "1"}


@pytest.fixture(scope="module")
def site():
    with FaultSite(identity=True) as s:
        yield s


@pytest.fixture(scope="module")
def baseline(site, tmp_path_factory):
    """The center archived once, every article ``new``."""
    db = tmp_path_factory.mktemp("baseline") / "archive.db"
    result = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    assert {o for o, _ in outcomes(db).values()} == {"new"} and len(outcomes(db)) == 9
    return db


def recrawl(site, baseline, folder, faults, *args, spider="healthcenter", settings=None):
    """Crawl a copy of the baseline archive with ``faults`` ({url: mode or (mode, options)}) switched on;
    returns (the process result, the archive, {path: (outcome, version)} of this crawl)."""
    db = copy_archive(baseline, folder)
    for url, fault in faults.items():
        mode, options = fault if isinstance(fault, tuple) else (fault, {})
        site.fault(url, mode, **options)
    try:
        args = args or (f"start_url={site.hub_url}",)
        result = run_crawl(spider, db, *args, settings={**FAST, **(settings or {})})
    finally:
        site.clear()
    return result, db, outcomes(db)


def query(db, sql, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# --- blocked: the site refused the crawler -----------------------------------------------------------------


def test_refused_pages_are_blocked_not_failures(site, baseline, tmp_path):
    result, db, seen = recrawl(
        site,
        baseline,
        tmp_path,
        {"/center/article-6": "403", "/center/article-5?page=2": "401", "/center/node/123": "451"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    blocked = {path for path, (outcome, _) in seen.items() if outcome == "blocked"}
    assert blocked == {"/center/article-6", "/center/article-5", "/center/node/123"}
    assert all(version == 1 for _, version in seen.values())  # each keeps its version
    assert {outcome for path, (outcome, _) in seen.items() if path not in blocked} == {"unchanged"}
    assert "page 1 of http://127.0.0.1:" in result.stderr and "answered 403" in result.stderr
    assert " ERROR: " not in result.stderr  # a refusal is the site's decision, not a failure of the crawler
    assert "3 blocked)" in result.stderr  # the progress line
    assert query(db, "SELECT count(*) FROM articles WHERE status != 'live'") == [(0,)]
    # Datasette's "crawls and what they found"
    response = asyncio.run(make_datasette(db).client.get("/archive/crawls_outcomes.json?_shape=array"))
    assert [(r["crawl_id"], r["blocked"], r["unchanged"]) for r in response.json()] == [(2, 3, 6), (1, 0, 0)]


def test_listed_urls_disallowed_by_robots_are_blocked_and_never_fetched(site, baseline, tmp_path):
    # Scrapy 2.19 let through all but the first requests waiting for robots.txt: 8 of these 10 were fetched.
    urls = [site.url(f"/center/private/report-{i}") for i in range(10)]
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    result, db, seen = recrawl(site, baseline, tmp_path, {}, f"urls_file={tmp_path / 'urls.txt'}", spider="pages")
    assert not [r for r in site.requests if r.path.startswith("/center/private/")]
    assert result.returncode == 4, result.stderr[-3000:]
    assert "crawl blocked: 10 start URL(s) refused by the site" in result.stderr
    assert seen == {f"/center/private/report-{i}": ("blocked", None) for i in range(10)}
    assert query(db, "SELECT status FROM crawls WHERE id = 2") == [("blocked",)]


def test_a_blocked_hub_makes_the_exit_status_say_so(site, baseline, tmp_path):
    result, db, seen = recrawl(site, baseline, tmp_path, {"/center/": "403"})
    assert result.returncode == 4, result.stderr[-3000:]
    assert "start URL blocked: http://127.0.0.1:" in result.stderr
    assert query(db, "SELECT status FROM crawls WHERE id = 2") == [("blocked",)]
    assert {outcome for outcome, _ in seen.values()} == {"unchanged"} and len(seen) == 9  # known articles revisited


def test_a_hub_that_answers_404_is_a_failed_crawl(site, baseline, tmp_path):
    result, db, seen = recrawl(site, baseline, tmp_path, {"/center/": "404"}, settings={"GONE_AFTER_MISSES": "1"})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "start URL failed: http://127.0.0.1:" in result.stderr and "answered 404" in result.stderr
    assert "crawl failed: every start URL failed" in result.stderr
    assert query(db, "SELECT status FROM crawls WHERE id = 2") == [("failed",)]
    assert query(db, "SELECT count(*) FROM articles WHERE status != 'live' OR missed != 0") == [(0,)]
