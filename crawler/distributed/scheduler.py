"""The worker's scheduler: scrapy-redis' scheduler over the run's leased frontier (``queue.LeaseQueue``).

- **Leases.** A popped request is leased to this worker until the engine is completely done with it: its
  response (or failure) handled, every request it yielded pushed, every article it yielded pushed. Scrapy has no
  signal for that moment; the engine calls its slot's ``remove_request`` exactly then (``_start_scheduled_request``:
  download, ``enqueue_scrape``, then ``_remove_request``), so the scheduler wraps that method (Scrapy 2.19's private
  ``ExecutionEngine._slot``: the worker refuses to start without it).
- **An article is one lease.** The pages of an article after its first, a re-fetch, retries and redirects of any
  of them carry the article's ``Assembly`` (``cb_kwargs["asm"]``, ``crawler/articles.py``): they stay in this
  worker and count against the lease of the article's first page, which is acked once its ``ArticleItem`` was
  pushed. A worker killed half-way through an article leaves that lease behind; a live worker sweeps it back into
  the frontier and the article is fetched again from its first page. Pages' HTML never goes to Redis.
- **Once per run.** An article's first page is fingerprinted by the article (``article:<canonical URL>``), other
  requests by Scrapy's fingerprint; the check is in the push script, so a run requests each once over all workers.
- **Heartbeats.** Every ``WORKER_HEARTBEAT`` seconds the worker tells Redis it lives, writes its counters, and
  sweeps workers silent for ``WORKER_TTL`` seconds (their leases go back to the frontier). Not in the first
  ``WORKER_TTL`` + 2 heartbeats after Redis (re)started, when no one has had the time to say they live.
- **Outages.** Writes (pushes, articles, acks) go to Redis in order; while Redis does not answer they wait in an
  outbox, in the same order, so an ack never reaches Redis before what its request produced. The worker takes no
  new work meanwhile. A worker killed with writes in its outbox never acked their leases: they are done again.
- **The end.** The worker stays open while the run is not finished (seeded, frontier empty, no lease held by any
  worker); it closes as ``finished`` when it is, and as ``run_lost`` if the run disappears from Redis. A worker stopped early hands its leases back at once. The run's
  counters are then put in its stats as ``run/<name>``, which the crawl command judges (a worker that did not fetch
  the hub itself did not fail).

Settings: ``REDIS_URL``, ``CRAWL_RUN``, ``REDIS_RETRIES``, ``REDIS_PARAMS``, ``WORKER_HEARTBEAT`` (default 2 s),
``WORKER_TTL`` (default 15 s), ``GONE_AFTER_MISSES``, ``TEMPLATE_MIN_ARTICLES``, ``CHROME_LEARN_ARTICLES``
(recorded for the ingest).
Stats: ``scheduler/enqueued/redis``, ``scheduler/dequeued/redis``, ``scheduler/enqueued/local``,
``dupefilter/filtered``, ``distributed/acked``, ``distributed/acks_lost`` (swept meanwhile: done again
elsewhere), ``distributed/swept`` (entries of dead workers returned), ``distributed/outbox_max``.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import secrets
import socket
import time
import uuid

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from archive.clock import utcnow

from .dupefilter import RunDupeFilter
from .knowledge import RunKnowledge
from .queue import Fenced, LeaseQueue
from .run import COUNTED, RunKeys, client, register, run_lost, run_name, totals
from .seeding import reseed

logger = logging.getLogger(__name__)


def article_of(request):
    """The ``Assembly`` of the article a request is a page of (``crawler/articles.py``), or None."""
    return request.cb_kwargs.get("asm") if request.cb_kwargs else None


def article_fingerprint(request) -> str:
    """``article:<canonical URL>`` for the first page of an article, '' (no dedupe) for other unfiltered requests."""
    article = article_of(request)
    if article is not None and request.cb_kwargs.get("number") == 1 and getattr(article, "key", None):
        return "article:" + article.key
    return ""


def judged(stats: dict) -> dict:
    """A worker's stats with the run's counters (``run/...``) in place of its own, for the crawl's verdict."""
    run = {k.removeprefix("run/"): v for k, v in stats.items() if k.startswith("run/")}
    if not run:
        return stats
    return {**{k: v for k, v in stats.items() if not k.startswith(COUNTED)}, **run}


class LeaseScheduler(Scheduler):
    """See the module doc."""

    def __init__(self, crawler, server, keys: RunKeys, worker: str, heartbeat: float, ttl: float):
        super().__init__(
            server,
            persist=True,  # a worker that stops never deletes the run
            queue_key=keys.requests,
            queue_cls=f"{LeaseQueue.__module__}.LeaseQueue",
            dupefilter_key=keys.dupefilter,
            dupefilter_cls=f"{RunDupeFilter.__module__}.RunDupeFilter",
            idle_before_close=0,  # a blocking pop would freeze the reactor: idling is spider_idle's
        )
        self.crawler = crawler
        self.stats = crawler.stats
        self.keys = keys
        self.worker = worker
        self.interval = heartbeat
        self.ttl_ms = int(ttl * 1000)
        self.local: collections.deque = collections.deque()  # pages of the articles this worker holds
        self.lease_of: dict = {}  # request -> the entry it counts against
        self.pending: collections.Counter = collections.Counter()  # entry -> its requests not done yet
        self.chains: dict[int, str] = {}  # id(Assembly) -> entry of its first page
        self.outbox: collections.deque = collections.deque()
        self.closing = False
        self.knowledge: RunKnowledge | None = None
        self.down_since: float | None = None
        self.reseeding = False
        self.run_id = ""
        self.lost = False
        self.loop: task.LoopingCall | None = None
        self.last_rate = (time.monotonic(), 0)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        keys = RunKeys.of(crawler.spidercls.name, run_name(s))
        worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        scheduler = cls(
            crawler, client(s), keys, worker, s.getfloat("WORKER_HEARTBEAT", 2.0), s.getfloat("WORKER_TTL", 15.0)
        )
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    # opening and closing

    def open(self, spider):
        self.spider = spider
        self.queue = LeaseQueue(self.server, spider, self.keys.requests, keys=self.keys, worker=self.worker)
        self.df = RunDupeFilter(self.server, self.keys.dupefilter, fingerprinter=self.crawler.request_fingerprinter)
        s = self.crawler.settings
        scope = spider.scope_dict() if hasattr(spider, "scope_dict") else None
        hosts = spider.hosts() if hasattr(spider, "hosts") else None
        args = getattr(spider, "args", {})
        info = register(
            self.server,
            self.keys,
            {
                "id": uuid.uuid4().hex,
                "spider": spider.name,
                "args": args,
                "profile": getattr(getattr(spider, "profile", None), "name", ""),
                "scope": scope,
                "hosts": hosts,
                "started": utcnow(),
                "gone_after": s.getint("GONE_AFTER_MISSES"),
                "template_min_articles": s.getint("TEMPLATE_MIN_ARTICLES"),
                "chrome_learn_articles": s.getint("CHROME_LEARN_ARTICLES"),
                "worker_ttl": self.ttl_ms / 1000,
            },
        )
        if info.get("args") != json.dumps(args, sort_keys=True):
            raise CloseSpider(f"run {self.keys.name} was started with other spider arguments: use another CRAWL_RUN")
        self.run_id = info["id"]
        self.queue.heartbeat()
        self.knowledge = RunKnowledge(self.server, self.keys)
        if hasattr(spider, "archive"):
            spider.archive = self.knowledge  # no archive here: what the ingest published of it
        self._hook_engine()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)
        logger.info(
            "worker %s joined run %s (%d requests waiting, %d workers)",
            self.worker,
            self.keys.name,
            len(self.queue),
            self.server.zcard(self.keys.workers),
        )

    def _hook_engine(self):
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or not callable(getattr(slot, "remove_request", None)):
            raise RuntimeError("the distributed scheduler needs Scrapy 2.19's ExecutionEngine._slot.remove_request")
        remove = slot.remove_request

        def remove_request(request):
            try:
                self.done(request)
            finally:
                remove(request)

        slot.remove_request = remove_request

    def close(self, reason):
        self.closing = True
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.lost:
            return  # nothing of this run is left in Redis to hand back to
        try:
            self.flush()
            returned = self.queue.sweep(self.ttl_ms, self.worker)  # leaves the run; hands back what it holds
            self.queue.counters(self.counters(), 0.0)
            if returned and returned[0][1]:
                logger.info(
                    "worker %s left run %s (%s): %d entries handed back",
                    self.worker,
                    self.keys.name,
                    reason,
                    returned[0][1],
                )
            for key, value in totals(self.server, self.keys).items():
                self.stats.set_value(f"run/{key}", value)
        except RedisError as exc:
            logger.warning("cannot leave run %s cleanly (%s): its leases return after WORKER_TTL", self.keys.name, exc)

    # the frontier

    def enqueue_request(self, request):
        article = article_of(request)
        entry = self.chains.get(id(article)) if article is not None else None
        if entry is not None:  # a page of an article this worker holds: it stays here
            self.local.append(request)
            self.lease_of[request] = entry
            self.pending[entry] += 1
            self.stats.inc_value("scheduler/enqueued/local")
            return True
        fingerprint = article_fingerprint(request) if request.dont_filter else self.df.request_fingerprint(request)
        if self.submit(self.queue.push, request, fingerprint) == 0:
            self.df.log(request, self.spider)
            self.stats.inc_value("dupefilter/filtered")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self.local:
            return self.local.popleft()
        if self.closing or self.lost:
            return None
        try:
            self.flush()
            if not self.knowledge.load():
                return None  # nothing to do before the ingest published what the archive knows
            found = self.queue.pop()
        except Fenced:
            logger.warning("worker %s was taken for dead and its leases given away: joining again", self.worker)
            self.queue.heartbeat()
            return None
        except RedisError as exc:
            self.outage(exc)
            return None
        self.answered()
        if found is None:
            return None
        entry, request = found
        article = article_of(request)
        if article is not None:
            self.chains[id(article)] = entry
        self.lease_of[request] = entry
        self.pending[entry] += 1
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self):
        if self.local:
            return True
        try:
            return len(self.queue) > 0
        except RedisError:
            return False

    def done(self, request):
        """The engine is done with ``request``: when its entry has nothing left in flight, ack it."""
        entry = self.lease_of.pop(request, None)
        if entry is None:
            return  # not the frontier's (robots.txt)
        self.pending[entry] -= 1
        if self.pending[entry] > 0:
            return
        del self.pending[entry]
        for chain in [c for c, e in self.chains.items() if e == entry]:
            del self.chains[chain]
        self.submit(self.ack, entry, self.counters())

    def ack(self, entry: str, counters: dict[str, int]) -> bool:
        acked = self.queue.ack(entry, counters)
        self.stats.inc_value("distributed/acked" if acked else "distributed/acks_lost")
        return acked

    def push_article(self, payload: str) -> None:
        """Queue a finished article for the ingest, in order with this worker's other writes."""
        self.submit(self.server.lpush, self.keys.items, payload)

    def counters(self) -> dict[str, int]:
        return {
            k: v
            for k, v in self.stats.get_stats().items()
            if k.startswith(COUNTED) and isinstance(v, int) and not isinstance(v, bool)
        }

    # writes, in order, through outages

    def submit(self, write, *args):
        """Run ``write(*args)`` now and return its result or, while Redis is away (or earlier writes wait), queue it
        behind them and return None."""
        if not self.outbox:
            try:
                return write(*args)
            except RedisError as exc:
                self.outage(exc)
        self.outbox.append((write, args))
        self.stats.max_value("distributed/outbox_max", len(self.outbox))
        return None

    def flush(self):
        """Send the writes that waited, oldest first (a RedisError leaves the rest waiting)."""
        if not self.outbox:
            return
        waited = len(self.outbox)
        while self.outbox:
            write, args = self.outbox[0]
            write(*args)
            self.outbox.popleft()
        logger.info("%d writes that waited for Redis sent", waited)

    def outage(self, exc):
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("Redis does not answer (%s): this worker's writes wait until it does", exc)

    def answered(self):
        if self.down_since is not None:
            logger.info("Redis answers again, after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None

    # heartbeat, sweeping, the end of the run

    def heartbeat(self):
        if self.queue.heartbeat() and self.stats.get_value("distributed/heartbeats"):
            logger.warning("worker %s joined run %s again (it had been taken for dead)", self.worker, self.keys.name)
        self.stats.inc_value("distributed/heartbeats")

    def tick(self):
        try:
            if self.lost or run_lost(self.server, self.keys, self.run_id):
                self.stop_lost()
                return
            self.flush()
            self.heartbeat()
            uptime = int(self.server.info("server").get("uptime_in_seconds", 0))
            if uptime * 1000 > self.ttl_ms + 2 * self.interval * 1000:
                for worker, entries in self.queue.sweep(self.ttl_ms):
                    logger.warning("worker %s is silent: %d of its entries back in the frontier", worker, entries)
                    self.stats.inc_value("distributed/swept", entries)
            now, pages = time.monotonic(), self.stats.get_value("response_received_count", 0)
            before, pages_before = self.last_rate
            self.last_rate = (now, pages)
            self.queue.counters(self.counters(), (pages - pages_before) / max(now - before, 1e-3))
            self.answered()
        except RedisError as exc:
            self.outage(exc)
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and not self.closing:
            slot.nextcall.schedule()  # an idle worker looks for work, or for the end of the run, now

    def stop_lost(self):
        """The run is gone from Redis (a Redis restarted without its data, or its keys dropped): nothing of it is
        left to work on; the worker stops (exit status 3), and the ingest ends the run's crawl as stopped."""
        if not self.lost:
            self.lost = True
            logger.error("run %s is gone from Redis (restarted without its data?): stopping", self.keys.name)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="run_lost"))

    def spider_idle(self):
        if self.local or self.pending or self.outbox:
            raise DontCloseSpider
        try:
            if self.queue.finished():
                logger.info("run %s finished", self.keys.name)
                return  # the spider closes: finished
            if not self.reseeding and self.queue.claim_seeder() == "seed":
                logger.warning("the seeder of run %s died before it was done: seeding it here", self.keys.name)
                self.reseeding = True
                reseed(self.crawler, self)
        except RedisError as exc:
            self.outage(exc)
        raise DontCloseSpider
