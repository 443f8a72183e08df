"""A distributed run's identity, its keys in Redis, the Redis client, and the run's state as Redis holds it.

A run is one spider and one ``CRAWL_RUN`` name; every key of it starts with ``healtharchive:<spider>:<run>``
(``RunKeys.prefix``, written P below), so a new CRAWL_RUN is a new crawl with a new frontier and dupefilter:

=====================  ======  ==================================================================================
P:requests             ZSET    the frontier: entry id -> score (-priority); ids are zero-padded sequence numbers,
                               so equal priorities leave in the order they came
P:payload              HASH    entry id -> the request, pickled (scrapy-redis' format: Redis must be private)
P:seq                  STRING  the entry id counter
P:dupefilter           SET     request fingerprints (scrapy-redis' dupefilter); an article's first page is
                               ``article:<canonical URL>``
P:lease:<worker>       ZSET    entry id -> score, the entries a worker holds (popped, not yet done)
P:workers              ZSET    worker -> its last heartbeat (ms, Redis' clock)
P:roster               SET     every worker that ever joined the run
P:stats:<worker>       HASH    the worker's counters (``healtharchive/...``, responses, errors), written with
                               each ack, so a run's totals count exactly what was acked
P:meta                 HASH    id, spider, args, profile, scope, hosts, settings the ingest needs, started,
                               knowledge, seeder, seeded, finished, crawl_id, ingested, closed
P:items                LIST    finished articles (JSON), pushed by workers
P:items:processing     LIST    the article the ingest is writing (moved there with LMOVE)
P:known, P:live,       HASH,   what the archive knew when the run started (``knowledge.py``)
P:validators,          STRING,
P:payloads             HASH
P:polite:<host>:...            shared per-host politeness (``politeness.py``)
=====================  ======  ==================================================================================

``healtharchive:runs`` (ZSET, prefix -> first seen) lists the runs; ``healtharchive:ingest`` names the ingest
that writes them. The Lua scripts build keys from the prefix, so Redis must be one server, not a Cluster.
"""

from __future__ import annotations

import json
import re
import time

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

NAMESPACE = "healtharchive"
RUNS = f"{NAMESPACE}:runs"
INGEST = f"{NAMESPACE}:ingest"
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
# What a worker counts that the run adds up: the project's counters, pages fetched, errors logged.
COUNTED = ("healtharchive/", "response_received_count", "log_count/ERROR", "item_scraped_count")
# Keys a closed run no longer needs (the rest, small, expires after KEEP seconds: `status` still shows it).
HEAVY = ("requests", "payload", "seq", "dupefilter", "items", "processing", "known", "live", "validators", "payloads")
KEEP = 7 * 24 * 3600


def run_name(settings) -> str:
    """The ``CRAWL_RUN`` setting, checked: required with ``REDIS_URL``, a name usable in Redis keys."""
    name = settings.get("CRAWL_RUN")
    if not name:
        raise ValueError("REDIS_URL needs a run name: -s CRAWL_RUN=NAME (a new name is a new crawl)")
    if not RUN_NAME.match(str(name)):
        raise ValueError(f"CRAWL_RUN {name!r}: use up to 100 letters, digits, '.', '_' and '-'")
    return str(name)


class RunKeys:
    """The Redis keys of one run (see the module doc)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        for name in ("requests", "payload", "seq", "dupefilter", "workers", "roster", "meta", "items"):
            setattr(self, name, f"{prefix}:{name}")
        self.processing = f"{prefix}:items:processing"
        self.known, self.live = f"{prefix}:known", f"{prefix}:live"
        self.validators, self.payloads = f"{prefix}:validators", f"{prefix}:payloads"

    @classmethod
    def of(cls, spider: str, run: str) -> RunKeys:
        return cls(f"{NAMESPACE}:{spider}:{run}")

    @property
    def name(self) -> str:
        """``<spider>:<run>``."""
        return self.prefix.removeprefix(NAMESPACE + ":")

    def lease(self, worker: str) -> str:
        return f"{self.prefix}:lease:{worker}"

    def stats(self, worker: str) -> str:
        return f"{self.prefix}:stats:{worker}"

    def polite(self, host: str) -> str:
        return f"{self.prefix}:polite:{host}"

    def __repr__(self):
        return f"RunKeys({self.prefix!r})"


def connect(url: str, retries: int = 3, **params) -> redis.Redis:
    """A Redis client that rides out a short outage: a few retries with jittered exponential backoff on
    connection errors and timeouts, TCP keepalive, a health check on idle connections.

    (scrapy-redis' default REDIS_PARAMS set ``retry_on_timeout``, which redis-py 8 deprecates, and with a URL it
    leaves one immediate retry.)
    """
    options = {
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
        "socket_keepalive": True,
        "health_check_interval": 15,
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=retries),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionResetError],
        **params,
    }
    options.pop("retry_on_timeout", None)
    return redis.Redis.from_url(url, **options)


def client(settings) -> redis.Redis:
    """The client of a worker (``REDIS_URL``, ``REDIS_RETRIES``, ``REDIS_PARAMS``). Its calls block Scrapy's reactor
    thread, so it retries little: a longer outage is the outbox's job (``scheduler.LeaseScheduler``)."""
    return connect(settings["REDIS_URL"], settings.getint("REDIS_RETRIES", 3), **settings.getdict("REDIS_PARAMS"))


def run_lost(server: redis.Redis, keys: RunKeys, run_id: str) -> bool:
    """True when the run ``run_id`` is no longer in Redis (its meta gone, or another run under its name)."""
    return text(server.hget(keys.meta, "id")) != run_id


def check_worker(settings, spider) -> None:
    """Refuse, before it starts, a worker that cannot join its run: a bad run name (``ValueError``), a Redis that
    does not answer (``RedisError``), a run started with other spider arguments (``ValueError``)."""
    keys = RunKeys.of(spider.name, run_name(settings))
    found = text(client(settings).hget(keys.meta, "args"))
    if found is not None and found != json.dumps(getattr(spider, "args", {}), sort_keys=True):
        raise ValueError(f"run {keys.name} was started with other spider arguments ({found}): use another CRAWL_RUN")


def text(value) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def meta(server: redis.Redis, keys: RunKeys) -> dict[str, str]:
    return {text(k): text(v) for k, v in server.hgetall(keys.meta).items()}


def runs(server: redis.Redis) -> list[RunKeys]:
    """Every run Redis holds, oldest first."""
    return [RunKeys(text(p)) for p in server.zrange(RUNS, 0, -1)]


def totals(server: redis.Redis, keys: RunKeys) -> dict[str, int]:
    """The run's counters: the sum over every worker that joined it of what it counted up to its last ack."""
    summed: dict[str, int] = {}
    workers = [text(w) for w in server.smembers(keys.roster)]
    pipe = server.pipeline(transaction=False)
    for worker in workers:
        pipe.hgetall(keys.stats(worker))
    for found in pipe.execute():
        for key, value in found.items():
            key = text(key)
            if key.startswith(COUNTED):
                summed[key] = summed.get(key, 0) + int(value)
    return summed


def state(server: redis.Redis, keys: RunKeys) -> dict:
    """A run at a glance, for ``healtharchive status`` and the ingest's log: its meta, frontier, leases, workers
    (alive: heard from within the run's worker TTL), articles waiting and written, pages fetched and the recent
    rate."""
    info = meta(server, keys)
    now_s, now_us = server.time()
    now = now_s * 1000 + now_us // 1000
    ttl_ms = int(float(info.get("worker_ttl") or 10) * 1000)
    beats = {text(w): int(at) for w, at in server.zrange(keys.workers, 0, -1, withscores=True)}
    alive = sorted(w for w, at in beats.items() if now - at <= ttl_ms)
    pipe = server.pipeline(transaction=False)
    for worker in beats:
        pipe.zcard(keys.lease(worker))
    for worker in alive:
        pipe.hget(keys.stats(worker), "rate")
    found = pipe.execute()
    leased, rates = found[: len(beats)], found[len(beats) :]
    counted = totals(server, keys)
    return {
        "run": keys.name,
        "meta": info,
        "frontier": server.zcard(keys.requests),
        "leased": sum(leased),
        "workers": alive,
        "silent": sorted(set(beats) - set(alive)),
        "items_waiting": server.llen(keys.items) + server.llen(keys.processing),
        "pages": counted.get("response_received_count", 0),
        "pages_per_second": round(sum(float(r or 0) for r in rates), 2),
        "articles_pushed": counted.get("item_scraped_count", 0),
        "articles_ingested": int(info.get("ingested") or 0),
        "errors": counted.get("log_count/ERROR", 0),
    }


def phase(info: dict[str, str]) -> str:
    """Where a run is: waiting (for the ingest's knowledge), seeding, crawling, finished (frontier done), closed
    (written and its books closed by the ingest)."""
    if info.get("closed"):
        return "closed"
    if info.get("finished"):
        return "finished"
    if info.get("seeded") == "done":
        return "crawling"
    return "seeding" if info.get("knowledge") == "ready" else "waiting"


def register(server: redis.Redis, keys: RunKeys, fields: dict) -> dict[str, str]:
    """Record a run (first worker) or join it: its fields are set once, by whoever comes first; returns the
    run's meta as it stands."""
    pipe = server.pipeline(transaction=True)
    for field, value in fields.items():
        pipe.hsetnx(keys.meta, field, value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    pipe.zadd(RUNS, {keys.prefix: int(time.time() * 1000)}, nx=True)
    pipe.execute()
    return meta(server, keys)
