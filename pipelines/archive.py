"""Scrapy item pipeline: write each article to the archive, and close the crawl's books."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from archive import ArchiveError
from archive.lock import ArchiveLock, Locked

from .recorder import Session
from .verdict import verdict
from .workers import Resident

logger = logging.getLogger(__name__)

DIED = "the archive writer process (ha-archive) died"


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

    The ``Recorder`` (its SQLite connection included) lives in a writer process of its own (``ha-archive``,
    ``pipelines/workers.py``: it ignores Ctrl-C and dies with the crawl), and every call on it (open, each article,
    the books' close) runs there in the order the articles come, so the crawl process goes on fetching and parsing
    while an article is written, and its Python never competes with the reactor thread for the GIL. Each article is
    still one transaction; the writer process sends back, with each call's result, the articles it recorded (held
    ones included), which are counted here. The crawl process holds the archive's lock (its pid is the one
    another writer's message names, and the ``crawls`` row's); the writer process writes under it and dies with it.
    A writer process that dies is an archive error (``the archive writer process (ha-archive) died``). An item stays
    in Scrapy's scraper until it is written, so Scrapy's own limits on items and responses in progress
    (``CONCURRENT_ITEMS``, ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) bound what waits for the writer.

    Settings: ``ARCHIVE_DB``, ``GONE_AFTER_MISSES``, ``TEMPLATE_MIN_ARTICLES``, ``CHROME_LEARN_ARTICLES``.
    """

    def __init__(self, crawler, path: str, gone_after: int, min_articles: int, hold: int):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        self.lock = ArchiveLock(path)  # held here; the writer process writes under it
        self.writer = Resident("ha-archive", Session, path, gone_after, min_articles, lock=ArchiveLock(path), hold=hold)
        self.opened = False
        self.died = False  # the writer process died (said once)
        self.closing = None  # the task closing the crawl's books, once begun

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipeline = cls(
            crawler,
            s.get("ARCHIVE_DB"),
            s.getint("GONE_AFTER_MISSES"),
            s.getint("TEMPLATE_MIN_ARTICLES"),
            s.getint("CHROME_LEARN_ARTICLES"),
        )
        # Closing the books needs the finish reason, which the spider_closed signal brings.
        crawler.signals.connect(pipeline.close_once, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self):
        self.writer.start()  # its start-up overlaps the wait for the lock
        # Wait for another writer off the reactor's thread, so a Ctrl-C meanwhile is heard.
        told = False
        while True:
            try:
                self.lock.acquire()
                break
            except Locked as exc:
                if not told:
                    logger.warning("waiting for the archive %s: %s", self.path, exc)
                    told = True
                await asyncio.sleep(0.5)
        spider = self.crawler.spider
        crawl_id = await self.write(
            "open", spider.name, spider.profile.name, spider.args, spider.scope_dict(), pid=os.getpid()
        )
        self.opened = True
        self.stats.set_value("healtharchive/crawl_id", crawl_id)
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("before", "shutdown", self.reactor_stopping)

    async def write(self, method: str, *args, **kwargs):
        """The recorder's ``method(*args, **kwargs)`` in the writer process; the articles it recorded are counted."""
        try:
            result, recorded = await self.writer.call("run", method, *args, **kwargs)
        except Exception as exc:
            for article in getattr(exc, "recorded", ()):
                self.count(*article)
            raise
        for article in recorded:
            self.count(*article)
        return result

    async def process_item(self, item):
        complete = item.state == "ok"
        # The pages' HTML is cleaned already (the archive keeps the payloads in WARC files): not sent to the writer.
        sent = replace(item, pages=[replace(page, html=None) for page in item.pages])
        try:
            outcome = await self.write("record", sent)
        except (sqlite3.Error, ArchiveError, BrokenProcessPool) as exc:
            self.stats.inc_value("healtharchive/archive_errors")
            if not isinstance(exc, BrokenProcessPool):
                logger.error("cannot write %s to %s: %s", item.url, self.path, exc)
            elif not self.died:  # said once: every article after it fails the same way
                self.died = True
                logger.error("cannot write %s to %s: %s", item.url, self.path, DIED)
            self.crawler.engine.close_spider(self.crawler.spider, "archive_error")
            return item
        if complete and outcome is None:
            self.stats.inc_value("healtharchive/held")
        return item

    def count(self, url: str, outcome: str, held: bool, why: str | None):
        """An article recorded (when it came, or later when it was held), as the writer process told it."""
        if why:
            self.stats.inc_value(f"healtharchive/{why}")
        self.stats.inc_value("healtharchive/articles")
        self.stats.inc_value(f"healtharchive/outcome/{outcome}")
        if held:
            self.stats.inc_value("healtharchive/held_written")
        logger.debug("%s: %s", outcome, url)

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
            self.lock.release()

    async def close_books(self, spider, reason):
        stats = self.stats.get_stats()
        ending = verdict(stats, reason)
        try:
            gone = await self.write(
                "close",
                ending.status,
                reason,
                stats.get("response_received_count", 0),
                stats.get("log_count/ERROR", 0),
                spider.scope,
            )
            self.stats.inc_value("healtharchive/outcome/gone", gone)
        except (sqlite3.Error, BrokenProcessPool) as exc:
            self.stats.inc_value("healtharchive/archive_errors")
            if not self.died:
                logger.error(
                    "cannot finish the crawl in %s: %s", self.path, DIED if isinstance(exc, BrokenProcessPool) else exc
                )
