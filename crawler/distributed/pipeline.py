"""The worker's last item pipeline: finished articles go to Redis, for ``healtharchive ingest`` to write.

Takes the place of ``pipelines.archive.ArchivePipeline`` on a worker: a worker never opens the archive. Each
``ArticleItem``, cleaned by the worker's own process pool (``pipelines.cleaning.CleaningPipeline``), is pushed as
JSON with its capture metadata (status, validators, the WARC file and offset of each page's record) but without
its pages' HTML, which the ingest does not need (the WARC records hold it). The push goes through the scheduler's
ordered writes, so it reaches Redis before the ack of the lease the article came from, outages included.

Settings: ``REDIS_URL`` (without it, ``NotConfigured``).
Stats: ``healtharchive/articles_pushed``.
"""

from __future__ import annotations

import dataclasses

from scrapy.exceptions import NotConfigured

from crawler.items import to_json


class PushArticles:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    def process_item(self, item):
        scheduler = self.crawler.engine.scheduler
        light = dataclasses.replace(item, pages=[dataclasses.replace(page, html=None) for page in item.pages])
        scheduler.push_article(to_json(light))
        self.crawler.stats.inc_value("healtharchive/articles_pushed")
        return item
