"""``healtharchive ingest --redis URL --db PATH [--until-idle]``: the one writer of distributed runs.

Workers (``scrapy crawl ... -s REDIS_URL=... -s CRAWL_RUN=...``, ``crawler/distributed/``) push finished articles to
Redis; the ingest writes them into the archive, each exactly once whatever is killed and restarted:

- an article moves from the run's ``items`` list to its ``items:processing`` list (LMOVE) before it is written,
  and leaves it only after its transaction committed; an ingest that dies anywhere leaves it there, and the next
  one takes it first;
- the transaction that writes an article also records it as written for the run (``ingest_articles``), so a
  replayed one (that ingest's, or one a killed worker's replacement fetched again) changes nothing;
- an article held until its site's chrome is known (``pipelines/recorder.py``) is kept in the archive
  (``held_articles``) and counts as written from then on: the next ingest takes the held ones back and writes them
  when it has seen enough of the site, or when the run closes. No version is ever rewritten afterwards.

One run is one ``crawls`` row, written through the same ``pipelines.recorder.Recorder`` as a single-machine crawl
(the site's chrome learned across the run's articles, versions, outcomes), and kept across ingest restarts. When a
run appears the ingest starts its crawl and publishes what the archive knows of the run's sites (revisits,
validators, earlier payloads: ``crawler/distributed/knowledge.py``); the run's seeder waits for it. When the run
has finished its frontier and every article of it is written, the ingest counts the run's misses, closes the
crawl's books in one transaction and drops the run's bulky keys from Redis.

One ingest per Redis (``healtharchive:ingest`` names it; a second one waits) and per archive (its lock).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import time
from dataclasses import dataclass

import click
from redis.exceptions import RedisError

from archive import Archive, ArchiveError
from archive.lock import ArchiveLock
from archive.store import process_alive
from crawler.distributed import knowledge, run
from crawler.items import from_json
from pipelines.recorder import Recorder
from pipelines.verdict import verdict

from .common import db_option, log_to_stderr

logger = logging.getLogger("healtharchive.ingest")

BATCH = 50  # articles taken from one run before looking at the next
IDLE = 0.1  # seconds between looks when there is nothing to write
CLAIM_MS = 60_000  # the ingest's claim on Redis, renewed at every look


class Failed(Exception):
    """The archive cannot be written: the ingest stops (the article stays in Redis for the next one)."""


@dataclass
class Run:
    keys: run.RunKeys
    recorder: Recorder
    info: dict
    written: int = 0
    replayed: int = 0


class Ingest:
    """Writes every run's articles into the archive at ``db`` (see the module doc)."""

    def __init__(self, server, db: str):
        self.server = server
        self.db = db
        self.lock = ArchiveLock(db)
        self.claim = f"{socket.gethostname()} {os.getpid()} {time.time_ns()}"
        self.open: dict[str, Run] = {}
        self.seen: set[str] = set()
        self.stopping = False
        self.down = False
        self.archive: Archive | None = None

    def stop(self, *_):
        self.stopping = True

    def serve(self, until_idle: bool) -> int:
        """Write until stopped (or, ``until_idle``, until every run seen is closed); returns the exit status."""
        self.take_claim()
        self.lock.acquire(
            wait=True,
            on_wait=lambda pid: logger.warning("waiting for the archive %s: pid %s is writing it", self.db, pid),
        )
        try:
            self.archive = Archive(self.db)
            logger.info("ingest writing %s from %s", self.db, self.server.connection_pool.connection_kwargs["host"])
            while not self.stopping:
                try:
                    self.renew_claim()
                    self.discover()
                    if self.write_some():
                        continue
                    self.close_finished()
                    if self.down:
                        logger.info("Redis answers again")
                        self.down = False
                except RedisError as exc:
                    if not self.down:
                        logger.warning("Redis does not answer (%s): waiting for it", exc)
                        self.down = True
                    time.sleep(1)
                    continue
                if until_idle and self.seen and not self.open:
                    logger.info("every run seen is closed: done")
                    return 0
                time.sleep(IDLE)
            logger.info("stopped: %d run(s) left open, to go on with the next ingest", len(self.open))
            return 0
        except Failed as exc:
            logger.error("%s", exc)
            return 1
        finally:
            for open_run in self.open.values():
                open_run.recorder.leave()
            if self.archive is not None:
                self.archive.close()
            self.lock.release()
            self.drop_claim()

    # one ingest per Redis

    def take_claim(self):
        told = False
        while not self.stopping:
            if self.server.set(run.INGEST, self.claim, nx=True, px=CLAIM_MS):
                return
            holder = (run.text(self.server.get(run.INGEST)) or "").split()
            if len(holder) == 3 and holder[0] == socket.gethostname() and not process_alive(int(holder[1])):
                self.server.set(run.INGEST, self.claim, px=CLAIM_MS)  # left by a killed ingest of this machine
                return
            if not told:
                logger.warning("another ingest (%s) writes this Redis's runs: waiting", " ".join(holder[:2]))
                told = True
            time.sleep(1)

    def renew_claim(self):
        holder = run.text(self.server.get(run.INGEST))
        if holder not in (None, self.claim):
            raise Failed(f"another ingest ({holder}) took over this Redis's runs: stopping")
        self.server.set(run.INGEST, self.claim, px=CLAIM_MS)

    def drop_claim(self):
        try:
            if run.text(self.server.get(run.INGEST)) == self.claim:
                self.server.delete(run.INGEST)
        except RedisError:
            pass  # it expires

    # runs

    def discover(self):
        for open_run in list(self.open.values()):
            if run.run_lost(self.server, open_run.keys, open_run.info["id"]):
                self.abandon(open_run)
        for keys in run.runs(self.server):
            if keys.prefix in self.open:
                continue
            info = run.meta(self.server, keys)
            if info.get("id") and not info.get("closed"):
                self.start(keys, info)

    def start(self, keys: run.RunKeys, info: dict):
        row = self.archive.run_crawl(info["id"])
        if row and row["closed"]:  # closed in the archive by an ingest killed before it told Redis
            self.release(keys, row["crawl_id"])
            return
        scope = json.loads(info.get("scope") or "null")
        if info.get("knowledge") != "ready":
            counts = knowledge.publish(
                self.server, keys, self.archive.conn, json.loads(info.get("hosts") or "null"), scope
            )
            logger.info("run %s: published what the archive knows of it %s", keys.name, counts)
        recorder = Recorder(
            self.db,
            int(info.get("gone_after") or 3),
            int(info.get("template_min_articles") or 3),
            lock=self.lock,
            hold=int(info.get("chrome_learn_articles") or 0),
            load_item=from_json,
        )
        try:
            crawl_id = recorder.open(
                info["spider"],
                info.get("profile") or "",
                json.loads(info.get("args") or "{}"),
                scope,
                run=(info["id"], keys.name),
                started_at=info.get("started"),
            )
        except (sqlite3.Error, ArchiveError) as exc:
            raise Failed(f"cannot start run {keys.name} in {self.db}: {exc}") from exc
        self.open[keys.prefix] = Run(keys, recorder, info)
        self.seen.add(keys.prefix)
        self.server.hset(keys.meta, "crawl_id", crawl_id)
        logger.info("run %s is crawl %d%s", keys.name, crawl_id, " (resumed)" if row else "")

    def write_some(self) -> int:
        """Write up to BATCH articles of each open run; returns how many were taken."""
        taken = 0
        for open_run in list(self.open.values()):
            k = open_run.keys
            for _ in range(BATCH):
                # one left by an ingest that died first, then the oldest waiting
                data = self.server.lindex(k.processing, -1) or self.server.lmove(k.items, k.processing, "RIGHT", "LEFT")
                if data is None:
                    break
                self.write(open_run, data)
                taken += 1
        return taken

    def write(self, open_run: Run, data: bytes):
        k = open_run.keys
        try:
            item = from_json(data)
        except (ValueError, TypeError) as exc:
            logger.error("run %s: an article that cannot be read, set aside in %s:rejected: %s", k.name, k.items, exc)
            self.server.lmove(k.processing, f"{k.items}:rejected", "RIGHT", "LEFT")
            return
        if open_run.recorder.written(item.url):
            open_run.replayed += 1
            written = 0
        else:
            try:
                open_run.recorder.record(item)
            except (sqlite3.Error, ArchiveError) as exc:
                raise Failed(f"cannot write {item.url} to {self.db}: {exc}") from exc
            open_run.written += 1
            written = 1
        pipe = self.server.pipeline(transaction=True)
        pipe.lrem(k.processing, -1, data)
        pipe.hincrby(k.meta, "ingested", written)
        pipe.execute()

    def close_finished(self):
        for open_run in list(self.open.values()):
            k = open_run.keys
            if not self.server.hget(k.meta, "finished"):
                continue
            if self.server.llen(k.items) or self.server.llen(k.processing):
                continue  # (finished implies every article was pushed: these are the last ones)
            self.close(open_run)

    def close(self, open_run: Run):
        k, info = open_run.keys, open_run.info
        counted = run.totals(self.server, k)
        ending = verdict(counted, "finished")
        scope = json.loads(info.get("scope") or "null")
        try:
            gone = open_run.recorder.close(
                ending.status,
                "finished",
                counted.get("response_received_count", 0),
                counted.get("log_count/ERROR", 0),
                scope=(tuple(scope["hosts"]), tuple(scope["paths"])) if scope else None,
            )
        except (sqlite3.Error, ArchiveError) as exc:
            raise Failed(f"cannot close run {k.name} in {self.db}: {exc}") from exc
        del self.open[k.prefix]
        crawl_id = open_run.recorder.crawl_id
        outcomes = self.archive.outcome_counts(crawl_id)
        logger.info(
            "run %s closed: crawl %d %s (%s), %d missed articles now gone; %d articles written here, %d replays skipped",
            k.name,
            crawl_id,
            ending.status,
            ", ".join(f"{n} {name}" for name, n in outcomes.items() if n),
            gone,
            open_run.written,
            open_run.replayed,
        )
        self.release(k, crawl_id)

    def abandon(self, open_run: Run):
        """A run Redis lost (a restart without its data): its crawl ends ``stopped``, keeping what it wrote and
        counting no miss; workers started again begin a new run."""
        recorder = open_run.recorder
        try:
            recorder.close("stopped", "its run was lost from Redis", 0, 0)
        except (sqlite3.Error, ArchiveError) as exc:
            raise Failed(f"cannot stop run {open_run.keys.name} in {self.db}: {exc}") from exc
        del self.open[open_run.keys.prefix]
        logger.warning(
            "run %s is gone from Redis: crawl %d stopped with the %d articles written",
            open_run.keys.name,
            recorder.crawl_id,
            open_run.written,
        )

    def release(self, keys: run.RunKeys, crawl_id: int):
        """Tell Redis the run is closed, drop its bulky keys and let the rest expire."""
        self.server.hset(keys.meta, mapping={"closed": int(time.time()), "crawl_id": crawl_id})
        doomed = [getattr(keys, name) for name in run.HEAVY]
        kept = [keys.meta, keys.workers, keys.roster]
        for pattern, bucket in ((f"{keys.prefix}:lease:*", doomed), (f"{keys.prefix}:polite:*", doomed)):
            bucket.extend(self.server.scan_iter(match=pattern, count=500))
        kept.extend(self.server.scan_iter(match=f"{keys.prefix}:stats:*", count=500))
        pipe = self.server.pipeline(transaction=False)
        pipe.delete(*doomed)
        for key in kept:
            pipe.expire(key, run.KEEP)
        pipe.execute()


@click.command(name="ingest")
@click.option("--redis", "redis_url", required=True, help="The Redis of the runs, e.g. redis://10.0.0.2:6379/0.")
@db_option
@click.option(
    "--until-idle",
    is_flag=True,
    help="Wait for a run to appear, then exit once every run seen is finished and written (else: run until stopped).",
)
def ingest_command(redis_url, db_path, until_idle):
    """Write the articles that distributed crawl workers push to Redis into the archive, each exactly once.

    Example: healtharchive ingest --redis redis://10.0.0.2:6379/0 --db archive.db   (see docs/scaling.md)
    """
    log_to_stderr()
    server = connect(redis_url, retries=8)
    ingest = Ingest(server, db_path)
    signal.signal(signal.SIGTERM, ingest.stop)
    signal.signal(signal.SIGINT, ingest.stop)
    sys.exit(ingest.serve(until_idle))


def connect(url: str, retries: int):
    """A Redis client for ``url``, or a one-line error when it is no Redis URL or nothing answers there."""
    try:
        server = run.connect(url, retries=retries)
        server.ping()
    except ValueError as exc:
        raise click.UsageError(f"--redis {url}: {exc}") from exc
    except RedisError as exc:
        raise click.ClickException(f"cannot reach Redis at {url}: {exc}") from exc
    return server
