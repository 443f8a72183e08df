"""Per-host politeness over all the workers of a run: one delay and one concurrency limit per host, in Redis.

Scrapy's ``DOWNLOAD_DELAY``, ``CONCURRENT_REQUESTS_PER_DOMAIN`` and AutoThrottle hold per process: N workers would
hit a site N times as hard. In a distributed run the add-on (``crawler/distributed/__init__.py``) turns them into
``HOST_DELAY``, ``HOST_CONCURRENCY`` and ``HOST_AUTOTHROTTLE``, which ``SharedPoliteness`` enforces for the whole
run, and switches the per-process ones off (a request must not wait again locally after it got its turn).

Before each request goes out (a retry or a redirect too) the middleware takes a token for its host in one Lua
script over ``P:polite:<host>:next`` (the earliest time the next request may start), ``:busy`` (requests in
flight on any worker: a turn is free again when its worker is taken for dead, at the latest after
``DOWNLOAD_TIMEOUT`` + 30 s) and
``:delay`` (AutoThrottle's delay for the host, shared: Scrapy's formula, fed by every worker's latencies). Without
a token it sleeps the time the script says and asks again. While Redis does not answer, nobody can coordinate, so
nobody sends. The delay is the spacing of request starts to a host over all workers, by Redis' clock.

Settings: ``REDIS_URL`` (without it, ``NotConfigured``), ``HOST_DELAY``, ``HOST_CONCURRENCY``,
``HOST_AUTOTHROTTLE`` with ``AUTOTHROTTLE_START_DELAY``, ``AUTOTHROTTLE_MAX_DELAY``,
``AUTOTHROTTLE_TARGET_CONCURRENCY``, ``DOWNLOAD_TIMEOUT``.
Stats: ``distributed/polite_wait_ms`` (time requests waited for their turn).
"""

from __future__ import annotations

import asyncio
import random
import uuid

from redis.exceptions import RedisError
from scrapy.exceptions import NotConfigured

from archive.urls import host_of

from .queue import NOW
from .run import RunKeys, client, run_name

# KEYS: next, busy, delay, workers   ARGV: worker|token, concurrency, delay_ms (floor), hold_ms, start_ms
# -> 0 (go) or ms to wait. A turn held by a worker the run no longer counts as alive (swept) is free again.
ACQUIRE = (
    NOW
    + """
local delay = math.max(tonumber(ARGV[3]), tonumber(redis.call('GET', KEYS[3]) or ARGV[5]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for _, turn in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if not redis.call('ZSCORE', KEYS[4], string.match(turn, '^(.*)|')) then redis.call('ZREM', KEYS[2], turn) end
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return math.max(10, math.min(250, tonumber(first[2]) - now))
end
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
redis.call('SET', KEYS[1], now + delay, 'PX', math.floor(delay) + 60000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) + 60000)
return 0
"""
)

# KEYS: delay   ARGV: latency_ms, target concurrency, min_ms, max_ms, start_ms, ok (1: a 200, which may lower it)
THROTTLE = """
local old = tonumber(redis.call('GET', KEYS[1]) or ARGV[5])
local target = tonumber(ARGV[1]) / tonumber(ARGV[2])
local new = math.max(target, (old + target) / 2)
new = math.floor(math.min(tonumber(ARGV[4]), math.max(tonumber(ARGV[3]), new)))
if ARGV[6] ~= '1' and new <= old then return old end
redis.call('SET', KEYS[1], new, 'EX', 86400)
return new
"""


class SharedPoliteness:
    """Downloader middleware, next to the downloader (990); see the module doc."""

    def __init__(self, crawler, server, keys: RunKeys):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.server = server
        self.keys = keys
        self.delay_ms = int(s.getfloat("HOST_DELAY") * 1000)
        self.concurrency = max(1, s.getint("HOST_CONCURRENCY", 1))
        self.hold_ms = int((s.getfloat("DOWNLOAD_TIMEOUT", 180) + 30) * 1000)
        self.throttle = server.register_script(THROTTLE) if s.getbool("HOST_AUTOTHROTTLE") else None
        self.start_ms = max(self.delay_ms, int(s.getfloat("AUTOTHROTTLE_START_DELAY") * 1000)) if self.throttle else 0
        self.max_ms = int(s.getfloat("AUTOTHROTTLE_MAX_DELAY") * 1000)
        self.target = s.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") or 1.0
        self.acquire = server.register_script(ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler, client(s), RunKeys.of(crawler.spidercls.name, run_name(s)))

    def worker(self) -> str:
        """This worker's id in the run (its scheduler's)."""
        return self.crawler.engine.scheduler.worker

    def _keys(self, url: str) -> list[str]:
        base = self.keys.polite(host_of(url))
        return [f"{base}:next", f"{base}:busy", f"{base}:delay"]

    async def process_request(self, request):
        keys = self._keys(request.url)
        token = f"{self.worker()}|{uuid.uuid4().hex}"
        waited = 0.0
        while True:
            try:
                wait_ms = self.acquire(
                    keys=[*keys, self.keys.workers],
                    args=[token, self.concurrency, self.delay_ms, self.hold_ms, self.start_ms],
                )
            except RedisError:
                wait_ms = 1000
            if wait_ms == 0:
                break
            pause = wait_ms / 1000 + random.uniform(0, 0.005)
            waited += pause
            await asyncio.sleep(pause)
        request.meta["polite_turn"] = (keys[1], token)
        if waited:
            self.stats.inc_value("distributed/polite_wait_ms", int(waited * 1000))

    def process_response(self, request, response):
        self._release(request)
        latency = request.meta.get("download_latency")
        if self.throttle is not None and latency is not None:
            try:
                self.throttle(
                    keys=self._keys(request.url)[2:],
                    args=[
                        int(latency * 1000),
                        self.target,
                        self.delay_ms,
                        self.max_ms,
                        self.start_ms,
                        1 if response.status == 200 else 0,
                    ],
                )
            except RedisError:
                pass  # the delay stays as it was
        return response

    def process_exception(self, request, exception):
        self._release(request)

    def _release(self, request):
        turn = request.meta.pop("polite_turn", None)
        if turn:
            try:
                self.server.zrem(*turn)
            except RedisError:
                pass  # it expires by itself
