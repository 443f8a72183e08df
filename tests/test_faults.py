"""The fault suite: a health center whose pages misbehave (tests/faultsite.py), recrawled with faults switched on.

Round 1 archives the center cleanly (9 articles of 1-3 pages); each test recrawls a copy of that archive with
a group of faults on distinct articles, so one crawl exercises many of them, and checks what the archive
recorded for each article. The table of faults, outcomes and tests is docs/reliability.md.
"""

import asyncio
import json

import pytest
from warcio.archiveiterator import ArchiveIterator

from healtharchive.site import make_datasette
from tests.conftest import copy_archive, outcomes, rows, run_crawl
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
    assert rows(db, "SELECT count(*) FROM articles WHERE status != 'live'") == [(0,)]
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
    assert rows(db, "SELECT status FROM crawls WHERE id = 2") == [("blocked",)]


def test_a_blocked_hub_makes_the_exit_status_say_so(site, baseline, tmp_path):
    result, db, seen = recrawl(site, baseline, tmp_path, {"/center/": "403"})
    assert result.returncode == 4, result.stderr[-3000:]
    assert "start URL blocked: http://127.0.0.1:" in result.stderr
    assert rows(db, "SELECT status FROM crawls WHERE id = 2") == [("blocked",)]
    assert {outcome for outcome, _ in seen.values()} == {"unchanged"} and len(seen) == 9  # known articles revisited


def test_a_hub_that_answers_404_is_a_failed_crawl(site, baseline, tmp_path):
    result, db, seen = recrawl(site, baseline, tmp_path, {"/center/": "404"}, settings={"GONE_AFTER_MISSES": "1"})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "start URL failed: http://127.0.0.1:" in result.stderr and "answered 404" in result.stderr
    assert "crawl failed: every start URL failed" in result.stderr
    assert rows(db, "SELECT status FROM crawls WHERE id = 2") == [("failed",)]
    assert rows(db, "SELECT count(*) FROM articles WHERE status != 'live' OR missed != 0") == [(0,)]


# --- wrong content inside a 200 --------------------------------------------------------------------------


def test_wrong_content_in_a_200_never_makes_a_version(site, baseline, tmp_path):
    faults = {
        "/center/article-1": ("soft404", {"variant": 1}),  # the only page: "Oops! We can't find that page."
        "/center/article-2?page=2": ("soft404", {"variant": 0}),
        "/center/article-3?page=2": "chain",  # 301 -> 302 -> /center/final/..., whose pager leads nowhere
        "/center/article-4?page=2": "offsite",  # 301 to another host's spam
        "/center/article-5?page=2": "empty",
        "/center/article-6": ("binary", {"kind": "random"}),
        "/center/node/123?page=2": "binary",  # a PNG served as text/html
        "/center/node/456?page=2": "tiny",  # "This article is being updated. Please check back soon."
        "/center/node/789/2": ("soft404", {"variant": 3}),  # "Hmm, nothing here" and a list of topics
    }
    result, db, seen = recrawl(site, baseline, tmp_path, faults)
    assert result.returncode == 0, result.stderr[-3000:]
    assert seen == {path.split("?")[0].removesuffix("/2"): ("incomplete", 1) for path in faults}
    assert rows(db, "SELECT count(*) FROM versions") == [(9,)]
    details = dict(rows(db, "SELECT a.url, o.detail FROM observations o JOIN articles a ON a.id = o.article_id"))
    assert details[site.url("/center/article-5")].startswith(f"page 2 ({site.url('/center/article-5?page=2')})")
    assert "was redirected to another site" in result.stderr and "empty body" in result.stderr
    assert "binary content" in result.stderr and "was redirected away from the article" in result.stderr
    assert not [r for r in site.requests if r.path.startswith("/center/final/article-3?page=3")]
    assert "'healtharchive/invalid_pages': 9" in result.stderr
    # The next good crawl finds every article as it was: no false "changed".
    again = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=FAST)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {outcome for outcome, _ in outcomes(db).values()} == {"unchanged"}


def test_charsets_pagination_loops_and_long_articles(site, baseline, tmp_path):
    faults = {
        "/center/article-1": "pages-200",  # cut at ARTICLE_MAX_PAGES (30)
        "/center/article-2": "cp1252",  # windows-1252 bytes under a UTF-8 header
        "/center/article-4": "utf16",  # its pager links must not become articles
        "/center/article-5": "deep",  # 10,000 nested <div>s
        "/center/article-6": "pager-self",  # Next -> the page itself, &sort=recent
        "/center/node/123": "pager-ignored",  # every ?page=N is page 1
        "/center/node/456": "pager-loop",  # the last page's Next -> ?page=1
    }
    result, db, seen = recrawl(site, baseline, tmp_path, faults)
    assert result.returncode == 0, result.stderr[-3000:]
    assert seen == {
        "/center/article-1": ("incomplete", 1),
        "/center/article-2": ("unchanged", 1),
        "/center/article-3": ("unchanged", 1),
        "/center/article-4": ("unchanged", 1),
        "/center/article-5": ("incomplete", 1),  # the extractor lost the text: no version from it
        "/center/article-6": ("unchanged", 1),
        "/center/node/123": ("incomplete", 1),  # page 2 is page 1 again: pages 2-3 cannot be had
        "/center/node/456": ("unchanged", 1),
        "/center/node/789": ("unchanged", 1),
    }
    assert "center/article-1 has more than 30 pages (ARTICLE_MAX_PAGES): recorded as incomplete" in result.stderr
    assert "'healtharchive/truncated_articles': 1" in result.stderr
    assert len(site.hits("/center/article-1?page=31")) == 0 and len(site.hits("/center/article-1?page=30")) == 1
    assert rows(db, "SELECT count(*) FROM articles") == [(9,)]  # no phantom article from UTF-16 or ?sort=


def test_an_article_first_seen_incomplete_never_gets_an_empty_version(site, tmp_path):
    db = tmp_path / "archive.db"
    site.fault("/center/article-2?page=2", "500")
    try:
        first = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=FAST)
    finally:
        site.clear()
    assert first.returncode == 0, first.stderr[-3000:]
    assert outcomes(db)["/center/article-2"] == ("incomplete", None)
    # Page 1 answered 200 with an ETag; with no version to keep, it must be fetched again in full, not a 304.
    second = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=FAST)
    assert second.returncode == 0, second.stderr[-3000:]
    assert outcomes(db)["/center/article-2"] == ("new", 1)
    text = rows(
        db, "SELECT v.text FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url LIKE '%article-2'"
    )
    expected = next(a for a in site.articles() if a["path"] == "/center/article-2")["text"]
    assert len(text) == 1 and text[0][0].split()[:20] == expected.split()[:20] and len(text[0][0]) > 1000


# --- URL identity --------------------------------------------------------------------------------------


def test_drupal_nodes_are_distinct_articles_and_path_pages_are_pages(site, baseline):
    articles = dict(rows(baseline, "SELECT a.url, v.page_urls FROM articles a JOIN versions v ON v.article_id = a.id"))
    assert site.url("/center/node/123") in articles and site.url("/center/node/456") in articles
    assert json.loads(articles[site.url("/center/node/789")]) == [
        site.url(p) for p in ("/center/node/789", "/center/node/789/2", "/center/node/789/3")
    ]
    assert len(articles) == 9  # the hub's link to /center/article-3?page=2 is article-3


def test_a_listed_later_page_archives_the_whole_article(site, baseline, tmp_path):
    listed = ["/center/article-3?page=2", "/center/node/789/3", "/center/article-5?page=2&utm_source=news"]
    (tmp_path / "urls.txt").write_text("".join(site.url(p) + "\n" for p in listed))
    result, db, seen = recrawl(site, baseline, tmp_path, {}, f"urls_file={tmp_path / 'urls.txt'}", spider="pages")
    assert result.returncode == 0, result.stderr[-3000:]
    # the same articles, with all their pages, as the hub crawl archived them: no flip-flop between the two
    assert seen == {
        "/center/article-3": ("unchanged", 1),
        "/center/node/789": ("unchanged", 1),
        "/center/article-5": ("unchanged", 1),
    }
    fresh = tmp_path / "fresh" / "archive.db"
    result = run_crawl("pages", fresh, f"urls_file={tmp_path / 'urls.txt'}", settings=FAST)
    pages = dict(rows(fresh, "SELECT a.url, v.page_count FROM articles a JOIN versions v ON v.article_id = a.id"))
    assert pages == {
        site.url("/center/article-3"): 3,
        site.url("/center/node/789"): 3,
        site.url("/center/article-5"): 2,
    }


# --- the network and the server ------------------------------------------------------------------------------


def warc_records(folder, path):
    """WARC-Type of each response or revisit record of ``path``, in the order written."""
    types = []
    for file in sorted((folder / "warc").glob("*.warc.gz")):
        with open(file, "rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if uri.endswith(path) and record.rec_type in ("response", "revisit"):
                    types.append((record.rec_type, record.http_headers.get_statuscode()))
    return types


def test_server_and_network_faults(site, baseline, tmp_path):
    faults = {
        "/center/article-1": ("429", {"retry_after": 2, "times": 1}),
        "/center/article-2?page=2": "500",
        "/center/article-3?page=3": "502",
        "/center/article-4?page=2": "503",  # every time: retried, then the page failed
        "/center/article-5?page=2": "hang",  # DOWNLOAD_TIMEOUT (3 s in the tests)
        "/center/article-6": ("503", {"retry_after": 1, "times": 1}),
        "/center/node/123?page=2": "reset",
        "/center/node/456?page=2": "truncate",
        "/center/node/789/2": ("drip", {"seconds": 1}),  # slow, but within the timeout
    }
    result, db, seen = recrawl(site, baseline, tmp_path, faults)
    assert result.returncode == 0, result.stderr[-3000:]
    failed = {"/center/article-2", "/center/article-3", "/center/article-4", "/center/article-5", "/center/node/123"}
    failed.add("/center/node/456")
    assert seen == {path: ("incomplete" if path in failed else "unchanged", 1) for path in seen} and len(seen) == 9
    # Retry-After honoured: the retry came after the wait asked for, and then succeeded.
    assert site.waits("/center/article-1")[0] >= 1.9 and site.waits("/center/article-6")[0] >= 0.9
    assert "'healtharchive/retry_after_waits': 2" in result.stderr
    for line in (
        "page 2 of {}/center/article-2 answered 500",
        "page 3 of {}/center/article-3 answered 502",
        "page 2 of {}/center/article-4 answered 503",
        "page 2 of {}/center/article-5 failed: DownloadTimeoutError",
        "page 2 of {}/center/node/123 failed: ResponseDataLossError",
        "page 2 of {}/center/node/456 failed: ResponseDataLossError",
    ):
        assert line.format(site.origin) in result.stderr, line
    # Two 503s with the same body are two error responses, never a revisit of one another.
    records = warc_records(tmp_path, "/center/article-4?page=2")
    assert [r for r in records if r[1] == "503"] == [("response", "503"), ("response", "503")]


def test_oversized_compressed_and_looping_pages(site, baseline, tmp_path):
    faults = {
        "/center/article-1": "loop",  # 302 -> a -> b -> a ...
        "/center/article-2?page=2": "huge",  # 6 MB: archived
        "/center/article-3?page=2": "huge40",  # 40 MB, declared: refused by the 32 MB cap before the body
        "/center/article-4?page=2": "gzip-bomb",  # 1 MB on the wire, over 1 GB inflated
        "/center/article-5?page=2": ("gzip-bomb", {"declare_length": False}),
        "/center/article-6": ("huge40", {"declare_length": False}),  # cut at 32 MB while it streams
        "/center/node/123": "offsite",  # a known article's first page redirected out of the center
    }
    result, db, seen = recrawl(site, baseline, tmp_path, faults)
    assert result.returncode == 0, result.stderr[-3000:]
    assert seen["/center/article-2"] == ("changed", 2)
    bad = ("/center/article-1", "/center/article-3", "/center/article-4", "/center/article-5", "/center/article-6")
    bad += ("/center/node/123",)
    assert {path: seen[path] for path in bad} == dict.fromkeys(bad, ("incomplete", 1))
    assert f"page 1 of {site.origin}/center/article-1 failed: IgnoreRequest: max redirections reached" in result.stderr
    assert "exceeded DOWNLOAD_MAXSIZE (33554432 B) during decompression" in result.stderr
    assert f"page 1 of {site.origin}/center/node/123 left the center" in result.stderr
    size = rows(
        db,
        "SELECT length(v.text) FROM versions v JOIN articles a ON a.id = v.article_id "
        "WHERE a.url LIKE '%/article-2' AND v.version = 2",
    )[0][0]
    assert size > 5_000_000
    # The site back to normal: the 6 MB text goes (a real change), everything else is as it was.
    again = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=FAST)
    assert again.returncode == 0, again.stderr[-3000:]
    now = outcomes(db)
    assert now.pop("/center/article-2") == ("changed", 3)
    assert {outcome for outcome, _ in now.values()} == {"unchanged"}
    hashes = rows(
        db,
        "SELECT v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id "
        "WHERE a.url LIKE '%/article-2' ORDER BY v.version",
    )
    assert hashes[0] == hashes[2] != hashes[1]


def test_listed_urls_that_fail_are_observed(site, baseline, tmp_path):
    listed = ["/center/retired-guide", "/center/looping-guide", "/center/article-1"]
    (tmp_path / "urls.txt").write_text("".join(site.url(p) + "\n" for p in listed))
    faults = {"/center/looping-guide": "loop", "/center/article-1": "hang"}
    result, db, seen = recrawl(site, baseline, tmp_path, faults, f"urls_file={tmp_path / 'urls.txt'}", spider="pages")
    assert result.returncode == 1 and "every start URL failed" in result.stderr, result.stderr[-3000:]
    assert seen == {
        "/center/retired-guide": ("gone", None),  # never archived, but asked for: recorded
        "/center/looping-guide": ("incomplete", None),
        "/center/article-1": ("incomplete", 1),
    }
    assert f"start URL answered 404: {site.url('/center/retired-guide')}" in result.stderr
    assert f"start URL failed: {site.url('/center/looping-guide')}: failed: IgnoreRequest" in result.stderr
    assert f"start URL failed: {site.url('/center/article-1')}: failed: DownloadTimeoutError" in result.stderr
