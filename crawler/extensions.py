"""Crawl extensions: a progress line for long crawls, the garbage collector kept off what lives all crawl long."""

import gc
import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


class Progress:
    """Logs one line every few seconds: pages fetched, articles archived by outcome, errors, and the articles waiting
    until their site's chrome is known (``pipelines/recorder.py``).

    Settings: ``PROGRESS_INTERVAL`` (seconds; 0 switches it off).
    """

    def __init__(self, stats, interval: float):
        self.stats = stats
        self.interval = interval
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if not interval:
            raise NotConfigured
        ext = cls(crawler.stats, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self):
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def closed(self):
        if self.loop and self.loop.running:
            self.loop.stop()
        self.log()

    def log(self):
        get = self.stats.get_value
        waiting = get("healtharchive/held", 0) - get("healtharchive/held_written", 0)
        logger.info(
            "progress: %d pages fetched, %d articles archived (%d new, %d changed, %d unchanged, "
            "%d incomplete, %d gone, %d blocked), %d errors%s",
            get("response_received_count", 0),
            get("healtharchive/articles", 0),
            get("healtharchive/outcome/new", 0),
            get("healtharchive/outcome/changed", 0),
            get("healtharchive/outcome/unchanged", 0),
            get("healtharchive/outcome/incomplete", 0),
            get("healtharchive/outcome/gone", 0),
            get("healtharchive/outcome/blocked", 0),
            get("log_count/ERROR", 0),
            f", {waiting} waiting until their site's chrome is known" if waiting > 0 else "",
        )


class FrozenStartup:
    """Moves what exists when the spider opens (modules, settings, the spider and its profile: most of the process's
    objects) out of reach of Python's cyclic garbage collector (``gc.freeze``). The crawl's allocations set off a
    full collection every few hundred pages, which scanned all of them every time; now it scans what the crawl made
    since. Frozen objects are still freed by reference counting; the few dozen cyclic leftovers of
    the start-up are kept.

    Settings: ``GC_FREEZE`` (default True; False switches it off).
    """

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("GC_FREEZE", True):
            raise NotConfigured
        ext = cls()
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        return ext

    def opened(self):
        # No collection first: it would free a few dozen objects and take ~60 ms, during which a stop signal (the
        # engine not yet running) leaves the crawl's row open (tests/test_schedule.py, SIGTERM).
        gc.freeze()
