"""Distributed crawling: pages/s with 1, 2 and 4 workers on one machine, and what one ingest can write.

Run: .venv/bin/python bench/distributed.py [--hosts 4] [--articles 50] [--latency 0.1] [--concurrency 2]
     [--workers 1,2,4]

Serves ``--hosts`` generated centers (``SampleSite(generated=N)``, three pages per article) on 127.0.0.1, each
its own host (port), each answering after ``--latency`` seconds, and starts a ``redis-server`` (Debian's, append-only
file, as docs/scaling.md runs it) on a free port. Then, for each worker count, a fresh archive and one run of the
``pages`` spider over every article of every host (interleaved): ``healtharchive ingest --until-idle`` and N ``scrapy
crawl`` workers, real processes with the shipped settings except the politeness, which is per host for the whole run:
``HOST_CONCURRENCY`` requests in flight (``--concurrency``), no delay. "pages/s" is the pages the sites served (robots.txt
aside) over the time from the first to the last; "wall" is from the workers' start to the last exit (start-up
included). "max in flight" is the most requests one host saw start within one latency: the politeness holds when it
is at most ``--concurrency``.

The ingest's ceiling: a run with the ingest paused (SIGSTOP) once it has published the archive's knowledge; when the
workers are done, it is resumed and timed writing the queued articles (first crawl: every article new; then a
recrawl of the same archive: pages answer 304, articles unchanged).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, ROOT, SCRAPY, machine, table

from samplesite import SampleSite
from tests.redisserver import RedisServer

HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))


class TimedSite(SampleSite):
    """A generated center that notes when each request arrived."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.times: list[tuple[float, str]] = []
        self.times_lock = threading.Lock()

    def _record(self, method, path, headers):
        with self.times_lock:
            self.times.append((time.monotonic(), path))


def start(command, log: Path, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"), **kw)


def observed(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM observation_log").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


class Bench:
    def __init__(self, args, redis: RedisServer, sites: list[TimedSite], urls: Path, work: Path):
        self.args, self.redis, self.sites, self.urls, self.work = args, redis, sites, urls, work

    def settings(self, name: str, db: Path) -> list[str]:
        s = {
            "REDIS_URL": self.redis.url,
            "CRAWL_RUN": name,
            "ARCHIVE_DB": str(db),
            "ALLOW_PRIVATE_ADDRESSES": "True",
            "DOWNLOAD_DELAY": "0",
            "AUTOTHROTTLE_ENABLED": "False",
            "CONCURRENT_REQUESTS_PER_DOMAIN": str(self.args.concurrency),
            "PROGRESS_INTERVAL": "0",
            "LOG_LEVEL": "INFO",
        }
        return [x for k, v in s.items() for x in ("-s", f"{k}={v}")]

    def workers(self, name: str, db: Path, n: int) -> list[subprocess.Popen]:
        command = [SCRAPY, "crawl", "pages", "-a", f"urls_file={self.urls}", *self.settings(name, db)]
        return [start(command, self.work / f"{name}-w{i}.log") for i in range(n)]

    def ingest(self, name: str, db: Path) -> subprocess.Popen:
        command = [HEALTHARCHIVE, "ingest", "--redis", self.redis.url, "--db", str(db), "--until-idle"]
        return start(command, self.work / f"{name}-ingest.log")

    def crawl(self, n: int) -> list:
        """One run with n workers and the ingest alongside; a row of the table."""
        name, db = f"workers-{n}", self.work / f"workers-{n}" / "archive.db"
        db.parent.mkdir(parents=True)
        for site in self.sites:
            site.times.clear()
        ingest = self.ingest(name, db)
        began = time.monotonic()
        workers = self.workers(name, db, n)
        codes = [w.wait() for w in workers]
        wall = time.monotonic() - began
        if ingest.wait(timeout=600) or any(codes):
            raise SystemExit(f"run {name} failed: workers {codes}, ingest {ingest.returncode} (logs in {self.work})")
        times = sorted(t for site in self.sites for t, path in site.times if path != "/robots.txt")
        pages = len(times)
        busiest = max(self.in_flight(site) for site in self.sites)
        return [n, pages, f"{pages / (times[-1] - times[0]):.1f}", f"{wall:.1f}", busiest, observed(db)]

    def in_flight(self, site: TimedSite) -> int:
        """The most requests that started on one host within one latency (less a millisecond of clock jitter)."""
        starts = sorted(t for t, path in site.times)
        window = self.args.latency - 0.001
        most, first = 0, 0
        for last, t in enumerate(starts):
            while starts[first] <= t - window:
                first += 1
            most = max(most, last - first + 1)
        return most

    def ingest_ceiling(self, db: Path, name: str, workers: int) -> tuple[int, float, dict]:
        """Crawl with the ingest paused once it has started the run, then time it writing what waits; (articles,
        seconds, Redis memory per kind of key)."""
        server = self.redis.client()
        prefix = f"healtharchive:pages:{name}"
        ingest = self.ingest(name, db)
        try:
            crawlers = self.workers(name, db, workers)
            while server.hget(f"{prefix}:meta", "knowledge") != b"ready" or not server.hget(
                f"{prefix}:meta", "crawl_id"
            ):
                time.sleep(0.01)
            ingest.send_signal(signal.SIGSTOP)
            codes = [w.wait() for w in crawlers]
            memory = {
                "dupefilter": (server.memory_usage(f"{prefix}:dupefilter") or 0, server.scard(f"{prefix}:dupefilter")),
                "items": (server.memory_usage(f"{prefix}:items") or 0, server.llen(f"{prefix}:items")),
                "knowledge": (
                    sum(server.memory_usage(f"{prefix}:{k}") or 0 for k in ("known", "validators", "payloads", "live")),
                    server.hlen(f"{prefix}:validators"),
                ),
            }
            waiting = server.llen(f"{prefix}:items") + server.llen(f"{prefix}:items:processing")
            before = observed(db)
            began = time.monotonic()
            ingest.send_signal(signal.SIGCONT)
            while observed(db) < before + waiting and ingest.poll() is None:
                time.sleep(0.01)
            seconds = time.monotonic() - began
            if ingest.wait(timeout=600) or any(codes):
                raise SystemExit(
                    f"run {name} failed: workers {codes}, ingest {ingest.returncode} (logs in {self.work})"
                )
        finally:
            if ingest.poll() is None:
                ingest.send_signal(signal.SIGCONT)
                ingest.kill()
        return waiting, seconds, memory


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--articles", type=int, default=50, help="articles per host (three pages each)")
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=2, help="requests in flight per host, over all workers")
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args(argv)
    work = OUT / "distributed"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(machine())
    sites = [TimedSite(generated=args.articles, delay=args.latency, seed=i) for i in range(args.hosts)]
    with RedisServer(work / "redis") as redis:
        for site in sites:
            site.start()
        try:
            urls = work / "urls.txt"
            per_host = [[a["url"] for a in site.articles()] for site in sites]
            urls.write_text("\n".join(u for group in zip(*per_host) for u in group) + "\n")
            bench = Bench(args, redis, sites, urls, work)
            rows = [bench.crawl(int(n)) for n in args.workers.split(",")]
            db = work / "ceiling" / "archive.db"
            db.parent.mkdir()
            top = max(int(n) for n in args.workers.split(","))
            first = bench.ingest_ceiling(db, "ceiling-new", top)
            again = bench.ingest_ceiling(db, "ceiling-unchanged", top)
        finally:
            for site in sites:
                site.stop()
    print(
        f"\n{args.hosts} hosts x {args.articles} articles x 3 pages, {args.latency * 1000:.0f} ms per response, "
        f"{args.concurrency} in flight per host over the whole run (ceiling "
        f"{args.hosts * args.concurrency / args.latency:.0f} pages/s)\n"
    )
    print(table(["workers", "pages", "pages/s", "wall s", "max in flight per host", "articles written"], rows))
    print()
    ingest_rows = [
        [what, n, f"{seconds:.2f}", f"{n / seconds:.0f}"]
        for what, (n, seconds, _) in (("first crawl (new)", first), ("recrawl (unchanged, 304)", again))
    ]
    print(table(["ingest, articles waiting", "articles", "seconds", "articles/s"], ingest_rows))
    memory = first[2]
    print(
        f"\nRedis memory (first crawl, before the ingest): dupefilter {memory['dupefilter'][0] / max(1, memory['dupefilter'][1]):.0f}"
        f" B per URL, waiting articles {memory['items'][0] / max(1, memory['items'][1]):.0f} B each; "
        f"knowledge (recrawl) {again[2]['knowledge'][0] / max(1, again[2]['knowledge'][1]):.0f} B per known page"
    )


if __name__ == "__main__":
    main()
