"""Scrapy item pipeline: write each article to the archive, and close the crawl's books."""

import logging
import sqlite3

from scrapy import signals

from archive import Archive, ArchiveError
from archive.lock import ArchiveLock
from archive.urls import host_of

from .chrome import SiteChrome
from .clean import Cleaned, without_chrome
from .extract import EXTRACTOR, EXTRACTOR_VERSION

logger = logging.getLogger(__name__)


def failure(stats) -> str | None:
    """Why a crawl failed (its exit status is then 1), or None."""
    if stats.get("healtharchive/archive_errors"):
        return "the archive could not be written"
    if stats.get("healtharchive/start_urls") and not stats.get("healtharchive/start_urls_ok"):
        return "every start URL failed"
    return None


class ArchivePipeline:
    """Versions each article in the SQLite archive, one transaction per article.

    The crawl holds the archive's lock (``archive.lock``) from start to end, waiting with a message while
    another writer holds it. Blocks that repeat across many articles of a site (``SiteChrome``) are dropped
    before the text is compared; at the end of the crawl, versions written before a block was recognised are
    amended. A center crawl also counts a miss for every live article it did not see. Outcomes are counted as
    ``healtharchive/outcome/<name>``; a write failure as ``healtharchive/archive_errors``, which stops the crawl.

    Settings: ``ARCHIVE_DB``, ``GONE_AFTER_MISSES``, ``TEMPLATE_MIN_ARTICLES``.
    """

    def __init__(self, crawler, path: str, gone_after: int, min_articles: int):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        self.gone_after = gone_after
        self.min_articles = min_articles
        self.chrome: SiteChrome | None = None
        self.lock = ArchiveLock(path)
        self.archive: Archive | None = None
        self.crawl_id = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipeline = cls(crawler, s.get("ARCHIVE_DB"), s.getint("GONE_AFTER_MISSES"), s.getint("TEMPLATE_MIN_ARTICLES"))
        # Closing the books needs the finish reason, which the spider_closed signal brings.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        spider = self.crawler.spider
        self.lock.acquire(
            wait=True,
            on_wait=lambda pid: logger.warning(
                "waiting for the archive %s: another process (pid %s) is writing it", self.path, pid
            ),
        )
        self.archive = Archive(self.path)
        self.chrome = SiteChrome(self.archive.template_hashes(), self.min_articles)
        self.crawl_id = self.archive.start_crawl(spider.name, spider.profile.name, spider.args, spider.scope_dict())
        self.stats.set_value("healtharchive/crawl_id", self.crawl_id)
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

    def process_item(self, item):
        host = host_of(item.url)
        if item.state == "ok":
            self.chrome.learn(host, item.url, item.blocks)
            article = without_chrome(Cleaned(item.title, item.blocks, item.meta), self.chrome, host)
            item.blocks, item.text = article.blocks, article.text
        try:
            outcome = self.archive.record(self.crawl_id, item, EXTRACTOR, EXTRACTOR_VERSION)
        except (sqlite3.Error, ArchiveError) as exc:
            self.stats.inc_value("healtharchive/archive_errors")
            logger.error("cannot write %s to %s: %s", item.url, self.path, exc)
            self.crawler.engine.close_spider(self.crawler.spider, "archive_error")
            return item
        if outcome:
            self.stats.inc_value("healtharchive/articles")
            self.stats.inc_value(f"healtharchive/outcome/{outcome}")
            logger.debug("%s: %s", outcome, item.url)
        return item

    def spider_closed(self, spider, reason):
        if self.archive is None:
            return
        try:
            for host, texts in self.chrome.found().items():
                self.archive.remember_templates(self.crawl_id, host, texts)
            amended = self.archive.amend_templates(
                self.crawl_id, lambda host, text: self.chrome.is_chrome(host, "p", text)
            )
            self.stats.set_value("healtharchive/amended_versions", amended)
            if spider.scope:
                hosts, paths = spider.scope
                gone = self.archive.mark_missing(self.crawl_id, hosts, paths, self.gone_after)
                self.stats.inc_value("healtharchive/outcome/gone", gone)
            stats = self.stats.get_stats()
            self.archive.finish_crawl(
                self.crawl_id,
                "failed" if failure(stats) else "finished",
                reason,
                stats.get("response_received_count", 0),
                stats.get("log_count/ERROR", 0),
            )
        except sqlite3.Error as exc:
            self.stats.inc_value("healtharchive/archive_errors")
            logger.error("cannot finish the crawl in %s: %s", self.path, exc)
        finally:
            self.archive.close()
            self.lock.release()
