"""What the archive knows, for workers that have no archive: published in Redis by the ingest when a run starts.

A crawl reads the archive for three things: the live articles of its center, which it revisits (so that one
that disappeared is seen answering 404); the validators (ETag, Last-Modified) its article pages were last
served with, for conditional requests; and the last payload digest of each page, which lets the WARC writer
store an unchanged page as a revisit record. Workers on other machines have no ``archive.db``: the ingest, which
has it, publishes these for the run's hosts (``publish``) before the run is seeded, and the workers read them
through ``RunKnowledge``, which answers like the read-only ``Archive`` the spider and the WARC writer use in a
single-machine crawl. The seeder waits for it (``seeding.SeedOnce``), so a run never starts blind: without
revisits, a recrawl would count a miss for every live article no hub links to; a worker loads it before it takes its
first request (``scheduler.LeaseScheduler.next_request``).

Keys (``run.RunKeys``): ``P:live`` (JSON list of the live articles in the run's scope, with their page URLs),
``P:known`` (live article URL -> the page URLs of its current version), ``P:validators`` (page URL -> [ETag, Last-Modified]), ``P:payloads``
(page URL -> the capture row of its last payload). A run's knowledge is what the archive held when it started
(a single-machine crawl reads it as it goes: the same, since one run's own writes concern the articles it has
already requested).
"""

from __future__ import annotations

import json

from archive import queries
from archive.urls import in_scope
from archive.warc import EMPTY_DIGEST

from .run import RunKeys

BATCH = 1000


class RunKnowledge:
    """The archive's knowledge of a run, read once from Redis (``load``), behind the read-only ``Archive`` methods a
    crawl calls. In memory, so that a Redis outage never fails a page: a few MB for a center of 10,000 articles."""

    def __init__(self, server, keys: RunKeys):
        self.server = server
        self.keys = keys
        self.loaded = False
        self.live: list[dict] = []
        self.known: dict[str, list[str]] = {}
        self.validator: dict[str, tuple] = {}
        self.payload: dict[str, dict] = {}

    def load(self) -> bool:
        """Read the run's knowledge if the ingest has published it; True once it is loaded."""
        if not self.loaded and self.server.hget(self.keys.meta, "knowledge") == b"ready":
            pipe = self.server.pipeline(transaction=False)
            pipe.get(self.keys.live)
            for key in (self.keys.known, self.keys.validators, self.keys.payloads):
                pipe.hgetall(key)
            live, known, validators, payloads = pipe.execute()
            self.live = json.loads(live or "[]")
            self.known = {url.decode(): json.loads(pages) for url, pages in known.items()}
            self.validator = {url.decode(): tuple(json.loads(pair)) for url, pair in validators.items()}
            self.payload = {url.decode(): json.loads(row) for url, row in payloads.items()}
            self.loaded = True
        return self.loaded

    def live_articles(self, hosts, paths) -> list[dict]:
        return [a for a in self.live if in_scope(a["url"], hosts, paths)]

    def known_pages(self, url: str) -> list[str] | None:
        return self.known.get(url)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        return self.validator.get(url, (None, None))

    def last_payload(self, url: str, empty_digest: str) -> dict | None:
        return self.payload.get(url)

    def close(self):
        pass  # the client is the scheduler's


def publish(server, keys: RunKeys, conn, hosts: list[str] | None, scope: dict | None) -> dict[str, int]:
    """Publish what the archive (``conn``) knows of ``hosts`` (every host when None) for the run ``keys``, then mark
    it ready; returns how many of each were published. Safe to run again (an ingest killed half-way)."""
    known = queries.known_to_crawl(conn, hosts, EMPTY_DIGEST)
    live = queries.live_articles(conn, scope["hosts"], scope["paths"]) if scope else []
    server.delete(keys.known, keys.validators, keys.payloads, keys.live)
    for key, values in ((keys.known, known["known"]), (keys.validators, known["validators"])):
        _hset(server, key, {url: json.dumps(value) for url, value in values.items()})
    _hset(server, keys.payloads, {url: json.dumps(row) for url, row in known["payloads"].items()})
    server.set(keys.live, json.dumps([{"url": a["url"], "page_urls": a["page_urls"]} for a in live]))
    counts = {"live": len(live), **{name: len(values) for name, values in known.items()}}
    server.hset(keys.meta, mapping={"knowledge": "ready", "knowledge_counts": json.dumps(counts)})
    return counts


def _hset(server, key: str, mapping: dict[str, str]) -> None:
    items = list(mapping.items())
    pipe = server.pipeline(transaction=False)
    for start in range(0, len(items), BATCH):
        pipe.hset(key, mapping=dict(items[start : start + BATCH]))
    pipe.execute()
