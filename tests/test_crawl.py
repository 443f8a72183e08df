"""Real crawls of the sample health center: what the archive holds after one `scrapy crawl`."""

import gc
import http.server
import sqlite3
import threading

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions import FrozenStartup
from tests.conftest import crawl_center, run_crawl


def archived(db):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


def text_of(conn, url):
    row = conn.execute(
        "SELECT v.* FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version DESC",
        [url],
    ).fetchone()
    assert row is not None, f"{url} not archived"
    return row


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    """The sample center crawled once; the site's request log and articles kept for the assertions."""
    from samplesite import SampleSite

    db = tmp_path_factory.mktemp("center") / "archive.db"
    with SampleSite() as site:
        result = crawl_center(site, db)
        yield {
            "db": db,
            "site": site,
            "requests": list(site.requests),
            "articles": site.articles(),
            "clutter": site.clutter(),
            "log": result.stderr,
        }


def test_every_article_archived_once_in_order_without_clutter(center):
    conn = archived(center["db"])
    for article in center["articles"]:
        version = text_of(conn, article["url"])
        blocks = [b.removeprefix("- ") for b in version["text"].split("\n\n")]
        assert blocks == article["blocks"], article["slug"]
        assert version["page_count"] == len(article["page_urls"]), article["slug"]
        assert version["title"] == article["title"]
        for clutter in center["clutter"]:
            assert clutter not in version["text"], (article["slug"], clutter)


def test_tracking_parameters_and_page_links_make_no_duplicate_articles(center):
    conn = archived(center["db"])
    urls = [r["url"] for r in conn.execute("SELECT url FROM articles")]
    assert sorted(urls) == sorted(a["url"] for a in center["articles"])
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == len(center["articles"])


def test_robots_disallowed_and_out_of_center_urls_never_fetched(center):
    paths = [path for _, path, _ in center["requests"]]
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/breast-cancer/print/")]
    assert not [p for p in paths if not p.startswith(("/breast-cancer/", "/robots.txt"))]


def test_pdf_is_not_archived(center):
    conn = archived(center["db"])
    assert not conn.execute("SELECT url FROM articles WHERE url LIKE '%.pdf'").fetchall()


def test_crawl_is_recorded_with_provenance(center):
    conn = archived(center["db"])
    crawl = conn.execute("SELECT * FROM crawls").fetchone()
    assert crawl["spider"] == "healthcenter" and crawl["status"] == "finished" and crawl["finished_at"]
    versions = conn.execute("SELECT extractor, extractor_version, page_urls FROM versions").fetchall()
    assert {v["extractor"] for v in versions} == {"trafilatura"}
    assert all(v["extractor_version"] for v in versions)
    outcomes = {r[0] for r in conn.execute("SELECT outcome FROM observations")}
    assert outcomes == {"new"}
    captures = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    assert captures == sum(len(a["page_urls"]) for a in center["articles"])


def test_progress_line_is_logged(center):
    assert "progress: " in center["log"] and "articles archived" in center["log"]


def test_what_lives_from_the_start_is_frozen_out_of_the_collector():
    """When the spider opens, what exists (modules, settings, the spider) leaves the garbage collector's scans."""
    ext = FrozenStartup.from_crawler(get_crawler(Spider))
    try:
        ext.opened()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    with pytest.raises(NotConfigured):
        FrozenStartup.from_crawler(get_crawler(Spider, {"GC_FREEZE": False}))


def test_private_addresses_refused_by_default(site, tmp_path):
    result = run_crawl(
        "healthcenter", tmp_path / "a.db", f"start_url={site.hub_url}", settings={"ALLOW_PRIVATE_ADDRESSES": "False"}
    )
    assert result.returncode != 0
    assert "private or loopback" in result.stderr
    assert site.requests == []


def test_exit_status_nonzero_when_every_start_url_fails(tmp_path):
    with socket_closed_port() as port:
        result = run_crawl("healthcenter", tmp_path / "a.db", f"start_url=http://127.0.0.1:{port}/center/default.htm")
    assert result.returncode == 1
    assert "every start URL failed" in result.stderr
    conn = archived(tmp_path / "a.db")
    assert conn.execute("SELECT status FROM crawls").fetchone()[0] == "failed"


def test_pages_spider_archives_exactly_the_listed_articles(site, tmp_path):
    articles = {a["slug"]: a for a in site.articles()}
    wanted = [articles["metastatic-breast-cancer"], articles["treatment-options-guide"]]
    urls_file = tmp_path / "urls.txt"
    urls_file.write_text(f"# two articles\n{wanted[0]['url']}?utm_source=newsletter\n\n{wanted[1]['url']}\n")
    result = run_crawl("pages", tmp_path / "a.db", f"urls_file={urls_file}")
    assert result.returncode == 0, result.stderr[-2000:]
    conn = archived(tmp_path / "a.db")
    rows = conn.execute("SELECT a.url, v.page_count FROM articles a JOIN versions v ON v.article_id = a.id").fetchall()
    assert sorted((r["url"], r["page_count"]) for r in rows) == sorted((a["url"], len(a["page_urls"])) for a in wanted)
    fetched = {path.split("?")[0] for _, path, _ in site.requests}
    assert "/breast-cancer/default.htm" not in fetched


def test_unknown_profile_is_one_clear_error(site, tmp_path):
    result = run_crawl("healthcenter", tmp_path / "a.db", f"start_url={site.hub_url}", "profile=nosuchsite")
    assert result.returncode != 0
    assert "unknown profile 'nosuchsite'" in result.stderr


class socket_closed_port:
    """A port on 127.0.0.1 that nothing listens on."""

    def __enter__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


class TinySite:
    """A few fixed pages on 127.0.0.1, for pagination edge cases the sample center does not have."""

    def __init__(self, pages: dict[str, str]):
        self.pages = pages
        self.requests: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append(self.path)
                path = self.path.split("?")[0]
                if self.path == "/robots.txt" or path not in site.pages:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = site.pages[path].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def article_html(title: str, paragraphs: list[str], head: str = "", foot: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>{body}</article>"
        f"{foot}</body></html>"
    )


def crawl_pages(tmp_path, pages: dict[str, str], paths: list[str]):
    """Serve ``pages``, run the ``pages`` spider on ``paths``; returns the result, the paths requested, the base URL."""
    tiny = TinySite(pages)
    try:
        (tmp_path / "urls.txt").write_text("".join(f"{tiny.url}{path}\n" for path in paths))
        result = run_crawl("pages", tmp_path / "a.db", f"urls_file={tmp_path / 'urls.txt'}")
    finally:
        tiny.close()
    assert result.returncode == 0, result.stderr[-2000:]
    return result, tiny.requests, tiny.url


PROSE = [
    "Regular physical activity lowers blood pressure and helps the heart pump more efficiently over time.",
    "Most adults benefit from about 150 minutes of moderate exercise such as brisk walking each week.",
    "People with heart disease should ask their care team which activities are safe before they begin.",
]


def test_next_page_with_the_same_content_is_not_a_new_page(tmp_path):
    # A server that ignores ?page=N: "page 2" repeats page 1.
    page = article_html("Exercise and Your Heart", PROSE, foot='<a rel="next" href="/heart/exercise?page=2">Next</a>')
    crawl_pages(tmp_path, {"/heart/exercise": page}, ["/heart/exercise"])
    version = archived(tmp_path / "a.db").execute("SELECT page_count, text FROM versions").fetchone()
    assert version["page_count"] == 1
    assert version["text"].count(PROSE[0]) == 1


def test_rel_next_to_another_article_is_not_pagination(tmp_path):
    _, requests, _ = crawl_pages(
        tmp_path,
        {
            "/blog/salt": article_html("Cutting Down on Salt", PROSE, head='<link rel="next" href="/blog/sugar">'),
            "/blog/sugar": article_html("Cutting Down on Sugar", ["Added sugar hides in sauces, breads and drinks."]),
        },
        ["/blog/salt"],
    )
    assert "/blog/sugar" not in requests
    assert archived(tmp_path / "a.db").execute("SELECT page_count FROM versions").fetchone()[0] == 1


def test_malformed_page_does_not_kill_the_crawl(tmp_path):
    garbage = "<html><body><div><p>" + "\x00\ufffd<<<>>>&&&;" * 500 + "<table><tr><td>"
    _, _, base = crawl_pages(
        tmp_path, {"/a/good": article_html("A Good Page", PROSE), "/a/broken": garbage}, ["/a/broken", "/a/good"]
    )
    good = text_of(archived(tmp_path / "a.db"), base + "/a/good")
    assert PROSE[1] in good["text"]


def test_five_megabyte_page_is_archived_under_the_default_cap(tmp_path):
    paragraphs = [f"Paragraph {i}: " + " ".join(PROSE * 9) for i in range(2_000)]
    page = article_html("A Very Long Guide", paragraphs)
    assert len(page.encode()) >= 5 * 1024 * 1024
    crawl_pages(tmp_path, {"/guide/long": page}, ["/guide/long"])
    text = archived(tmp_path / "a.db").execute("SELECT text FROM versions").fetchone()["text"]
    assert "Paragraph 0:" in text and "Paragraph 1999:" in text


def test_a_book_chapter_is_not_a_page_of_the_book(tmp_path):
    # /book/123 says rel=prev /book/122, as a path-paged article's page 123 would; /book lists every chapter but
    # its own pagination (no "next" to /book/2) does not make them its pages: each chapter is an article.
    def chapter(n):
        head = f'<link rel="prev" href="/book/{n - 1}"><link rel="next" href="/book/{n + 1}">'
        return article_html(f"Chapter {n}", [f"Chapter {n}: {p}" for p in PROSE], head=head)

    listing = article_html("The Book", [f'<a href="/book/{n}">Chapter {n}</a>' for n in (121, 122, 123)])
    _, requests, base = crawl_pages(
        tmp_path, {"/book": listing, **{f"/book/{n}": chapter(n) for n in (121, 122, 123)}}, ["/book/123"]
    )
    rows = (
        archived(tmp_path / "a.db")
        .execute("SELECT a.url, v.page_count, v.text FROM articles a JOIN versions v ON v.article_id = a.id")
        .fetchall()
    )
    assert [(r["url"], r["page_count"]) for r in rows] == [(base + "/book/123", 1)]
    assert rows[0]["text"].startswith("Chapter 123") and "Chapter 122" not in rows[0]["text"]
