"""Recording a crawl in the archive: one writer's session, whoever feeds it articles.

``Recorder`` is what the crawl's archive pipeline, and any other writer of crawled articles, drives: ``open()``
takes the archive's lock and starts a ``crawls`` row; ``record(item)`` drops the site's chrome from a complete
article (learning it across articles) and versions it in one transaction; ``close()`` remembers the chrome
learned, counts misses for a center crawl that finished its whole frontier and closes the crawl's books.
"""

from __future__ import annotations

import logging

from archive import Archive
from archive.lock import ArchiveLock
from archive.urls import host_of

from .chrome import SiteChrome
from .clean import Cleaned, without_chrome
from .extract import EXTRACTOR, EXTRACTOR_VERSION
from .validity import problem

logger = logging.getLogger(__name__)


class Recorder:
    """Writes one crawl's articles to the archive at ``path``; see the module doc."""

    def __init__(self, path: str, gone_after: int = 3, min_articles: int = 3):
        self.path = path
        self.gone_after = gone_after
        self.min_articles = min_articles
        self.lock = ArchiveLock(path)
        self.archive: Archive | None = None
        self.chrome: SiteChrome | None = None
        self.crawl_id: int | None = None

    def open(self, spider: str, profile: str, args: dict, scope: dict | None, source: str | None = None) -> int:
        """Take the archive's lock (waiting, with a message, while another process writes it) and start a crawl
        (``source``: the web archive a backfill reads)."""
        self.lock.acquire(
            wait=True,
            on_wait=lambda pid: logger.warning(
                "waiting for the archive %s: another process (pid %s) is writing it", self.path, pid
            ),
        )
        try:
            self.archive = Archive(self.path)
            self.chrome = SiteChrome(self.archive.template_hashes(), self.min_articles)
            self.crawl_id = self.archive.start_crawl(spider, profile, args, scope, source=source)
        except BaseException:
            self.lock.release()
            raise
        stale = self.archive.stale_versions(EXTRACTOR_VERSION)
        if stale:
            # Texts made by another extractor differ by the extractor, not by the site.
            logger.warning(
                "%d articles were last archived by another extractor version than %s %s: run "
                "`healtharchive reextract --db %s` first, or their next versions will mix site and extractor changes",
                stale,
                EXTRACTOR,
                EXTRACTOR_VERSION,
                self.path,
            )
        return self.crawl_id

    def record(self, item, at: str | None = None, staged: int | None = None) -> str | None:
        """Version one article (an ``ArticleItem``) seen now, or at ``at`` (a backfill's capture time, ``staged`` its
        ``backfill_points`` row); returns its outcome, None when there was nothing to record. A complete article with
        a page that is not the article's (``pipelines.validity``) is ``incomplete``."""
        if item.state == "ok":
            host = host_of(item.url)
            cleaned = Cleaned(item.title, item.blocks, item.meta, item.block_pages)
            previous = self.archive.current_pages(item.url, at)
            if previous and previous["extractor_version"] != EXTRACTOR_VERSION:
                previous = None  # sizes made by another extractor are not comparable
            bad = problem(without_chrome(cleaned, self.chrome, host), len(item.pages), item.page_titles, previous)
            if bad:
                number, why = bad
                page = item.pages[number - 1]
                page.error = why
                item.state = "incomplete"
                logger.warning("page %d of %s (%s) %s: recorded as incomplete", number, item.url, page.url, why)
                return self.archive.record(self.crawl_id, item, EXTRACTOR, EXTRACTOR_VERSION, at=at, staged=staged)
            self.chrome.learn(host, item.url, item.blocks)
            article = without_chrome(Cleaned(item.title, item.blocks, item.meta, item.block_pages), self.chrome, host)
            item.blocks, item.text = article.blocks, article.text
            item.block_pages, item.page_starts = article.pages, article.page_starts(len(item.pages))
        return self.archive.record(self.crawl_id, item, EXTRACTOR, EXTRACTOR_VERSION, at=at, staged=staged)

    def close(self, status: str, reason: str, pages: int, errors: int, scope=None) -> int:
        """Close the crawl's books: remember the chrome learned, amend this crawl's versions and, when ``status`` is
        ``finished`` (the crawl went through its whole frontier), count a miss for each live article of ``scope``
        (hosts, paths) it did not observe; returns how many articles became ``gone``. A crawl that did not finish
        (``stopped``, ``failed``) records nothing about what it did not reach."""
        gone = 0
        try:
            for host, texts in self.chrome.found().items():
                self.archive.remember_templates(self.crawl_id, host, texts)
            self.archive.amend_templates(self.crawl_id, lambda host, text: self.chrome.is_chrome(host, "p", text))
            if scope and status == "finished":
                gone = self.archive.mark_missing(self.crawl_id, *scope, self.gone_after)
            self.archive.finish_crawl(self.crawl_id, status, reason, pages, errors)
        finally:
            self.archive.close()
            self.lock.release()
        return gone
