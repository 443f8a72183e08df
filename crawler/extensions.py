"""Crawl extensions: a progress line for long crawls."""

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
