"""The run's frontier: a scrapy-redis queue whose pop is a lease.

``LeaseQueue`` keeps scrapy-redis' queue interface (``push``, ``pop``, ``__len__``) and its request format, and
adds leases: ``pop`` moves the entry to the popping worker's lease set, where it stays until the worker acks it;
a worker that stops heartbeating is swept by any live one and its leases go back to the frontier. Every state
change is one Lua script, so an entry is always in exactly one place (the frontier or one lease set), and the
dupefilter is checked in the same script as the push (a worker killed between the two would otherwise leave a
fingerprint with no request: the page would never be fetched). Keys: ``run.RunKeys``. Times are Redis' clock,
so the machines' clocks need not agree.
"""

from __future__ import annotations

from scrapy_redis.queue import Base

from .run import KEEP, RunKeys

NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS: requests, payload, seq, dupefilter   ARGV: payload, score, fingerprint ('' = no dedupe)   -> 1 pushed, 0 seen
PUSH = """
if ARGV[3] ~= '' and redis.call('SADD', KEYS[4], ARGV[3]) == 0 then return 0 end
local id = string.format('%015d', redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], id, ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], id)
return 1
"""

# KEYS: requests, payload, lease, workers   ARGV: worker   -> {id, payload}, {} when empty, error FENCED when the
# worker was swept (it must heartbeat, re-registering, before it takes work again).
POP = """
if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then return redis.error_reply('FENCED') end
while true do
  local e = redis.call('ZPOPMIN', KEYS[1])
  if #e == 0 then return {} end
  local payload = redis.call('HGET', KEYS[2], e[1])
  if payload then
    redis.call('ZADD', KEYS[3], e[2], e[1])
    return {e[1], payload}
  end
end
"""

# KEYS: lease, payload, stats   ARGV: id, then the worker's counters as name, value pairs.
# Only the holder's ack removes the entry (a swept lease belongs to the frontier again). The counters go with it,
# so that a finished run's totals hold everything its acked entries counted.
ACK = """
if #ARGV > 1 then redis.call('HSET', KEYS[3], unpack(ARGV, 2)) end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('HDEL', KEYS[2], ARGV[1]); return 1 end
return 0
"""

# KEYS: workers, roster   ARGV: worker   -> 1 when the worker was (re)registered, 0 when it was known
HEARTBEAT = (
    NOW
    + """
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('ZADD', KEYS[1], now, ARGV[1])
"""
)

# KEYS: workers, requests, meta   ARGV: prefix, ttl_ms, worker ('' = every worker silent for longer than ttl_ms)
# -> {worker, entries returned, ...}: the leases of dead workers (or of a worker leaving) back in the frontier.
SWEEP = (
    NOW
    + """
local gone
if ARGV[3] ~= '' then gone = {ARGV[3]} else
  gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2])) end
local out = {}
for _, w in ipairs(gone) do
  local lease = ARGV[1] .. ':lease:' .. w
  local held = redis.call('ZRANGE', lease, 0, -1, 'WITHSCORES')
  for i = 1, #held, 2 do redis.call('ZADD', KEYS[2], held[i + 1], held[i]) end
  redis.call('DEL', lease)
  redis.call('ZREM', KEYS[1], w)
  if #held > 0 then redis.call('HINCRBY', KEYS[3], 'requeued', #held / 2) end
  table.insert(out, w); table.insert(out, #held / 2)
end
return out
"""
)

# KEYS: meta, requests, workers   ARGV: prefix   -> 1 when the run is finished (and from then on), else 0:
# seeded, an empty frontier, no worker holding a lease.
FINISHED = """
if redis.call('HGET', KEYS[1], 'finished') then return 1 end
if redis.call('HGET', KEYS[1], 'seeded') ~= 'done' then return 0 end
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
for _, w in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if redis.call('ZCARD', ARGV[1] .. ':lease:' .. w) > 0 then return 0 end
end
redis.call('HSET', KEYS[1], 'finished', redis.call('TIME')[1])
return 1
"""

# KEYS: meta, workers   ARGV: worker   -> 'seed' (this worker seeds), 'wait' (a live worker seeds) or 'done'.
# A seeder that died before it was done is replaced: its start requests are pushed again, and the dupefilter
# drops the ones it had pushed.
CLAIM_SEEDER = """
if redis.call('HGET', KEYS[1], 'seeded') == 'done' then return 'done' end
local s = redis.call('HGET', KEYS[1], 'seeder')
if s == ARGV[1] then return 'seed' end
if (not s) or not redis.call('ZSCORE', KEYS[2], s) then
  redis.call('HSET', KEYS[1], 'seeder', ARGV[1]); return 'seed' end
return 'wait'
"""


class Fenced(Exception):
    """This worker was swept as dead: what it held is someone else's now."""


class LeaseQueue(Base):
    """scrapy-redis' queue with leases (see the module doc); ``pop`` returns (entry id, request) or None."""

    def __init__(self, server, spider, key, serializer=None, keys: RunKeys | None = None, worker: str = ""):
        super().__init__(server, spider, key, serializer)
        self.keys = keys or RunKeys(key.removesuffix(":requests"))
        self.worker = worker
        script = server.register_script  # redis-py loads a script again after NOSCRIPT (a restarted Redis)
        self._push, self._pop, self._ack = script(PUSH), script(POP), script(ACK)
        self._heartbeat, self._sweep = script(HEARTBEAT), script(SWEEP)
        self._finished, self._claim = script(FINISHED), script(CLAIM_SEEDER)

    def __len__(self):
        return self.server.zcard(self.keys.requests)

    def push(self, request, fingerprint: str = "") -> bool:
        """Add ``request`` unless ``fingerprint`` was seen in this run; True when it was added."""
        k = self.keys
        return bool(
            self._push(
                keys=[k.requests, k.payload, k.seq, k.dupefilter],
                args=[self._encode_request(request), -request.priority, fingerprint],
            )
        )

    def pop(self, timeout=0):
        k = self.keys
        try:
            found = self._pop(keys=[k.requests, k.payload, k.lease(self.worker), k.workers], args=[self.worker])
        except Exception as exc:
            if "FENCED" in str(exc):
                raise Fenced(self.worker) from None
            raise
        if not found:
            return None
        return found[0].decode(), self._decode_request(found[1])

    def ack(self, entry: str, counters: dict[str, int]) -> bool:
        """Done with ``entry`` (its requests pushed, its article pushed); ``counters`` are the worker's counters
        now. False when the lease was swept meanwhile (another worker does it again)."""
        k = self.keys
        flat = [x for pair in counters.items() for x in pair]
        return bool(self._ack(keys=[k.lease(self.worker), k.payload, k.stats(self.worker)], args=[entry, *flat]))

    def heartbeat(self) -> bool:
        """Tell the run this worker lives; True when it was (re)registered."""
        return bool(self._heartbeat(keys=[self.keys.workers, self.keys.roster], args=[self.worker]))

    def sweep(self, ttl_ms: int, worker: str = "") -> list[tuple[str, int]]:
        """Return the leases of workers silent for ``ttl_ms`` (or of ``worker``) to the frontier."""
        k = self.keys
        found = self._sweep(keys=[k.workers, k.requests, k.meta], args=[k.prefix, ttl_ms, worker])
        return [(found[i].decode(), int(found[i + 1])) for i in range(0, len(found), 2)]

    def finished(self) -> bool:
        k = self.keys
        return bool(self._finished(keys=[k.meta, k.requests, k.workers], args=[k.prefix]))

    def claim_seeder(self) -> str:
        return self._claim(keys=[self.keys.meta, self.keys.workers], args=[self.worker]).decode()

    def seeded(self) -> None:
        self.server.hset(self.keys.meta, mapping={"seeded": "done", "seeded_by": self.worker})

    def held(self) -> int:
        return self.server.zcard(self.keys.lease(self.worker))

    def counters(self, counters: dict[str, int], rate: float) -> None:
        """This worker's counters and its pages/s now; kept ``KEEP`` seconds after its last word."""
        key = self.keys.stats(self.worker)
        pipe = self.server.pipeline(transaction=False)
        pipe.hset(key, mapping={**counters, "rate": f"{rate:.2f}"})
        pipe.expire(key, KEEP)
        pipe.execute()

    def clear(self):
        raise RuntimeError("a run's keys belong to the run: the ingest drops them once it has closed the run")
