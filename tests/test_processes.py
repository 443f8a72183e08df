"""The crawl's processes: Ctrl-C, a dead cleaning worker, kill -9 at random points, two writers of one archive."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.lock import ArchiveLock
from archive.schema import LATEST
from samplesite import SampleSite
from tests.conftest import ROOT, outcomes, rows, run_crawl, start_crawl

HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))
BACKLOG = {"EXTRACT_WORKERS": "1"}  # one worker: articles queue up for cleaning while pages keep coming


def observed(db) -> int:
    try:
        return rows(db, "SELECT count(*) FROM observation_log WHERE crawl_id = (SELECT max(id) FROM crawls)")[0][0]
    except sqlite3.Error:
        return 0  # not created yet


def wait_until(check, process, timeout=90.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert process.poll() is None, "the crawl ended before the test could act on it"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    """Live descendants of ``pid`` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def alive(pids) -> list[int]:
    left = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            left.append(pid)
    return left


def named(pid: int, name: str) -> list[int]:
    """The descendants of ``pid`` named ``name`` (``pipelines/workers.py`` names its processes)."""
    found = []
    for p in children(pid):
        try:
            if Path(f"/proc/{p}/comm").read_text().strip() == name:
                found.append(p)
        except OSError:
            pass  # gone meanwhile
    return found


def workers(pid: int) -> list[int]:
    """The crawl's cleaning workers."""
    return named(pid, "ha-clean")


@pytest.fixture(scope="module")
def center():
    with SampleSite(generated=40, pages_per_article=3) as site:
        yield site


def test_ctrl_c_lets_the_articles_being_cleaned_finish(center, tmp_path):
    db = tmp_path / "archive.db"
    crawl = start_crawl("healthcenter", db, f"start_url={center.hub_url}", settings=BACKLOG)
    wait_until(lambda: observed(db) >= 3 and workers(crawl.pid), crawl)
    pool = workers(crawl.pid)
    below = min(os.getpriority(os.PRIO_PROCESS, crawl.pid) + 10, 19)  # EXTRACT_NICE: fetching goes first
    assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in pool] == [below] * len(pool)
    os.killpg(crawl.pid, signal.SIGINT)  # Ctrl-C: the crawl and its workers alike
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 3, err[-3000:]
    seen = outcomes(db)
    assert seen and {outcome for outcome, _ in seen.values()} == {"new"}, seen  # none cut short as "incomplete"
    assert "cannot clean" not in err
    assert not alive(pool)


def test_a_dead_cleaning_worker_is_replaced_and_its_article_cleaned_again(center, tmp_path):
    db = tmp_path / "archive.db"
    crawl = start_crawl("healthcenter", db, f"start_url={center.hub_url}", settings=BACKLOG)
    wait_until(lambda: observed(db) >= 3 and workers(crawl.pid), crawl)
    os.kill(workers(crawl.pid)[0], signal.SIGKILL)  # out of memory, a crash in lxml ...
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err[-3000:]
    assert "a cleaning worker died" in err and "'healtharchive/pool_rebuilt': 1" in err
    seen = outcomes(db)
    assert len(seen) == 40 and {outcome for outcome, _ in seen.values()} == {"new"}


def test_a_dead_archive_writer_fails_the_crawl_with_one_clear_line(center, tmp_path):
    """The archive's writer process (``ha-archive``) killed mid-crawl: an archive error, never a hang; the archive
    keeps what it wrote, whole, and marks nothing it did not reach."""
    db = tmp_path / "archive.db"
    crawl = start_crawl("healthcenter", db, f"start_url={center.hub_url}", settings=BACKLOG)
    wait_until(lambda: observed(db) >= 3 and named(crawl.pid, "ha-archive"), crawl)
    os.kill(named(crawl.pid, "ha-archive")[0], signal.SIGKILL)
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, err[-3000:]
    assert "the archive writer process (ha-archive) died" in err
    assert "crawl failed: the archive could not be written" in err
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT count(*) FROM articles WHERE status != 'live' OR missed != 0") == [(0,)]
    assert rows(db, "SELECT count(*) FROM versions v WHERE v.page_count != 3") == [(0,)]


def test_a_dead_warc_writer_is_replaced_and_the_crawl_goes_on(center, tmp_path):
    """The WARC writer process (``ha-warc``) killed mid-crawl: the records in flight are lost (counted), another
    writer takes its place in a new file, and every article is archived."""
    db = tmp_path / "archive.db"
    slow = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}  # pages still to come when it dies
    crawl = start_crawl("healthcenter", db, f"start_url={center.hub_url}", settings=slow)
    wait_until(lambda: any((tmp_path / "warc").glob("*.warc.gz")) and named(crawl.pid, "ha-warc"), crawl)
    os.kill(named(crawl.pid, "ha-warc")[0], signal.SIGKILL)
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err[-3000:]
    assert "the WARC writer process (ha-warc) died; another takes its place" in err
    assert "'healtharchive/warc/writer_restarted': 1" in err
    seen = outcomes(db)
    assert len(seen) == 40 and {outcome for outcome, _ in seen.values()} == {"new"}
    assert len(list((tmp_path / "warc").glob("*.warc.gz"))) == 2  # the first writer's file, and its successor's
    lost = rows(db, "SELECT count(*) FROM captures WHERE warc_file IS NULL")[0][0]
    assert lost <= 16  # at most the records in flight (CONCURRENT_REQUESTS): the later pages all have theirs


def test_kill_9_at_random_points_loses_and_falsifies_nothing(center, tmp_path):
    db = tmp_path / "archive.db"
    rng = random.Random(11)
    for round_ in range(4):
        crawl = start_crawl("healthcenter", db, f"start_url={center.hub_url}", settings=BACKLOG)
        time.sleep(rng.uniform(0.3, 3.0))
        spawned = children(crawl.pid)
        crawl.kill()  # the crawl only: its workers and resource tracker must go by themselves
        crawl.wait()
        deadline = time.monotonic() + 10
        while alive(spawned) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(spawned), f"round {round_}: orphans {alive(spawned)}"
        if db.exists():
            assert rows(db, "PRAGMA integrity_check") == [("ok",)]
            # a kill while the archive was being made leaves none of it, never part
            assert rows(db, "PRAGMA user_version") in ([(0,)], [(LATEST,)])
        if db.exists() and rows(db, "PRAGMA user_version") == [(LATEST,)]:
            assert rows(db, "SELECT article_id, crawl_id FROM observation_log GROUP BY 1, 2 HAVING count(*) > 1") == []
            assert rows(
                db,
                "SELECT count(*) FROM versions v JOIN articles a ON a.current_version_id = v.id "
                "WHERE v.page_count != 3",
            ) == [(0,)]
    result = run_crawl("healthcenter", db, f"start_url={center.hub_url}")
    assert result.returncode == 0, result.stderr[-3000:]
    final = outcomes(db)
    assert len(final) == 40 and {outcome for outcome, _ in final.values()} <= {"new", "unchanged"}
    assert rows(db, "SELECT count(*), count(DISTINCT article_id) FROM versions") == [(40, 40)]
    assert {s for (s,) in rows(db, "SELECT status FROM crawls")} <= {"interrupted", "finished"}


def test_two_writers_take_turns(center, tmp_path):
    first = tmp_path / "archive.db"
    # slow enough that b and reextract (seconds to start on a loaded machine) find a still writing; its articles
    # written as they come (not held until 20 are seen), so a is seen writing early in its crawl
    slow = {"DOWNLOAD_DELAY": "0.1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "CHROME_LEARN_ARTICLES": "1"}
    a = start_crawl("healthcenter", first, f"start_url={center.hub_url}", settings=slow)
    wait_until(lambda: observed(first) >= 1, a)
    b = start_crawl("healthcenter", first, f"start_url={center.hub_url}")
    reextract = subprocess.Popen(
        [HEALTHARCHIVE, "reextract", "--db", str(first)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err_a = a.communicate(timeout=180)
    _, err_b = b.communicate(timeout=180)
    out_r, err_r = reextract.communicate(timeout=180)
    assert a.returncode == 0 and b.returncode == 0 and reextract.returncode == 0, (err_a + err_b + err_r)[-3000:]
    assert f"waiting for the archive {first}: the archive is being written by pid {a.pid}" in err_b
    assert f"is being written by pid {a.pid}" in err_r
    assert "database is locked" not in err_a + err_b + err_r
    counts = rows(first, "SELECT crawl_id, count(*) FROM observation_log GROUP BY crawl_id ORDER BY crawl_id")
    assert counts == [(1, 40), (2, 40)]  # every article, in each crawl
    assert rows(first, "SELECT status FROM crawls") == [("finished",), ("finished",)]


def test_a_crawl_waiting_for_the_archive_says_so_and_ctrl_c_stops_it(tmp_path):
    db = tmp_path / "archive.db"
    lock = ArchiveLock(db).acquire()  # another writer
    try:
        crawl = start_crawl("healthcenter", db, "start_url=http://127.0.0.1:1/hub", stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        line = ""
        while "waiting for the archive" not in line:
            line = crawl.stderr.readline()
            assert line and time.monotonic() < deadline, "no waiting message"
        assert f"the archive is being written by pid {os.getpid()}" in line
        os.killpg(crawl.pid, signal.SIGINT)
        _, err = crawl.communicate(timeout=30)
    finally:
        lock.release()
    assert crawl.returncode == 3 and "crawl stopped: stopped before it started" in err


def test_workers_and_writers_do_not_run_the_main_script_again(tmp_path):
    """A spawned worker or writer starts without running its parent's main script (``scrapy``'s would import all of
    Scrapy into each): a script that refuses to run twice still gets its answers from both kinds."""
    script = tmp_path / "main.py"
    script.write_text(
        "import sys\n"
        "if __name__ != '__main__':\n"
        "    raise SystemExit('the main script ran again in a child process')\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import asyncio\n"
        "from pipelines.workers import Resident, worker_pool\n"
        "with worker_pool(2) as pool:\n"
        "    print(sorted(pool.map(abs, [-3, -4, -5])))\n"
        "resident = Resident('ha-test', dict, a=1)\n"
        "print(asyncio.run(resident.call('get', 'a')))\n"
        "resident.shutdown()\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["[3, 4, 5]", "1"]


def test_the_crawl_process_leaves_extraction_to_its_workers(center, tmp_path):
    """The crawl process fetches and the workers extract: trafilatura and its kin load in the workers only, and redis
    only in a distributed worker (each was part of every crawl's start-up, before its first request). The articles
    are archived all the same, and a worker started with ``preload`` has its modules before its first task."""
    result = run_crawl(
        "healthcenter",
        tmp_path / "archive.db",
        f"start_url={center.hub_url}",
        settings={"EXTENSIONS": '{"tests.loaded.Loaded": 0}'},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stderr.splitlines() if "loaded packages: " in line)
    loaded = set(line.partition("loaded packages: ")[2].split())
    assert {"scrapy", "lxml", "archive", "pipelines"} <= loaded  # (the probe sees the crawl's own imports)
    assert not loaded & {"trafilatura", "htmldate", "justext", "courlan", "redis", "scrapy_redis", "aiohttp"}
    assert rows(tmp_path / "archive.db", "SELECT count(*) FROM articles WHERE status = 'live'")[0][0] == 40

    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from pipelines.workers import worker_pool\n"
        "for preload in ((), ('pipelines.extract',)):\n"
        "    with worker_pool(1, preload=preload) as pool:\n"
        "        print(pool.submit(eval, \"'trafilatura' in __import__('sys').modules\").result())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "True"], done.stderr[-2000:]

    # The WARC writer and the cleaning workers use the archive's small modules only (warc, text): not its store and
    # sqlite_utils under it, which the archive package loads when its Archive is first asked for.
    for module in ("crawler.warcrecords", "pipelines.clean"):
        script = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import {module}; print(sorted(sys.modules))"
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "archive" in done.stdout and "sqlite_utils" not in done.stdout, module
    assert __import__("archive").Archive.__name__ == "Archive"
