"""``scrapy crawl`` with an exit status that tells whether the crawl archived what it was asked to.

Scrapy's own command exits 0 even when every request failed. This one exits 1 when every start URL
failed (``healtharchive/start_urls_ok`` stayed 0) or the archive could not be written
(``healtharchive/archive_errors``), and 0 otherwise.
"""

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from pipelines.archive import failure


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        # Bad spider arguments (unknown profile, missing start_url) are one clear line, not a traceback.
        try:
            self.crawler_process.spider_loader.load(args[0])(**opts.spargs)
        except (ValueError, TypeError) as exc:
            print(f"Error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        reason = failure(crawler.stats.get_stats())
        if reason:
            crawler.spider.logger.error("crawl failed: %s", reason)
            self.exitcode = 1
