"""Scrapy item pipeline: clean every page of an article off the reactor thread and merge the pages."""

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from .extract import extract_page
from .merge import merge_pages

logger = logging.getLogger(__name__)


class CleaningPipeline:
    """Runs trafilatura on each page in a process pool, then merges the pages into one article.

    The pool (one worker per core) lets a 2-core machine fetch and extract at the same time; Scrapy's
    reactor thread only waits for the results. A page that cannot be cleaned, or an article whose
    cleaned text is empty, becomes ``incomplete``: no version is ever made from it.
    Counted as ``healtharchive/pages_extracted``, ``healtharchive/extract_errors`` and ``healtharchive/empty_text``.

    Settings: ``EXTRACT_WORKERS`` (default: the number of cores).
    """

    def __init__(self, crawler, workers: int):
        self.crawler = crawler
        self.workers = workers
        self.pool = None

    @classmethod
    def from_crawler(cls, crawler):
        workers = crawler.settings.getint("EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(crawler, workers)

    def open_spider(self):
        # spawn: forking a process that runs a reactor and holds sockets is unsafe.
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def close_spider(self):
        self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item):
        if item.state != "ok":
            return item
        loop = asyncio.get_running_loop()
        prune = tuple(self.crawler.spider.profile.prune)
        try:
            pages = await asyncio.gather(
                *(loop.run_in_executor(self.pool, extract_page, page.html, page.url, prune, page.number == 1)
                  for page in item.pages)
            )
        except Exception as exc:
            self.crawler.stats.inc_value("healtharchive/extract_errors")
            logger.error("cannot clean %s: %s: %s", item.url, type(exc).__name__, exc)
            item.state = "incomplete"
            return item
        self.crawler.stats.inc_value("healtharchive/pages_extracted", len(pages))
        merged = merge_pages(pages)
        item.title = merged["title"]
        item.blocks = merged["blocks"]
        item.meta = {k: v for k, v in merged.items() if k not in ("title", "blocks") and v}
        if not item.blocks:
            self.crawler.stats.inc_value("healtharchive/empty_text")
            logger.warning("no article text in %s: recorded as incomplete", item.url)
            item.state = "incomplete"
        return item
