"""The crawl's articles still to start: kept as URLs, made into requests only as the scheduler drains.

A hub of 50,000 articles scheduled at once would hold 50,000 requests, each with its article's ``Assembly``, in the
scheduler's memory queue (about 2 KB apiece). Here an article found on a hub or a page, or revisited from the
archive, waits as its URL, a plain string; its request is made when the engine asks the scheduler for work and gets
none (``scheduler_empty``), a few at a time, so the pages of articles under way go first and politeness (the
downloader's slots and delays) is the downloader's as before.

While URLs wait, the spider stays open (``spider_idle``): a crawl closes as ``finished`` only once every article found
was requested, so its misses are counted over a whole frontier; a crawl stopped early (a signal, a timeout) is not
``finished`` and counts none (``pipelines/verdict.py``).

Not used in a distributed run, whose frontier is the run's in Redis (``crawler/distributed/``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured


class Frontier:
    """Article URLs waiting for their first request, oldest first, fed to the scheduler as it drains.

    ``add(url)`` queues an article; ``make(url)`` builds its request when its turn comes.
    Settings: ``REDIS_URL`` (a distributed worker: ``NotConfigured``), ``CONCURRENT_REQUESTS`` (requests made each
    time the scheduler runs dry). Stats: ``frontier/added``, ``frontier/max`` (most URLs waiting at once),
    ``frontier/scheduler_max`` (most requests in the scheduler at once, any request: at most about
    ``CONCURRENT_REQUESTS`` plus the later pages of the articles under way).
    """

    def __init__(self, crawler, make: Callable[[str], Request], batch: int):
        self.crawler = crawler
        self.make = make
        self.batch = max(batch, 1)
        self.waiting: deque[str] = deque()

    @classmethod
    def from_crawler(cls, crawler, make: Callable[[str], Request]) -> Frontier:
        if crawler.settings.get("REDIS_URL"):
            raise NotConfigured("a distributed run's frontier is in Redis")
        frontier = cls(crawler, make, crawler.settings.getint("CONCURRENT_REQUESTS"))
        crawler.signals.connect(frontier.feed, signal=signals.scheduler_empty)
        crawler.signals.connect(frontier.idle, signal=signals.spider_idle)
        crawler.signals.connect(frontier.scheduled, signal=signals.request_scheduled)
        return frontier

    def __len__(self) -> int:
        return len(self.waiting)

    def add(self, url: str) -> None:
        self.waiting.append(url)
        stats = self.crawler.stats
        stats.inc_value("frontier/added")
        stats.max_value("frontier/max", len(self.waiting))

    def feed(self) -> None:
        """Schedule the requests of up to ``batch`` waiting articles."""
        for _ in range(min(self.batch, len(self.waiting))):
            self.crawler.engine.crawl(self.make(self.waiting.popleft()))

    def scheduled(self) -> None:
        # (sent before the request is queued: it counts itself)
        self.crawler.stats.max_value("frontier/scheduler_max", len(self.crawler.engine.scheduler) + 1)

    def idle(self) -> None:
        if self.waiting:
            self.feed()
            raise DontCloseSpider
