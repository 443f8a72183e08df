"""Seeding a run once: one worker runs the spider's ``start()``, after the ingest published the archive's knowledge.

The first worker of a run claims the seeding (``queue.CLAIM_SEEDER``), waits until ``healtharchive ingest`` has
published what the archive knows of the run's sites (``knowledge.py``: the seeder's revisits come from it), then
lets ``start()`` through; its requests go to the run's frontier. Later workers skip ``start()`` and take work from
the frontier. Seeding is idempotent (the dupefilter is checked in the push), so a seeder that dies before it is done
is replaced by an idle worker that runs ``start()`` again (``scheduler.LeaseScheduler.spider_idle``): what the dead
one had pushed is dropped as seen.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import RedisError
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

WAIT_LOG_EVERY = 30.0


class SeedOnce:
    """Spider middleware: only the run's seeder passes the spider's ``start()`` through (see the module doc).

    Settings: ``REDIS_URL`` (without it, ``NotConfigured``).
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start):
        scheduler = self.crawler.engine.scheduler
        try:
            role = scheduler.queue.claim_seeder()
        except RedisError as exc:  # then an idle worker claims it later (LeaseScheduler.spider_idle)
            scheduler.outage(exc)
            role = "wait"
        if role != "seed":
            how = "seeded" if role == "done" else "being seeded by another worker"
            logger.info("joining run %s (%s)", scheduler.keys.name, how)
            return
        await knowledge_ready(scheduler)
        async for found in start:
            yield found
        seeded(scheduler)


def seeded(scheduler) -> None:
    """Mark the run seeded, behind the pushes of its start requests (the run cannot finish before they arrive)."""
    scheduler.submit(scheduler.queue.seeded)
    logger.info("seeded run %s", scheduler.keys.name)


async def knowledge_ready(scheduler) -> None:
    """Wait until the ingest has published the archive's knowledge of the run."""
    began = time.monotonic()
    note = began + 2.0
    while True:
        try:
            if scheduler.server.hget(scheduler.keys.meta, "knowledge") == b"ready":
                return
        except RedisError as exc:
            scheduler.outage(exc)
        if time.monotonic() >= note:
            note = time.monotonic() + WAIT_LOG_EVERY
            logger.warning(
                "run %s waits for `healtharchive ingest` to publish what the archive knows (%.0f s so far)",
                scheduler.keys.name,
                time.monotonic() - began,
            )
        await asyncio.sleep(0.25)


def reseed(crawler, scheduler):
    """Run the spider's ``start()`` again here, for a run whose seeder died before it was done."""

    async def run():
        try:
            await knowledge_ready(scheduler)
            async for found in crawler.spider.start():
                if isinstance(found, Request):
                    found.meta.setdefault("is_start_request", True)
                    crawler.engine.crawl(found)
            seeded(scheduler)
        finally:
            scheduler.reseeding = False

    deferred = deferred_from_coro(run())
    deferred.addErrback(lambda failure: logger.error("seeding run %s failed: %s", scheduler.keys.name, failure.value))
    return deferred
