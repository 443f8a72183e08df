"""The run's dupefilter: scrapy-redis' Redis set, keyed per run, fingerprinting as Scrapy does.

scrapy-redis 0.9.1's ``RFPDupeFilter`` hashes (method, URL, body) its own way, ignoring
``REQUEST_FINGERPRINTER_CLASS``, and deletes its set when any process closes: every worker that stopped would wipe
the run's memory for the others. ``RunDupeFilter`` fingerprints with the crawler's request fingerprinter and
never deletes the set (the ingest drops a run's keys once the run is closed). The scheduler checks and adds the
fingerprint in the same Lua script as the push (``queue.PUSH``).
"""

from __future__ import annotations

from scrapy_redis.dupefilter import RFPDupeFilter

from .run import RunKeys, client, run_name


class RunDupeFilter(RFPDupeFilter):
    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        keys = RunKeys.of(crawler.spidercls.name, run_name(s))
        return cls(client(s), keys.dupefilter, s.getbool("DUPEFILTER_DEBUG"), crawler.request_fingerprinter)

    @classmethod
    def from_spider(cls, spider):
        return cls.from_crawler(spider.crawler)

    def request_fingerprint(self, request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason=""):
        pass  # the set is the run's, not this process's
