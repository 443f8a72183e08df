"""Scrapy item pipeline: clean each article off the reactor thread (``clean.clean_pages`` in a process pool)."""

import asyncio
import logging
import os
from concurrent.futures.process import BrokenProcessPool

from .clean import clean_pages
from .reviewed import ReviewRules
from .workers import worker_pool

logger = logging.getLogger(__name__)


class CleaningPipeline:
    """Runs ``clean_pages`` on each complete article in a process pool (one worker per core, so a 2-core machine
    fetches and cleans at the same time; Scrapy's reactor thread only waits for the results). An article that
    cannot be cleaned, or whose cleaned text is empty, becomes ``incomplete``: no version is made from it.

    The workers ignore Ctrl-C and die with the crawl (``pipelines/workers.py``). A worker that dies (killed, out of
    memory) breaks the pool: it is rebuilt and the article cleaned again once; the articles after it are not
    affected. Counted as ``healtharchive/pages_extracted``, ``healtharchive/extract_errors``,
    ``healtharchive/empty_text``, ``healtharchive/pool_rebuilt``.

    Settings: ``EXTRACT_WORKERS`` (default: the number of cores).
    """

    def __init__(self, crawler, workers: int):
        self.crawler = crawler
        self.workers = workers
        self.pool = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("EXTRACT_WORKERS") or os.cpu_count() or 1)

    def open_spider(self):
        self.pool = worker_pool(self.workers)

    def close_spider(self):
        self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item):
        if item.state != "ok":
            return item
        pages = [(page.url, page.html) for page in item.pages]
        profile = self.crawler.spider.profile
        prune, review = tuple(profile.prune), ReviewRules.of(profile)
        try:
            article = await self.clean(item.url, pages, prune, review)
        except Exception as exc:
            self.crawler.stats.inc_value("healtharchive/extract_errors")
            logger.error("cannot clean %s: %s: %s", item.url, type(exc).__name__, exc)
            item.state = "incomplete"
            return item
        self.crawler.stats.inc_value("healtharchive/pages_extracted", len(pages))
        item.title, item.blocks, item.meta, item.block_pages, item.page_titles = (
            article.title,
            article.blocks,
            article.meta,
            article.pages,
            article.titles,
        )
        if not item.blocks:
            self.crawler.stats.inc_value("healtharchive/empty_text")
            logger.warning("no article text in %s: recorded as incomplete", item.url)
            item.state = "incomplete"
        return item

    async def clean(self, url, pages, prune, review):
        """``clean_pages`` in the pool; once more in a new pool when the pool broke under it."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self.pool
            try:
                return await loop.run_in_executor(pool, clean_pages, pages, prune, review)
            except BrokenProcessPool:
                if pool is self.pool:  # the first of the articles it broke under rebuilds it
                    self.crawler.stats.inc_value("healtharchive/pool_rebuilt")
                    logger.warning("a cleaning worker died (cleaning %s among others): the pool is rebuilt", url)
                    pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = worker_pool(self.workers)
                if attempt == 2:
                    raise
