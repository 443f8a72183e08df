"""Scrapy item pipeline: clean each article off the reactor thread (``clean.clean_pages`` in a process pool)."""

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
from concurrent.futures.process import BrokenProcessPool

from lxml import html as lxml_html
from scrapy import signals

from archive import Archive, ArchiveError
from archive.urls import UrlSet

from .clean import EXTRACTION, clean_pages, recipe
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
    ``healtharchive/empty_text``, ``healtharchive/pool_rebuilt``. An empty text says why on its first page (a page
    that is only a list of links, a page with no text), which the article's observation shows.

    The cleaning cache: a page whose body is byte for byte the one the archive last cleaned for its URL (same
    digest, same extraction recipe: extractor version, ``structure``, the profile's rules) is not cleaned again; its
    extraction comes from the archive's ``page_cache``, and those of pages cleaned anew go there with the article
    (``item.cache``). Counted as ``healtharchive/cleaning_cache/hits`` and ``.../misses`` (pages). Off in a
    distributed worker, which has no archive.

    The workers run at a lower priority than the crawl (``EXTRACT_NICE``): on a machine with fewer spare cores than
    workers, the reactor thread, which paces the fetching, gets a core as soon as it has work, and the workers take
    the rest; cleaning still gets every core fetching leaves idle (on Linux, ``nice`` only weighs processes of the
    same session against each other: other users' work is not given the workers' share). They import the extraction
    as they start; on a crawl without an archive yet they start with its first response (robots.txt), on a recrawl
    with its first page to clean.

    Settings: ``EXTRACT_WORKERS`` (default: the number of cores), ``EXTRACT_NICE`` (default 10; 0 or less: the
    crawl's priority), ``CLEANING_CACHE``, ``ARCHIVE_DB``.
    """

    def __init__(self, crawler, workers: int, cache_db: str | None = None, nice: int = 0):
        self.crawler = crawler
        self.workers = workers
        self.nice = nice
        self.pool = None
        self.cache_db = cache_db
        self.cache: Archive | None = None
        self.cached_urls = UrlSet()  # the URLs the cache has or this crawl gave it: the others are not looked up

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        cache = s.getbool("CLEANING_CACHE") and not s.get("REDIS_URL")
        workers = s.getint("EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(crawler, workers, s.get("ARCHIVE_DB") if cache else None, s.getint("EXTRACT_NICE"))

    def open_spider(self):
        self.pool = worker_pool(self.workers, self.nice, preload=EXTRACTION)
        if not (self.cache_db and os.path.exists(self.cache_db)):
            # A first crawl cleans every page: its workers start with its first response (robots.txt) and import the
            # extraction while it fetches the hub and the first articles; before it, their imports would slow the
            # start of the processes that first response waits for (the WARC writer). A recrawl may clean none (the
            # cache): its workers start with its first miss.
            self.crawler.signals.connect(self.prestart, signal=signals.response_received)

    def prestart(self):
        self.crawler.signals.disconnect(self.prestart, signal=signals.response_received)
        for _ in range(self.workers):  # (a task finding no idle worker spawns one)
            self.pool.submit(int)

    def close_spider(self):
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.cache is not None:
            self.cache.close()

    def cached(self, pages, how: str) -> tuple[list, list]:
        """Per page: its cached extraction or None, and its body's digest."""
        digests = [hashlib.sha1(html.encode("utf-8", "surrogatepass")).hexdigest() for _, html in pages]
        found = {}
        if self.cache_db:
            try:
                if self.cache is None:
                    cache = Archive(self.cache_db, readonly=True)
                    try:
                        self.cached_urls.update(cache.cached_urls())
                    except sqlite3.Error:
                        cache.close()
                        raise
                    self.cache = cache
                urls = [url for url, _ in pages if url in self.cached_urls]
                found = self.cache.cached_pages(urls) if urls else {}
            except (ArchiveError, sqlite3.Error):
                found = {}  # no archive yet (its first crawl), or one an older release wrote
        out = []
        for (url, _), digest in zip(pages, digests):
            hit = found.get(url)
            out.append(json.loads(hit[2]) if hit and hit[:2] == (digest, how) else None)
        return out, digests

    async def process_item(self, item):
        if item.state != "ok":
            return item
        pages = [(page.url, page.html) for page in item.pages]
        profile = self.crawler.spider.profile
        prune, review = tuple(profile.prune), ReviewRules.of(profile)
        how = recipe(prune, review)
        cached, digests = self.cached(pages, how)
        hits = sum(page is not None for page in cached)
        stats = self.crawler.stats
        if self.cache_db:
            stats.inc_value("healtharchive/cleaning_cache/hits", hits)
            stats.inc_value("healtharchive/cleaning_cache/misses", len(pages) - hits)
        try:
            article = await self.clean(item.url, pages, prune, review, cached if hits else None)
        except Exception as exc:
            self.crawler.stats.inc_value("healtharchive/extract_errors")
            logger.error("cannot clean %s: %s: %s", item.url, type(exc).__name__, exc)
            item.state = "incomplete"
            return item
        stats.inc_value("healtharchive/pages_extracted", len(pages) - hits)
        item.title, item.blocks, item.meta, item.block_pages, item.block_slots, item.page_titles = (
            article.title,
            article.blocks,
            article.meta,
            article.pages,
            article.slots,
            article.titles,
        )
        if self.cache_db:
            item.cache = [
                (url, digest, how, json.dumps(page, ensure_ascii=False, separators=(",", ":")))
                for (url, _), digest, page, hit in zip(pages, digests, article.extracted, cached)
                if hit is None
            ]
            for url, *_ in item.cache:
                self.cached_urls.add(url)
        if not item.blocks:
            stats.inc_value("healtharchive/empty_text")
            why = no_text(pages[0][1])
            item.pages[0].error = why
            logger.warning("%s in %s: recorded as incomplete", why, item.url)
            item.state = "incomplete"
        return item

    async def clean(self, url, pages, prune, review, cached=None):
        """``clean_pages`` in the pool; once more in a new pool when the pool broke under it."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self.pool
            try:
                return await loop.run_in_executor(pool, clean_pages, pages, prune, review, cached)
            except BrokenProcessPool:
                if pool is self.pool:  # the first of the articles it broke under rebuilds it
                    self.crawler.stats.inc_value("healtharchive/pool_rebuilt")
                    logger.warning("a cleaning worker died (cleaning %s among others): the pool is rebuilt", url)
                    pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = worker_pool(self.workers, self.nice, preload=EXTRACTION)
                if attempt == 2:
                    raise


def no_text(html: str) -> str:
    """Why a page gave no article text: it has no text, or its text is mostly links (a list of links)."""
    try:
        body = lxml_html.fromstring(html).find("body")
    except (ValueError, TypeError, lxml_html.etree.ParserError):
        body = None
    if body is None:
        return "no text: the page has no body"
    for el in body.iter("script", "style", "noscript", "template"):
        el.drop_tree()
    total = len("".join(body.text_content().split()))
    links = sum(len("".join(a.text_content().split())) for a in body.iter("a"))
    if not total:
        return "no text: the page has none"
    if links >= 0.5 * total:
        return "no text: the page is a list of links"
    return "no text: nothing on the page reads as an article (menus, forms, captions only)"
