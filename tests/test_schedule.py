"""`healtharchive schedule`: real scheduler processes running real `scrapy crawl` processes."""

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.lock import ArchiveLock, Locked
from healtharchive.schedule import ScheduleError, load_config, parse_interval
from samplesite import SampleSite

from .conftest import ROOT, TEST_SETTINGS

HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))


def write_config(folder: Path, crawls: dict) -> Path:
    """A schedule file; ``crawls`` maps name -> (spider, args, when) with when like 'every = "1s"'."""
    settings = ", ".join(
        f"{k} = {v!r}" if not v.isdigit() else f"{k} = {v}" for k, v in TEST_SETTINGS.items() if k != "LOG_LEVEL"
    )
    lines = ['db = "archive.db"']
    for name, (spider, args, when) in crawls.items():
        arg_text = ", ".join(f'{k} = "{v}"' for k, v in args.items())
        lines += [
            f"[crawl.{name}]",
            f'spider = "{spider}"',
            f"args = {{ {arg_text} }}",
            f"settings = {{ {settings} }}",
            when,
        ]
    path = folder / "schedule.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def schedule(config: Path, *options: str, wait=True, **kw):
    command = [HEALTHARCHIVE, "schedule", "--config", str(config), *options]
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=kw.get("timeout", 120))


def rows(db: Path, sql: str, *params):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_intervals_and_config_errors(tmp_path):
    assert parse_interval("7d") == timedelta(days=7)
    assert parse_interval("1d12h") == timedelta(hours=36)
    assert parse_interval("90s") == timedelta(seconds=90)
    for bad in ("", "7", "7 days", "0s", "1x"):
        with pytest.raises(ValueError):
            parse_interval(bad)
    config = tmp_path / "s.toml"
    config.write_text('[crawl.a]\nspider = "pages"\nevery = "1d"\n[crawl.b]\nspider = "webmd"\ncron = "0 3 * * 1"\n')
    a, b = load_config(config)
    assert a.db == (tmp_path / "archive.db").resolve()
    monday = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert a.next_due(monday) == monday + timedelta(days=1)
    assert b.next_due(monday) == monday + timedelta(days=7)
    assert b.next_due(None) < monday  # never ran: due now
    for text, message in (
        ('[crawl.a]\nspider = "x"\n', "exactly one of"),
        ('[crawl.a]\nspider = "x"\ncron = "every day"\n', "bad cron"),
        ('[crawl.a]\nspider = "x"\nevery = "1d"\nspeed = 3\n', "unknown keys"),
        ('db = "a.db"\n', r"no \[crawl\.NAME\]"),
    ):
        config.write_text(text)
        with pytest.raises(ScheduleError, match=message):
            load_config(config)


def test_scheduled_run_twice_in_a_row(tmp_path, site):
    config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": site.hub_url}, 'every = "1s"')})
    result = schedule(config, "--max-runs", "2")
    assert result.returncode == 0, result.stderr
    db = tmp_path / "archive.db"
    runs = rows(db, "SELECT * FROM schedule_runs ORDER BY id")
    assert [(r["name"], r["exit_code"], r["status"]) for r in runs] == [("center", 0, "finished")] * 2
    crawls = rows(db, "SELECT * FROM crawls ORDER BY id")
    assert [c["status"] for c in crawls] == ["finished", "finished"]
    assert when(crawls[1]["started_at"]) >= when(crawls[0]["finished_at"])
    # Outcome counts of each run are logged, read from the archive's observations.
    assert "crawl 1 finished (exit status 0)" in result.stderr and "8 new, 0 changed" in result.stderr
    assert "crawl 2 finished (exit status 0)" in result.stderr and "0 new, 0 changed, 8 unchanged" in result.stderr
    assert len(list((tmp_path / "logs").glob("center-*.log"))) == 2
    assert not (tmp_path / "archive.db.lock").read_text().strip()  # released


def test_no_overlap_under_a_slow_crawl(tmp_path):
    with SampleSite(delay=0.25) as slow:
        config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": slow.hub_url}, 'every = "1s"')})
        first = schedule(config, "--once", wait=False)
        lock = tmp_path / "archive.db.lock"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
            time.sleep(0.05)
        holder = int(lock.read_text().split()[0])
        assert holder == first.pid
        # A second scheduler (forced: the crawl may not be due yet) finds the archive locked and skips.
        second = schedule(config, "--once", "--force")
        assert second.returncode == 0, second.stderr
        assert f"being written by pid {first.pid}" in second.stderr and "skipped" in second.stderr
        # A looping scheduler waits for the lock, then runs after the first crawl has finished.
        third = schedule(config, "--max-runs", "1", wait=False)
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        out3, err3 = third.communicate(timeout=120)
        assert third.returncode == 0, err3
    db = tmp_path / "archive.db"
    crawls = rows(db, "SELECT * FROM crawls ORDER BY id")
    assert len(crawls) == 2 and all(c["status"] == "finished" for c in crawls)
    assert when(crawls[1]["started_at"]) >= when(crawls[0]["finished_at"])
    runs = rows(db, "SELECT * FROM schedule_runs ORDER BY id")
    assert len(runs) == 2 and when(runs[1]["started_at"]) >= when(runs[0]["finished_at"])
    assert when(crawls[0]["finished_at"]) - when(crawls[0]["started_at"]) >= timedelta(seconds=1)  # really slow


def test_stale_lock_is_cleared(tmp_path, site):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / "archive.db.lock"
    lock.write_text(f"{dead.pid} 2026-01-01T00:00:00Z\n")
    config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": site.hub_url}, 'every = "7d"')})
    result = schedule(config, "--once")
    assert result.returncode == 0, result.stderr
    assert "stale lock" in result.stderr and f"pid {dead.pid}" in result.stderr
    assert rows(tmp_path / "archive.db", "SELECT status FROM crawls") == [{"status": "finished"}]
    # Not due again for 7 days.
    again = schedule(config, "--once")
    assert again.returncode == 0 and "nothing due" in again.stderr
    assert len(rows(tmp_path / "archive.db", "SELECT id FROM crawls")) == 1


def test_lock_is_exclusive_in_process(tmp_path):
    db = tmp_path / "a.db"
    with ArchiveLock(db):
        with pytest.raises(Locked) as info:
            ArchiveLock(db).acquire()
        assert info.value.pid == os.getpid()
    ArchiveLock(db).acquire().release()


def test_failed_runs_exit_non_zero_and_show_in_crawls(tmp_path):
    config = write_config(
        tmp_path,
        {
            "refused": ("healthcenter", {"start_url": "http://127.0.0.1:9/breast-cancer/default.htm"}, 'every = "1d"'),
            "missing": ("nosuchspider", {}, 'cron = "0 3 * * 1"'),
        },
    )
    result = schedule(config, "--once")
    assert result.returncode == 1, result.stderr
    crawls = rows(tmp_path / "archive.db", "SELECT * FROM crawls ORDER BY id")
    assert [(c["spider"], c["status"]) for c in crawls] == [("healthcenter", "failed"), ("nosuchspider", "failed")]
    assert "before the crawl started" in crawls[1]["finish_reason"] and "nosuchspider" in crawls[1]["finish_reason"]
    runs = rows(tmp_path / "archive.db", "SELECT name, exit_code, status, crawl_id FROM schedule_runs ORDER BY id")
    assert [(r["name"], r["status"], r["crawl_id"]) for r in runs] == [
        ("refused", "failed", 1),
        ("missing", "failed", 2),
    ]
    assert all(r["exit_code"] != 0 for r in runs)
    assert "crawl 1 failed" in result.stderr and "crawl 2 failed" in result.stderr


def test_crawl_killed_mid_way_is_failed(tmp_path):
    with SampleSite(delay=0.3) as slow:
        config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": slow.hub_url}, 'every = "1d"')})
        scheduler = schedule(config, "--once", wait=False)
        db = tmp_path / "archive.db"
        deadline = time.monotonic() + 60
        running = []
        while time.monotonic() < deadline and not running:
            time.sleep(0.1)
            if db.exists():
                try:
                    running = rows(db, "SELECT id, pid FROM crawls WHERE status = 'running'")
                except sqlite3.OperationalError:
                    pass
        assert running, "the crawl never started"
        os.kill(running[0]["pid"], 9)
        out, err = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 1, err
    crawls = rows(db, "SELECT status, finish_reason FROM crawls")
    assert crawls == [{"status": "failed", "finish_reason": "scrapy crawl exited with status -9"}]
    assert "crawl 1 failed (exit status -9)" in err


def test_sigterm_stops_the_crawl_cleanly_and_it_stays_due(tmp_path):
    import signal

    with SampleSite(delay=0.3) as slow:
        config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": slow.hub_url}, 'every = "1d"')})
        scheduler = schedule(config, "--once", wait=False)
        db = tmp_path / "archive.db"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                if db.exists() and rows(db, "SELECT id FROM crawls WHERE status = 'running'"):
                    break
            except sqlite3.OperationalError:
                pass
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=60)
        assert scheduler.returncode == 0, err
        assert "stopping: asking the running crawl" in err
        assert rows(db, "SELECT status, finish_reason FROM crawls") == [
            {"status": "stopped", "finish_reason": "shutdown"}
        ]
        assert [r["status"] for r in rows(db, "SELECT status FROM schedule_runs")] == ["stopped"]
        listed = schedule(config, "--list")
        assert "last never, next now" in listed.stdout


def test_a_run_past_its_timeout_is_stopped_and_failed(tmp_path):
    # 2 s an answer: the crawl needs well over 6 s, and has surely recorded its crawl by then, however slowly
    # a loaded machine starts it.
    with SampleSite(delay=2.0) as slow:
        config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": slow.hub_url}, 'every = "1d"')})
        config.write_text(config.read_text() + 'timeout = "6s"\n')
        result = schedule(config, "--once")
    assert result.returncode == 1, result.stderr
    assert "still running after 0:00:06: stopping it" in result.stderr
    crawls = rows(tmp_path / "archive.db", "SELECT status, finish_reason FROM crawls")
    assert (
        len(crawls) == 1
        and crawls[0]["status"] == "stopped"
        and "timed out after 0:00:06" in crawls[0]["finish_reason"]
    )
    runs = rows(tmp_path / "archive.db", "SELECT exit_code, status FROM schedule_runs")
    assert runs == [{"exit_code": 124, "status": "failed"}]
