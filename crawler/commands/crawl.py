"""``scrapy crawl`` with an exit status that tells whether the crawl archived what it was asked to.

Scrapy's own command exits 0 even when every request failed. This one exits (``pipelines.archive.verdict``):

- 0: the crawl went through its whole frontier and archived what it was asked to;
- 1: failed: the archive could not be written, every start URL failed, or a line of the URL list is malformed;
- 2: a usage error (an unknown spider or profile, a missing or bad argument, an archive that is not one);
- 3: stopped before it finished (Ctrl-C, SIGTERM, a timeout): nothing is counted as missed;
- 4: blocked: the site refused a start URL (401, 403, 451, or robots.txt).

A distributed worker (``-s REDIS_URL=... -s CRAWL_RUN=...``) is judged on its run's counters, once the run finished:
the worker that did not fetch the hub itself did not fail. A Redis that does not answer at the start is a failure.
"""

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from archive import ArchiveError
from archive.store import check_file
from pipelines.verdict import FAILED, verdict


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        # Bad spider arguments (unknown profile, missing start_url) and a file that is no archive are one clear
        # line, not a traceback, before anything is written.
        try:
            spider = self.crawler_process.spider_loader.load(args[0])(**opts.spargs)
            check_file(self.settings.get("ARCHIVE_DB"))
            if self.settings.get("REDIS_URL") and not self.worker_ready(spider):
                return
        except (ValueError, TypeError, ArchiveError) as exc:
            print(f"Error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = FAILED
            return
        stats = crawler.stats.get_stats()
        if self.settings.get("REDIS_URL"):
            from crawler.distributed.scheduler import judged

            stats = judged(stats)
        ending = verdict(stats)
        if ending.exit_code:
            crawler.spider.logger.error("crawl %s: %s", ending.status, ending.message)
            self.exitcode = ending.exit_code

    def worker_ready(self, spider) -> bool:
        """A distributed worker's checks (``check_worker``): False, with the exit status set, when Redis does not
        answer. (redis is imported for a worker only: an ordinary crawl starts without it.)"""
        from redis.exceptions import RedisError

        from crawler.distributed.run import check_worker

        try:
            check_worker(self.settings, spider)
        except RedisError as exc:
            print(f"Error: cannot reach Redis at {self.settings.get('REDIS_URL')}: {exc}", file=sys.stderr)
            self.exitcode = FAILED
            return False
        return True
