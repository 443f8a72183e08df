"""Scrapy item pipeline: write each article to the archive, and close the crawl's books."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from archive import ArchiveError
from archive.lock import Locked

from .recorder import Recorder
from .verdict import verdict

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Versions each article in the SQLite archive, one transaction per article, through a ``Recorder``.

    The crawl holds the archive's lock from start to end, waiting with a message while another writer holds it.
    The site's chrome (``pipelines/chrome.py``) is dropped before the text is compared; a site's articles are held
    until enough of it has been seen to know its chrome (counted as ``healtharchive/held``, and as
    ``healtharchive/held_written`` when written). A center crawl
    that went through its whole frontier also counts a miss for every live article it did not see; a crawl
    stopped early (a signal, a timeout, an archive error) counts none. Outcomes are counted as
    ``healtharchive/outcome/<name>``, an article made incomplete by a page that was not its own
    (``pipelines/validity.py``) also as ``healtharchive/invalid_pages``, one with no text (a page of links, or
    nothing but the site's chrome) as ``healtharchive/no_text``, its observation saying why; a write failure as
    ``healtharchive/archive_errors``, which stops the crawl.

    Every call on the ``Recorder`` (its SQLite connection included) runs on one writer thread of its own, in the order
    the articles come, so the reactor thread goes on fetching and parsing while an article is written. Each article
    is still one transaction; its item stays in Scrapy's scraper until it is written, so Scrapy's own limits on items
    and responses in progress (``CONCURRENT_ITEMS``, ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) bound what waits for the writer.

    Settings: ``ARCHIVE_DB``, ``GONE_AFTER_MISSES``, ``TEMPLATE_MIN_ARTICLES``, ``CHROME_LEARN_ARTICLES``.
    """

    def __init__(self, crawler, recorder: Recorder):
        self.crawler = crawler
        self.stats = crawler.stats
        self.recorder = recorder
        self.opened = False
        self.closing = None  # the task closing the crawl's books, once begun
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        recorder = Recorder(
            s.get("ARCHIVE_DB"),
            s.getint("GONE_AFTER_MISSES"),
            s.getint("TEMPLATE_MIN_ARTICLES"),
            hold=s.getint("CHROME_LEARN_ARTICLES"),
        )
        pipeline = cls(crawler, recorder)
        recorder.on_outcome = pipeline.count
        # Closing the books needs the finish reason, which the spider_closed signal brings.
        crawler.signals.connect(pipeline.close_once, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self):
        # Wait for another writer off the reactor's thread, so a Ctrl-C meanwhile is heard.
        told = False
        while True:
            try:
                self.recorder.lock.acquire()
                break
            except Locked as exc:
                if not told:
                    logger.warning("waiting for the archive %s: %s", self.recorder.path, exc)
                    told = True
                await asyncio.sleep(0.5)
        spider = self.crawler.spider
        crawl_id = await self.write(
            self.recorder.open, spider.name, spider.profile.name, spider.args, spider.scope_dict()
        )
        self.opened = True
        self.stats.set_value("healtharchive/crawl_id", crawl_id)
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("before", "shutdown", self.reactor_stopping)

    async def write(self, call, *args):
        """``call(*args)`` on the writer thread."""
        return await asyncio.wrap_future(self.writer.submit(call, *args))

    async def process_item(self, item):
        complete = item.state == "ok"
        try:
            outcome = await self.write(self.recorder.record, item)
        except (sqlite3.Error, ArchiveError) as exc:
            self.stats.inc_value("healtharchive/archive_errors")
            logger.error("cannot write %s to %s: %s", item.url, self.recorder.path, exc)
            self.crawler.engine.close_spider(self.crawler.spider, "archive_error")
            return item
        if complete and outcome is None:
            self.stats.inc_value("healtharchive/held")
        return item

    def count(self, item, outcome, held=False):
        """An article recorded (when it came, or later when it was held); called on the writer thread, which is the
        only one to touch these stats."""
        if item.state == "incomplete" and item.pages and (item.pages[0].error or "").startswith("no text"):
            self.stats.inc_value("healtharchive/no_text")
        elif item.state == "incomplete" and any((page.error or "").endswith("not the article") for page in item.pages):
            self.stats.inc_value("healtharchive/invalid_pages")  # a page that was not the article's
        self.stats.inc_value("healtharchive/articles")
        self.stats.inc_value(f"healtharchive/outcome/{outcome}")
        if held:
            self.stats.inc_value("healtharchive/held_written")
        logger.debug("%s: %s", outcome, item.url)

    def reactor_stopping(self):
        """The reactor stops with the spider still open: a second Ctrl-C, or a stop signal that came while the
        spider was opening (Scrapy stops only a running engine). The books close as stopped, counting no misses,
        instead of leaving the crawl ``running``; the reactor waits for it (or for a closing already begun)."""
        return deferred_from_coro(self.close_once(self.crawler.spider, "shutdown"))

    async def close_once(self, spider, reason):
        """Close the crawl's books (on ``spider_closed``, or when the reactor stops first), once."""
        if self.closing is None:
            self.closing = asyncio.ensure_future(self._close(spider, reason))
        await asyncio.shield(self.closing)

    async def _close(self, spider, reason):
        try:
            if self.opened:
                await self.close_books(spider, reason)
        finally:
            self.writer.shutdown(wait=True)

    async def close_books(self, spider, reason):
        stats = self.stats.get_stats()
        ending = verdict(stats, reason)
        try:
            gone = await self.write(
                self.recorder.close,
                ending.status,
                reason,
                stats.get("response_received_count", 0),
                stats.get("log_count/ERROR", 0),
                spider.scope,
            )
            self.stats.inc_value("healtharchive/outcome/gone", gone)
        except sqlite3.Error as exc:
            self.stats.inc_value("healtharchive/archive_errors")
            logger.error("cannot finish the crawl in %s: %s", self.recorder.path, exc)
