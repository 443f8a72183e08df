"""Distributed crawls (crawler/distributed/, healtharchive ingest): real `scrapy crawl` workers and a real ingest on a
real redis-server this module starts, against the sample center, compared with single-machine crawls of the same site.

Short heartbeats and leases (WORKER_TTL=4 s) keep the kill and restart tests short.
"""

import copy
import json
import os
import re
import signal
import sqlite3
import subprocess
import time

import pytest

from archive.warc import EMPTY_DIGEST, read_record, resolve_warc_path
from samplesite import SampleSite
from tests.conftest import ROOT, crawl_command, run_crawl
from tests.redisserver import RedisServer

HEALTHARCHIVE = str(ROOT / ".venv" / "bin" / "healtharchive")
WORKER = {"WORKER_HEARTBEAT": "0.5", "WORKER_TTL": "4", "EXTRACT_WORKERS": "1", "PROGRESS_INTERVAL": "0"}


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A center of 30 generated three-page articles, and what one single-machine crawl archives of it."""
    with SampleSite(generated=30) as site:
        db = tmp_path_factory.mktemp("generated") / "archive.db"
        single(site, db)
        yield site, held(db)


class Run:
    """Workers and an ingest of one run, each in its own session, with their logs in ``folder``."""

    def __init__(self, redis, site, db, name, folder, **settings):
        self.redis, self.site, self.db, self.name, self.folder = redis, site, db, name, folder
        self.settings = {**WORKER, "REDIS_URL": redis.url, "CRAWL_RUN": name, **settings}
        self.workers: list[subprocess.Popen] = []
        self.ingests: list[subprocess.Popen] = []

    def _start(self, command, log):
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / log, "w"),
        )

    def worker(self):
        command = crawl_command("healthcenter", self.db, f"start_url={self.site.hub_url}", settings=self.settings)
        self.workers.append(self._start(command, f"{self.name}-w{len(self.workers)}.log"))
        return self.workers[-1]

    def ingest(self):
        command = [HEALTHARCHIVE, "ingest", "--redis", self.redis.url, "--db", str(self.db), "--until-idle"]
        self.ingests.append(self._start(command, f"{self.name}-ingest{len(self.ingests)}.log"))
        return self.ingests[-1]

    def log(self, process) -> str:
        for group, prefix in ((self.workers, "w"), (self.ingests, "ingest")):
            if process in group:
                return (self.folder / f"{self.name}-{prefix}{group.index(process)}.log").read_text()
        raise ValueError(process)

    def kill(self, process):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def wait(self, timeout=120):
        """Every worker and the last ingest end; returns their exit statuses."""
        deadline = time.monotonic() + timeout
        try:
            codes = [p.wait(timeout=max(1, deadline - time.monotonic())) for p in self.workers if p.returncode is None]
            codes.append(self.ingests[-1].wait(timeout=max(1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            self.stop()
            logs = "\n".join(self.log(p)[-3000:] for p in self.ingests)
            raise AssertionError(f"the run did not end:\n{logs}") from None
        return codes

    def stop(self):
        for process in self.workers + self.ingests:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def differences(got: dict, want: dict) -> str:
    """What two ``held`` views disagree on, one line per article (or the crawls) and field: '' when they agree.
    (Use it as ``assert not found, found``: pytest's repr of a long value elides its middle, which once joined one
    article's URL to another article's title.)"""
    lines = []
    for url in sorted(set(got["articles"]) | set(want["articles"])):
        mine, theirs = got["articles"].get(url), want["articles"].get(url)
        if mine is None or theirs is None:
            lines.append(f"{url}: {'missing' if mine is None else 'extra'} ({mine or theirs})")
            continue
        lines += [f"{url}: {k} {mine[k]} != {theirs[k]}" for k in mine if mine[k] != theirs[k]]
    if got["crawls"] != want["crawls"]:
        lines.append(f"crawls: {got['crawls']} != {want['crawls']}")
    return "\n".join(lines)


def held(db) -> dict:
    """What an archive holds, comparable across archives of the same site: per article its status, versions
    (number, content hash, pages, title) and observations (crawl, outcome), and each crawl's status."""
    conn = sqlite3.connect(db)
    try:
        articles = {
            url: {"status": status, "versions": [], "observations": []}
            for url, status in conn.execute("SELECT url, status FROM articles")
        }
        for url, *version in conn.execute(
            "SELECT a.url, v.version, v.content_hash, v.page_count, v.title FROM versions v "
            "JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.version"
        ):
            articles[url]["versions"].append(tuple(version))
        for url, *observation in conn.execute(
            "SELECT a.url, o.crawl_id, o.outcome FROM observations o JOIN articles a ON a.id = o.article_id "
            "ORDER BY a.url, o.crawl_id"
        ):
            articles[url]["observations"].append(tuple(observation))
        crawls = [tuple(r) for r in conn.execute("SELECT id, spider, status, finish_reason FROM crawls ORDER BY id")]
    finally:
        conn.close()
    return {"articles": articles, "crawls": crawls}


def fetched(site) -> list[tuple[str, str]]:
    """The pages the site served (path, conditional or not), robots.txt aside, sorted."""
    return sorted(
        (path, "conditional" if "If-None-Match" in headers else "full")
        for _, path, headers in site.requests
        if path != "/robots.txt"
    )


def wait_until(condition, timeout=60, what="it"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def observed(db, table: str = "observation_log") -> int:
    """Rows of ``table`` (default: observations), 0 while the archive has no such table."""
    try:
        conn = sqlite3.connect(db)
        try:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def single(site, db):
    result = run_crawl("healthcenter", db, f"start_url={site.hub_url}")
    assert result.returncode == 0, result.stderr[-3000:]


def captures_readable(db):
    """Every capture with a WARC record points at a worker's file that holds it."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT url, warc_file, warc_offset FROM captures WHERE warc_file IS NOT NULL").fetchall()
    conn.close()
    assert rows
    for url, file, offset in rows:
        headers, _, _ = read_record(resolve_warc_path(file, str(db)), offset)
        assert headers.get_header("WARC-Target-URI") == url


def test_two_workers_and_the_ingest_archive_what_one_crawl_does(redis_server, tmp_path):
    """Two workers and the ingest give the archive a single-machine crawl gives, for a first crawl and a recrawl
    (revisits, conditional requests, a removed article gone, edited ones changed): same articles, versions, content
    hashes and outcomes, one observation per article per crawl; every page fetched as often as one crawl does."""
    with SampleSite() as site:
        one, many = tmp_path / "one" / "archive.db", tmp_path / "many" / "archive.db"
        for round_ in (1, 2):
            site.set_round(round_)
            site.clear_requests()
            single(site, one)
            alone = fetched(site)
            site.clear_requests()
            run = Run(redis_server, site, many, f"round{round_}", tmp_path)
            run.ingest()
            run.worker()
            run.worker()
            assert run.wait() == [0, 0, 0], run.log(run.ingests[0])[-3000:]
            assert fetched(site) == alone  # each page as often as one crawl fetches it (a 304 refetched: twice)
            found = differences(held(many), held(one))
            assert not found, found
        captures_readable(many)
    archive = held(many)
    assert [c[2] for c in archive["crawls"]] == ["finished", "finished"]
    outcomes = {o[1] for a in archive["articles"].values() for o in a["observations"]}
    assert {"new", "changed", "unchanged", "gone"} <= outcomes
    for article in archive["articles"].values():
        crawls = [o[0] for o in article["observations"]]
        assert len(crawls) == len(set(crawls))
    log = run.log(run.ingests[0])
    assert "run healthcenter:round2 closed: crawl 2 finished" in log, log[-2000:]
    late = run_crawl("healthcenter", many, f"start_url={site.hub_url}", settings=run.settings, timeout=60)
    assert late.returncode == 0 and "run healthcenter:round2 finished" in late.stderr  # a closed run: nothing to do
    assert held(many) == archive
    status = subprocess.run(
        [HEALTHARCHIVE, "status", "--redis", redis_server.url, "--format", "json"], capture_output=True, text=True
    )
    runs = {r["run"]: r for r in json.loads(status.stdout)["runs"]}
    second = runs["healthcenter:round2"]
    assert second["meta"]["closed"] and second["meta"]["crawl_id"] == "2" and second["frontier"] == 0
    assert second["articles_ingested"] == second["articles_pushed"] > 0 and second["pages"] >= len(alone)
    text = subprocess.run([HEALTHARCHIVE, "status", "--redis", redis_server.url], capture_output=True, text=True).stdout
    assert "healthcenter:round2  closed, crawl 2" in text and "workers alive 0" in text, text


def test_workers_read_the_archive_as_published_exactly_as_a_crawl_reads_it(redis_server, two_round_archive):
    """What the ingest publishes for a run answers every question a crawl asks the archive (revisits, an article's
    known pages, validators, earlier payloads) as the archive itself does, unknown URLs included."""
    from archive import Archive
    from crawler.distributed import knowledge
    from crawler.distributed.run import RunKeys

    keys = RunKeys.of("healthcenter", "parity")
    server = redis_server.client()
    with Archive(two_round_archive, readonly=True) as archive:
        scope = json.loads(archive.conn.execute("SELECT scope FROM crawls ORDER BY id DESC").fetchone()[0])
        knowledge.publish(server, keys, archive.conn, scope["hosts"], scope)
        view = knowledge.RunKnowledge(server, keys)
        assert view.load()
        assert view.live_articles(scope["hosts"], scope["paths"]) == [
            {"url": a["url"], "page_urls": a["page_urls"]}
            for a in archive.live_articles(scope["hosts"], scope["paths"])
        ]
        articles = [r[0] for r in archive.conn.execute("SELECT url FROM articles")]
        pages = [r[0] for r in archive.conn.execute("SELECT url FROM urls")]
        unknown = f"http://{scope['hosts'][0]}/breast-cancer/never-archived"
        for url in [*articles, unknown]:
            assert view.known_pages(url) == archive.known_pages(url), url
        for url in [*pages, unknown]:
            assert view.validators(url) == archive.validators(url), url
            assert view.last_payload(url, EMPTY_DIGEST) == archive.last_payload(url, EMPTY_DIGEST), url
    assert any(view.validators(url) != (None, None) for url in pages)
    assert server.hget(keys.meta, "knowledge") == b"ready"


def test_a_killed_worker_and_a_killed_ingest_lose_nothing_and_write_nothing_twice(redis_server, generated, tmp_path):
    """SIGKILL of a worker mid-crawl (a replacement joins; the dead one's leases come back after WORKER_TTL) and of
    the ingest (restarted, with an article queued twice, as a dead worker's redone article would be): the archive is
    the one a single-machine crawl makes, every article written once."""
    site, reference = generated
    site.delay = 0.05
    db = tmp_path / "many" / "archive.db"
    run = Run(redis_server, site, db, "kills", tmp_path, CONCURRENT_REQUESTS_PER_DOMAIN="2")
    try:
        run.ingest()
        doomed = run.worker()
        run.worker()
        site.clear_requests()
        wait_until(lambda: len(site.requests) >= 25, what="25 pages fetched")
        run.kill(doomed)
        run.worker()
        wait_until(lambda: observed(db) >= 3, what="3 articles written")
        run.kill(run.ingests[0])
        server = redis_server.client()
        items = "healtharchive:healthcenter:kills:items"
        wait_until(lambda: server.llen(items) >= 2, what="articles waiting for the ingest")
        server.lpush(items, server.lindex(items, -1))  # the next article, queued again
        run.ingest()
        assert run.wait() == [0, 0, 0], run.log(run.ingests[-1])[-3000:]
    finally:
        site.delay = 0
        run.stop()
    found = differences(held(db), reference)
    assert not found, found
    assert int(server.hget("healtharchive:healthcenter:kills:meta", "requeued")) >= 1
    log = run.log(run.ingests[-1])
    replays = re.search(r"(\d+) replays skipped", log)
    assert "(resumed)" in log and replays and int(replays[1]) >= 1, log[-2000:]


class Killed(Exception):
    """The writer's death, right after one transaction committed."""


def cleaned_items(count: int) -> list:
    """The sample center's first ``count`` generated articles as the cleaning pipeline hands them to the writer."""
    from urllib.parse import urlsplit

    from archive.clock import utcnow
    from crawler.items import ArticleItem, Page
    from pipelines.clean import clean_pages
    from samplesite.center import Center, page_path

    origin = "http://127.0.0.1:8"
    center = Center(1, origin, generated=count)
    items = []
    for art in center.all_articles():
        urls = [origin + page_path(art, n) for n in range(1, len(art.pages) + 1)]
        bodies = [center.respond(urlsplit(u).path, urlsplit(u).query).body.decode() for u in urls]
        article = clean_pages(list(zip(urls, bodies)))
        item = ArticleItem(url=urls[0], spider="healthcenter", profile="generic")
        item.pages = [Page(url=u, number=n, status=200, fetched_at=utcnow()) for n, u in enumerate(urls, start=1)]
        item.title, item.blocks, item.meta = article.title, article.blocks, article.meta
        item.block_pages, item.block_slots, item.page_titles = article.pages, article.slots, article.titles
        items.append(item)
    return items


def test_an_ingest_killed_while_it_writes_the_held_articles_writes_the_rest_when_it_restarts(tmp_path):
    """The ingest killed after the first of a site's held articles was written (the articles waited until the site's
    chrome was known, and it is): the next ingest writes the others as soon as it starts, with the chrome the first
    one got, not at the end of the run; the archive is the one an ingest never killed makes."""
    from crawler.items import from_json
    from pipelines.recorder import Recorder

    run = ("run-1", "healthcenter:held")

    def writer(db, **kw):
        recorder = Recorder(str(db), hold=4, load_item=from_json, **kw)
        recorder.open("healthcenter", "generic", {}, None, run=run)
        return recorder

    def killed_at_first_held(item, outcome, held):
        if held:
            raise Killed

    items = cleaned_items(6)
    never_killed = writer(tmp_path / "one" / "archive.db")
    for item in copy.deepcopy(items):
        never_killed.record(item)
    never_killed.close("finished", "finished", 18, 0)

    db = tmp_path / "many" / "archive.db"
    first = writer(db, on_outcome=killed_at_first_held)
    for item in items[:3]:
        assert first.record(item) is None  # held: 3 of the site's 4 seen
    with pytest.raises(Killed):
        first.record(items[3])  # the 4th: the chrome is known, the held ones are written ... and the writer dies
    first.leave()
    assert (observed(db), observed(db, "held_articles")) == (1, 3)
    second = writer(db)
    assert (observed(db), observed(db, "held_articles")) == (4, 0)
    for item in items[4:]:
        assert second.written(item.url) is False
        assert second.record(item) == "new"
    second.close("finished", "finished", 18, 0)
    found = differences(held(db), held(tmp_path / "one" / "archive.db"))
    assert not found, found


def test_redis_killed_and_restarted_mid_run(generated, tmp_path):
    """redis-server killed with SIGKILL mid-crawl and started again 2 s later (append-only file): workers and the
    ingest wait for it, reconnect, and the run ends with the archive a single-machine crawl makes."""
    site, reference = generated
    site.delay = 0.05
    db = tmp_path / "many" / "archive.db"
    with RedisServer(tmp_path / "redis") as redis:
        run = Run(redis, site, db, "outage", tmp_path, CONCURRENT_REQUESTS_PER_DOMAIN="2")
        try:
            run.ingest()
            run.worker()
            run.worker()
            site.clear_requests()
            wait_until(lambda: len(site.requests) >= 25 and observed(db) >= 1, what="the run under way")
            redis.kill()
            time.sleep(2)
            redis.start()
            assert run.wait() == [0, 0, 0], run.log(run.ingests[-1])[-3000:]
        finally:
            site.delay = 0
            run.stop()
        assert "Redis does not answer" in run.log(run.workers[0]) + run.log(run.workers[1])
    found = differences(held(db), reference)
    assert not found, found


def test_a_worker_that_cannot_join_says_why_in_one_line(tmp_path):
    """No run name, a bad one, a Redis that does not answer, other spider arguments than the run's: one line and a
    non-zero exit before anything is crawled (2 for a usage error, 1 when Redis is away)."""
    with SampleSite() as site, RedisServer(tmp_path / "redis") as redis_server:
        hub = f"start_url={site.hub_url}"
        db = tmp_path / "archive.db"
        for settings, code, message in (
            ({"REDIS_URL": redis_server.url}, 2, "REDIS_URL needs a run name: -s CRAWL_RUN=NAME"),
            ({"REDIS_URL": redis_server.url, "CRAWL_RUN": "a b"}, 2, "CRAWL_RUN 'a b': use up to 100 letters"),
            (
                {"REDIS_URL": "redis://127.0.0.1:1/0", "CRAWL_RUN": "x"},
                1,
                "cannot reach Redis at redis://127.0.0.1:1/0",
            ),
        ):
            result = run_crawl("healthcenter", db, hub, settings=settings, timeout=60)
            assert result.returncode == code and message in result.stderr, result.stderr[-2000:]
        run = Run(redis_server, site, db, "args", tmp_path)
        try:
            run.worker()  # no ingest: it waits for the archive's knowledge, its run registered
            server = redis_server.client()
            wait_until(lambda: server.hget("healtharchive:healthcenter:args:meta", "args"), what="the run registered")
            other = run_crawl("healthcenter", db, hub, "profile=webmd", settings=run.settings, timeout=60)
        finally:
            run.stop()
        assert other.returncode == 2, other.stderr[-2000:]
        assert "run healthcenter:args was started with other spider arguments" in other.stderr
        assert other.stderr.strip().splitlines()[-1].startswith("Error: run") and "Traceback" not in other.stderr
        assert not db.exists()


def test_a_worker_is_judged_on_its_run():
    """The crawl command judges a worker on the run's counters: the seeder did not fetch the hub itself, another
    worker did."""
    from crawler.distributed.scheduler import judged
    from pipelines.verdict import verdict

    seeder = {"finish_reason": "finished", "healtharchive/start_urls": 1}
    assert verdict(seeder).exit_code == 1  # on its own counters: "every start URL failed"
    run = {"run/healtharchive/start_urls": 1, "run/healtharchive/start_urls_ok": 1}
    assert verdict(judged({**seeder, **run})).exit_code == 0
    assert verdict(judged({**seeder, **run, "finish_reason": "shutdown"})).exit_code == 3


class TimedSite(SampleSite):
    """The sample center, noting when each request arrived."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.times: list[float] = []

    def _record(self, method, path, headers):
        super()._record(method, path, headers)
        with self._lock:
            self.times.append(time.monotonic())


def test_politeness_holds_over_all_workers(redis_server, tmp_path):
    """DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN hold for the whole run: two workers, each fetching, send the
    host one request at a time, 0.3 s apart (each worker on its own would send as often)."""
    with TimedSite() as site:
        run = Run(
            redis_server,
            site,
            tmp_path / "archive.db",
            "polite",
            tmp_path,
            DOWNLOAD_DELAY="0.3",
            CONCURRENT_REQUESTS_PER_DOMAIN="1",
            CONCURRENT_REQUESTS="2",  # so that both workers get articles
        )
        try:
            run.ingest()
            run.worker()
            run.worker()
            assert run.wait() == [0, 0, 0], run.log(run.ingests[0])[-3000:]
        finally:
            run.stop()
        gaps = sorted(b - a for a, b in zip(site.times, site.times[1:]))
    for worker in run.workers:
        fetched = re.search(r"'response_received_count': (\d+)", run.log(worker))
        assert fetched and int(fetched[1]) > 1, run.log(worker)[-2000:]
    assert len(gaps) >= 20
    assert gaps[len(gaps) // 2] >= 0.29, gaps  # the delay, by Redis' clock, between turns
    assert gaps[0] >= 0.15, gaps  # less what a loaded machine adds between a turn and its request


def test_autothrottle_is_one_delay_per_host_over_all_workers(redis_server, tmp_path):
    """AutoThrottle in a run adjusts one delay per host from every worker's latencies: with a site answering in
    0.2 s and a target of one request in flight, the host's requests end up 0.2 s apart over both workers (each
    worker throttling itself would send twice as often)."""
    with TimedSite(delay=0.2) as site:
        run = Run(
            redis_server,
            site,
            tmp_path / "archive.db",
            "throttle",
            tmp_path,
            AUTOTHROTTLE_ENABLED="True",
            AUTOTHROTTLE_START_DELAY="0.05",
            AUTOTHROTTLE_TARGET_CONCURRENCY="1",
            AUTOTHROTTLE_MAX_DELAY="1",
            CONCURRENT_REQUESTS="2",
        )
        try:
            run.ingest()
            run.worker()
            run.worker()
            assert run.wait() == [0, 0, 0], run.log(run.ingests[0])[-3000:]
        finally:
            run.stop()
        late = sorted(b - a for a, b in zip(site.times[-12:], site.times[-11:]))
    assert late[len(late) // 2] >= 0.18, late


def test_a_run_lost_from_redis_stops_its_workers_and_its_crawl(tmp_path):
    """Redis restarted without its data (here: FLUSHALL) mid-run: the workers stop (exit 3), the ingest ends the run's
    crawl as stopped, keeping what it wrote and counting no miss."""
    with SampleSite(delay=0.05) as site, RedisServer(tmp_path / "redis") as redis:
        db = tmp_path / "archive.db"
        run = Run(redis, site, db, "lost", tmp_path, CONCURRENT_REQUESTS_PER_DOMAIN="1")
        try:
            run.ingest()
            run.worker()
            run.worker()
            # (a site's first articles wait in the archive until its chrome is known: written or held)
            wait_until(lambda: observed(db, "ingest_articles") >= 1, what="an article taken by the ingest")
            redis.client().flushall()
            assert run.wait() == [3, 3, 0], run.log(run.ingests[0])[-3000:]
        finally:
            run.stop()
    crawls = held(db)["crawls"]
    assert crawls == [(1, "healthcenter", "stopped", "its run was lost from Redis")]
    assert observed(db) >= 1 and observed(db, "held_articles") == 0  # what it took is written, none left held
    assert "run healthcenter:lost is gone from Redis" in run.log(run.ingests[0])
