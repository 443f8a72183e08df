"""A Scrapy extension for tests: as the spider closes, it logs the top-level packages its process has imported."""

import logging
import sys

from scrapy import signals

logger = logging.getLogger(__name__)


class Loaded:
    @classmethod
    def from_crawler(cls, crawler):
        ext = cls()
        crawler.signals.connect(ext.closed, signals.spider_closed)
        return ext

    def closed(self, spider):
        logger.info("loaded packages: %s", " ".join(sorted({name.partition(".")[0] for name in sys.modules})))
