"""Distributed crawling on scrapy-redis: many worker processes, on one machine or many, share one crawl.

``-s REDIS_URL=redis://HOST:PORT/DB -s CRAWL_RUN=NAME`` on any spider makes the process a worker of the run NAME
(the ``Distributed`` add-on, in ``ADDONS``; without REDIS_URL it stays out of the way). Every process started with
the same spider, arguments, REDIS_URL and CRAWL_RUN works on the same crawl; a new CRAWL_RUN name is a new crawl.

- ``scheduler.LeaseScheduler`` (over scrapy-redis' scheduler), ``queue.LeaseQueue`` (over its queue) and
  ``dupefilter.RunDupeFilter`` (over its dupefilter): the frontier in Redis, leased to the worker that pops an
  entry until it is done; a whole article is one lease; a dead worker's leases come back.
- ``seeding.SeedOnce``: one worker seeds the run, once the ingest published what the archive knows
  (``knowledge.py``: revisits, validators, earlier payloads).
- ``pipeline.PushArticles`` takes the place of the archive pipeline: workers clean articles in their own process
  pools and push them to Redis; ``healtharchive ingest`` alone writes the archive (``healtharchive/ingest.py``).
- ``politeness.SharedPoliteness``: one delay and one concurrency limit per host for the whole run.
- ``run.py``: the run's keys, the Redis client, the run's state (``healtharchive status``).

WARC files are written by each worker into its ``WARC_DIR`` (names carry the host and pid: they never collide);
each capture the ingest records points at the worker's file (``docs/scaling.md``: sharing or collecting them).
"""

from __future__ import annotations

from scrapy.exceptions import NotConfigured


class Distributed:
    """Scrapy add-on: with ``REDIS_URL``, this crawl is a worker of the run ``CRAWL_RUN`` (see the module doc).

    It sets the scheduler and dupefilter, puts ``PushArticles`` where ``ArchivePipeline`` was, adds ``SeedOnce`` and
    ``SharedPoliteness``, and turns the per-process politeness settings into shared ones: ``HOST_DELAY`` (default:
    ``DOWNLOAD_DELAY``), ``HOST_CONCURRENCY`` (default: ``CONCURRENT_REQUESTS_PER_DOMAIN``) and
    ``HOST_AUTOTHROTTLE`` (default: ``AUTOTHROTTLE_ENABLED``), then sets ``DOWNLOAD_DELAY`` to 0 and AutoThrottle
    off in this process.

    Settings: ``REDIS_URL``, ``CRAWL_RUN`` (required with it).
    """

    def update_settings(self, settings):
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        # (imported here: redis and scrapy-redis load only in a worker, not in every crawl's start-up)
        from pipelines.archive import ArchivePipeline

        from .pipeline import PushArticles
        from .politeness import SharedPoliteness
        from .run import run_name
        from .seeding import SeedOnce

        run_name(settings)
        settings.set("SCHEDULER", "crawler.distributed.scheduler.LeaseScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "crawler.distributed.dupefilter.RunDupeFilter", "addon")
        try:
            settings.replace_in_component_priority_dict("ITEM_PIPELINES", ArchivePipeline, PushArticles)
        except KeyError:  # the archive pipeline was switched off: articles still go to the ingest
            settings.set_in_component_priority_dict("ITEM_PIPELINES", PushArticles, 800)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", SeedOnce, 10)
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", SharedPoliteness, 990)
        settings.set("HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY"), "addon")
        settings.set("HOST_CONCURRENCY", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), "addon")
        settings.set("HOST_AUTOTHROTTLE", settings.getbool("AUTOTHROTTLE_ENABLED"), "addon")
        settings.set("DOWNLOAD_DELAY", 0, "cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, "cmdline")
