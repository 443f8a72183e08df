"""Recording a crawl in the archive: one writer's session, whoever feeds it articles.

``Recorder`` is what the crawl's archive pipeline, and any other writer of crawled articles, drives: ``open()``
takes the archive's lock and starts a ``crawls`` row; ``record(item)`` drops the site's chrome from a complete
article (learning it across articles) and versions it in one transaction; ``close()`` remembers the chrome
learned, counts misses for a center crawl that finished its whole frontier and closes the crawl's books.

A distributed run (``healtharchive ingest``) is one crawl however many times its writer is restarted: ``open(...,
run=(id, name))`` resumes the run's crawl if it has one, learning the chrome again from the articles it has
written, and ``record`` writes each article of the run once (``written`` says which are), so replaying one
changes nothing.
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

    def __init__(self, path: str, gone_after: int = 3, min_articles: int = 3, lock: ArchiveLock | None = None):
        """``lock``: the archive's lock, held by the caller for several sessions (the ingest's runs); by default the
        session takes it in ``open()`` and gives it back in ``close()``."""
        self.path = path
        self.gone_after = gone_after
        self.min_articles = min_articles
        self.lock = lock or ArchiveLock(path)
        self.owns_lock = lock is None
        self.archive: Archive | None = None
        self.chrome: SiteChrome | None = None
        self.crawl_id: int | None = None
        self.run: str | None = None

    def open(
        self,
        spider: str,
        profile: str,
        args: dict,
        scope: dict | None,
        source: str | None = None,
        run: tuple[str, str] | None = None,
        started_at: str | None = None,
    ) -> int:
        """Take the archive's lock (waiting, with a message, while another process writes it) and start a crawl
        (``source``: the web archive a backfill reads), or for a distributed ``run`` (id, name) that has one already,
        go on with it."""
        if self.owns_lock:
            self.lock.acquire(
                wait=True,
                on_wait=lambda pid: logger.warning(
                    "waiting for the archive %s: another process (pid %s) is writing it", self.path, pid
                ),
            )
        try:
            self.archive = Archive(self.path)
            self.chrome = SiteChrome(self.archive.template_hashes(), self.min_articles)
            self.run = run[0] if run else None
            found = self.archive.run_crawl(self.run) if run else None
            if found:
                self.crawl_id = found["crawl_id"]
                self.archive.resume_crawl(self.crawl_id)
                for url, blocks in self.archive.run_blocks(self.run):
                    self.chrome.learn(host_of(url), url, blocks)
            else:
                self.crawl_id = self.archive.start_crawl(
                    spider, profile, args, scope, started_at=started_at, source=source, run=run
                )
        except BaseException:
            if self.owns_lock:
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

    def written(self, url: str) -> bool:
        """True when this distributed run has written the article ``url`` already."""
        return self.run is not None and self.archive.ingested(self.run, url)

    def record(self, item, at: str | None = None, staged: int | None = None) -> str | None:
        """Version one article (an ``ArticleItem``) seen now, or at ``at`` (a backfill's capture time, ``staged`` its
        ``backfill_points`` row); returns its outcome, None when there was nothing to record. A complete article with
        a page that is not the article's (``pipelines.validity``) is ``incomplete``."""
        learned = None
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
                return self.archive.record(
                    self.crawl_id, item, EXTRACTOR, EXTRACTOR_VERSION, at=at, staged=staged, run_id=self.run
                )
            learned = item.blocks
            self.chrome.learn(host, item.url, item.blocks)
            article = without_chrome(Cleaned(item.title, item.blocks, item.meta, item.block_pages), self.chrome, host)
            item.blocks, item.text = article.blocks, article.text
            item.block_pages, item.page_starts = article.pages, article.page_starts(len(item.pages))
        return self.archive.record(
            self.crawl_id, item, EXTRACTOR, EXTRACTOR_VERSION, at=at, staged=staged, run_id=self.run, blocks=learned
        )

    def leave(self):
        """Stop writing without closing the crawl's books: a distributed run goes on under its next writer."""
        self.archive.close()
        if self.owns_lock:
            self.lock.release()

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
            missing = (*scope, self.gone_after) if scope and status == "finished" else None
            if self.run:  # one transaction: an ingest killed here closes the run again from the start
                gone = self.archive.close_run(self.run, self.crawl_id, status, reason, pages, errors, missing)
            else:
                if missing:
                    gone = self.archive.mark_missing(self.crawl_id, *missing)
                self.archive.finish_crawl(self.crawl_id, status, reason, pages, errors)
        finally:
            self.archive.close()
            if self.owns_lock:
                self.lock.release()
        return gone
