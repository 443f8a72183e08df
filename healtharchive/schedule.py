"""``healtharchive schedule``: run named crawls on an interval or a cron expression, one at a time per archive.

The schedule is a TOML file (``schedule.toml`` by default)::

    db = "archive.db"                    # the archive (relative paths: from the file's folder)

    [crawl.breast-cancer]
    spider = "healthcenter"
    args = { start_url = "https://www.webmd.com/breast-cancer/default.htm", profile = "webmd" }
    settings = { DOWNLOAD_DELAY = 2 }
    every = "7d"                         # s, m, h, d, w; combinable: "1d12h"

    [crawl.nhs]
    spider = "nhs"
    cron = "0 3 * * 1"                   # croniter syntax, UTC
    timeout = "12h"                      # optional: a run still going after this is stopped, and failed

How runs go:

- A crawl is due when it never ran (under this schedule name, in this archive) or when its interval
  has passed since its last run started / a cron time has passed since then. Runs that were missed
  (the machine was off) are not caught up one by one: a due crawl runs once.
- Each run is its own ``scrapy crawl`` process (``-s ARCHIVE_DB=...`` plus the crawl's settings and
  ``-a`` arguments); its output goes to ``logs/<name>-<UTC time>.log`` beside the archive (``--log-dir``).
- One crawl at a time per archive: a run holds ``<archive>.lock`` (``fcntl.flock``, with the holder's
  pid written inside). A second scheduler finds the lock held and skips (``--once``) or waits for it
  (loop). The kernel drops a flock when its holder dies, so a lock file left by a dead process is
  stale: its pid is logged and the lock taken over.
- After each run the outcome counts of its crawl (from ``observations``) are logged, and the run is
  recorded in the archive's ``schedule_runs`` table. A run whose process exits non-zero is failed; when
  the process died before its crawl was recorded (or left it ``running``), the scheduler records it in
  ``crawls`` with status ``failed`` itself.
- ``--once`` runs what is due and exits: non-zero when a run failed. Without it the scheduler loops,
  sleeping until the next crawl is due. SIGTERM/SIGINT stop the running crawl cleanly (Scrapy finishes
  the crawl's books) and end the scheduler.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from pipelines.store import process_alive

logger = logging.getLogger("healtharchive.schedule")

ROOT = Path(__file__).resolve().parents[1]
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
TIMED_OUT = 124  # the run's exit status when it exceeded its timeout (as timeout(1) reports it)
STOP_GRACE = 120.0  # seconds a crawl asked to stop gets before it is killed


class ScheduleError(click.ClickException):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_interval(text: str) -> timedelta:
    """'7d', '12h', '1d12h', '90s', '2w' -> timedelta."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.strip().lower())
    if not parts or re.sub(r"[\d.\s]+[smhdw]", "", text.strip().lower()):
        raise ValueError(f"bad interval {text!r}: use a number and a unit (s, m, h, d, w), e.g. '7d' or '1d12h'")
    seconds = sum(float(n) * UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"bad interval {text!r}: must be positive")
    return timedelta(seconds=seconds)


@dataclass
class Crawl:
    name: str
    spider: str
    db: Path
    args: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    every: timedelta | None = None
    cron: str | None = None
    timeout: timedelta | None = None

    def next_due(self, last_started: datetime | None) -> datetime:
        """When this crawl is next due, given when its last run started (None: never ran: due now)."""
        if last_started is None:
            return datetime.min.replace(tzinfo=timezone.utc)
        if self.every is not None:
            return last_started + self.every
        from croniter import croniter

        return croniter(self.cron, last_started).get_next(datetime)

    def command(self) -> list[str]:
        scrapy = str(Path(sys.executable).with_name("scrapy"))
        command = [scrapy, "crawl", self.spider, "-s", f"ARCHIVE_DB={self.db}"]
        for key, value in self.settings.items():
            command += ["-s", f"{key}={_setting(value)}"]
        for key, value in self.args.items():
            command += ["-a", f"{key}={value}"]
        return command


def _setting(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def load_config(path: Path, db_override: str | None = None) -> list[Crawl]:
    """The crawls of a schedule file, checked: a clear one-line error for every mistake."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"no schedule file {path} (see docs/scheduling.md)")
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path}: {exc}")
    base = path.resolve().parent
    # --db is relative to the current folder; paths in the file are relative to the file's folder.
    default_db = Path(db_override).resolve() if db_override else base / data.get("db", "archive.db")
    crawls = []
    table = data.get("crawl", {})
    if not isinstance(table, dict) or not table:
        raise ScheduleError(f"{path}: no [crawl.NAME] table")
    for name, spec in table.items():
        where = f"{path}: [crawl.{name}]"
        unknown = set(spec) - {"spider", "args", "settings", "every", "cron", "db", "timeout"}
        if unknown:
            raise ScheduleError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        if not spec.get("spider"):
            raise ScheduleError(f"{where}: needs spider = \"...\"")
        if ("every" in spec) == ("cron" in spec):
            raise ScheduleError(f"{where}: needs exactly one of every = \"7d\" or cron = \"0 3 * * 1\"")
        every = cron = None
        try:
            if "every" in spec:
                every = parse_interval(str(spec["every"]))
            else:
                from croniter import croniter

                cron = str(spec["cron"])
                if not croniter.is_valid(cron):
                    raise ValueError(f"bad cron expression {cron!r}")
            timeout = parse_interval(str(spec["timeout"])) if "timeout" in spec else None
        except ValueError as exc:
            raise ScheduleError(f"{where}: {exc}")
        db = Path(spec["db"]) if spec.get("db") and not db_override else default_db
        if not db.is_absolute():
            db = base / db
        crawls.append(Crawl(name=name, spider=str(spec["spider"]), db=db.resolve(), args=dict(spec.get("args", {})),
                            settings=dict(spec.get("settings", {})), every=every, cron=cron, timeout=timeout))
    return crawls


# the lock

class Locked(Exception):
    def __init__(self, pid):
        super().__init__(f"the archive is locked by pid {pid}")
        self.pid = pid


class ArchiveLock:
    """``<archive>.lock``: an exclusive flock held for the length of one run, the holder's pid inside."""

    def __init__(self, db: Path):
        self.path = Path(str(db) + ".lock")
        self.fd = None

    def holder(self) -> int | None:
        try:
            text = self.path.read_text().strip()
            return int(text.split()[0]) if text else None
        except (OSError, ValueError):
            return None

    def acquire(self, wait: bool = False, poll: float = 1.0):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    os.close(fd)
                    raise Locked(self.holder())
                time.sleep(poll)
        previous = self.holder()
        if previous and previous != os.getpid() and process_alive(previous) is False:
            logger.warning("cleared a stale lock %s left by pid %d, which is no longer running", self.path, previous)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {iso(utcnow())}\n".encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self):
        if self.fd is not None:
            os.ftruncate(self.fd, 0)  # an empty lock file: nobody holds it
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


# the archive's side

def _connect(db: Path):
    """The archive opened (and migrated) for the scheduler's bookkeeping."""
    from pipelines.store import Archive

    return Archive(str(db))


def last_started(db: Path, name: str) -> datetime | None:
    if not db.exists():
        return None
    archive = _connect(db)
    try:
        row = list(archive.db.query("SELECT max(started_at) AS t FROM schedule_runs WHERE name = ? AND coalesce(status, '') != 'stopped'", [name]))
        return parse_iso(row[0]["t"]) if row and row[0]["t"] else None
    finally:
        archive.close()


def outcome_counts(archive, crawl_id: int) -> dict:
    counts = {name: 0 for name in ("new", "changed", "unchanged", "incomplete", "gone")}
    for row in archive.db.query(
            "SELECT outcome, count(*) AS n FROM observations WHERE crawl_id = ? GROUP BY outcome", [crawl_id]):
        counts[row["outcome"]] = row["n"]
    return counts


@dataclass
class RunResult:
    name: str
    exit_code: int
    crawl_id: int | None
    status: str
    counts: dict
    seconds: float


class Scheduler:
    def __init__(self, crawls: list[Crawl], log_dir: Path | None = None, wait: bool = False):
        self.crawls = crawls
        self.log_dir = log_dir
        self.wait = wait
        self.child: subprocess.Popen | None = None
        self.stopping = False

    def due(self, now: datetime | None = None) -> list[Crawl]:
        now = now or utcnow()
        return [c for c in self.crawls if c.next_due(last_started(c.db, c.name)) <= now]

    def next_time(self) -> datetime:
        return min(c.next_due(last_started(c.db, c.name)) for c in self.crawls)

    def run(self, crawl: Crawl) -> RunResult | None:
        """Run one crawl under its archive's lock; None when another process holds the lock (skipped)."""
        lock = ArchiveLock(crawl.db)
        try:
            lock.acquire(wait=self.wait)
        except Locked as exc:
            logger.warning("%s: skipped: %s (a crawl is already running on %s)", crawl.name, exc, crawl.db)
            return None
        try:
            return self._run_locked(crawl)
        finally:
            lock.release()

    def _run_locked(self, crawl: Crawl) -> RunResult:
        started = utcnow()
        archive = _connect(crawl.db)
        try:
            before = next(archive.db.query("SELECT coalesce(max(id), 0) AS m FROM crawls"))["m"]
            run_id = archive.db.table("schedule_runs").insert(
                {"name": crawl.name, "spider": crawl.spider, "started_at": iso(started), "status": "running"}).last_pk
        finally:
            archive.close()
        log_dir = self.log_dir or crawl.db.parent / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / f"{crawl.name}-{started.strftime('%Y%m%dT%H%M%SZ')}.log"
        command = crawl.command()
        logger.info("%s: starting %s (log: %s)", crawl.name, " ".join(command[1:3]), log_file)
        env = dict(os.environ, SCRAPY_SETTINGS_MODULE=os.environ.get("SCRAPY_SETTINGS_MODULE", "crawler.settings"))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        t0 = time.monotonic()
        with open(log_file, "ab") as log:
            # Its own session: a terminal's Ctrl-C reaches the scheduler only, which forwards one SIGINT
            # (a second one would make Scrapy stop uncleanly).
            self.child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
            pid = self.child.pid
            try:
                code = self._wait(crawl)
            finally:
                self.child = None
        seconds = time.monotonic() - t0
        return self._book(crawl, run_id, before, pid, code, started, seconds, log_file)

    def _wait(self, crawl: Crawl) -> int:
        """The crawl's exit status; past its ``timeout`` it is asked to stop (SIGINT), killed if it does not
        within ``STOP_GRACE`` seconds, and reported as ``TIMED_OUT``."""
        if crawl.timeout is None:
            return self.child.wait()
        try:
            return self.child.wait(timeout=crawl.timeout.total_seconds())
        except subprocess.TimeoutExpired:
            logger.error("%s: still running after %s: stopping it", crawl.name, crawl.timeout)
            self.child.send_signal(signal.SIGINT)
            try:
                self.child.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
            return TIMED_OUT

    def _book(self, crawl, run_id, before, pid, code, started, seconds, log_file) -> RunResult:
        archive = _connect(crawl.db)
        try:
            rows = list(archive.db.query("SELECT * FROM crawls WHERE id > ? ORDER BY id", [before]))
            mine = [r for r in rows if r.get("pid") == pid] or [r for r in rows if r["spider"] == crawl.spider][:1]
            row = mine[0] if mine else None
            reason = (f"timed out after {crawl.timeout}" if code == TIMED_OUT
                      else f"scrapy crawl exited with status {code}")
            if row is None:
                # The process died before the archive pipeline recorded its crawl: record it here.
                tail = _last_line(log_file)
                crawl_id = archive.start_crawl(crawl.spider, crawl.args.get("profile") or "",
                                               {k: str(v) for k, v in crawl.args.items()}, None)
                archive.db.execute("UPDATE crawls SET started_at = ?, pid = ? WHERE id = ?",
                                   [iso(started), pid, crawl_id]) if _has_column(archive, "crawls", "pid") else \
                    archive.db.execute("UPDATE crawls SET started_at = ? WHERE id = ?", [iso(started), crawl_id])
                archive.finish_crawl(crawl_id, "failed", f"{reason} before the crawl started" + (f": {tail}" if tail else ""),
                                     0, 1)
                status = "failed"
            else:
                crawl_id = row["id"]
                status = row.get("status") or "finished"
                if code != 0 and status in ("running", "finished", None):
                    archive.db.execute(
                        "UPDATE crawls SET status = 'failed', finish_reason = coalesce(finish_reason || '; ', '') || ?, "
                        "finished_at = coalesce(finished_at, ?) WHERE id = ?", [reason, iso(utcnow()), crawl_id])
                    archive.db.conn.commit()
                    status = "failed"
            if code != 0:
                status = "failed"
            elif self.stopping:
                status = "stopped"  # asked to stop (SIGTERM/SIGINT): not counted as a run when finding what is due
            counts = outcome_counts(archive, crawl_id)
            archive.db.table("schedule_runs").update(run_id, {
                "crawl_id": crawl_id, "finished_at": iso(utcnow()), "exit_code": code, "status": status,
                "counts": json.dumps(counts), "log_file": str(log_file)})
        finally:
            archive.close()
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        log = logger.info if code == 0 else logger.error
        log("%s: crawl %d %s (exit status %d) in %.1fs: %s", crawl.name, crawl_id, status, code, seconds, summary)
        return RunResult(crawl.name, code, crawl_id, status, counts, seconds)

    def stop(self, signum=None, frame=None):
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            logger.warning("stopping: asking the running crawl (pid %d) to finish", self.child.pid)
            self.child.send_signal(signal.SIGINT)  # Scrapy closes the spider and the crawl's books

    def once(self, names=None, force=False) -> list[RunResult | None]:
        todo = [c for c in self.crawls if not names or c.name in names] if force else \
            [c for c in self.due() if not names or c.name in names]
        if not todo:
            logger.info("nothing due")
        results = []
        for crawl in todo:
            if self.stopping:
                break
            results.append(self.run(crawl))
        return results

    def loop(self, names=None, max_runs: int | None = None) -> list[RunResult | None]:
        results: list[RunResult | None] = []
        while not self.stopping:
            for crawl in self.due():
                if names and crawl.name not in names:
                    continue
                if self.stopping or (max_runs is not None and len(results) >= max_runs):
                    break
                result = self.run(crawl)
                if result is None:
                    time.sleep(1.0)  # locked by another process: look again soon
                results.append(result)
            if max_runs is not None and len(results) >= max_runs:
                break
            wait = (self.next_time() - utcnow()).total_seconds()
            if wait > 0:
                logger.info("next crawl due at %s", iso(self.next_time()))
                _sleep(wait, self)
        return results


def _sleep(seconds: float, scheduler: Scheduler):
    end = time.monotonic() + seconds
    while not scheduler.stopping and time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))


def _has_column(archive, table: str, column: str) -> bool:
    return any(c.name == column for c in archive.db[table].columns)


def _last_line(path: Path) -> str:
    try:
        lines = [l.strip() for l in path.read_text(errors="replace").splitlines() if l.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


@click.command(name="schedule")
@click.option("--config", "config", default="schedule.toml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The schedule file (TOML).")
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="The archive, overriding the schedule file's db.")
@click.option("--once", is_flag=True, help="Run what is due now, then exit (non-zero when a run failed).")
@click.option("--only", "names", multiple=True, help="Only this named crawl (repeatable).")
@click.option("--force", is_flag=True, help="With --once: run the crawls whether due or not.")
@click.option("--wait/--no-wait", default=None,
              help="When another crawl holds the archive's lock: wait for it (default in the loop) or skip "
                   "(default with --once).")
@click.option("--log-dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Where each run's Scrapy log goes (default: logs/ beside the archive).")
@click.option("--max-runs", default=None, type=int, help="Stop the loop after this many runs.")
@click.option("--list", "list_only", is_flag=True, help="Show the crawls and when each is next due, and exit.")
def schedule_command(config, db_path, once, names, force, wait, log_dir, max_runs, list_only):
    """Run named crawls from a schedule file on an interval or a cron expression, one at a time per archive.

    Example: healtharchive schedule --config schedule.toml --once   (see docs/scheduling.md)
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%SZ", stream=sys.stderr)
    logging.Formatter.converter = time.gmtime
    crawls = load_config(config, db_path)
    unknown = set(names) - {c.name for c in crawls}
    if unknown:
        raise ScheduleError(f"no crawl named {', '.join(sorted(unknown))} in {config}")
    if list_only:
        for c in crawls:
            last = last_started(c.db, c.name)
            when = c.next_due(last)
            click.echo(f"{c.name}: {c.spider} {c.args}  {'every ' + str(c.every) if c.every else 'cron ' + c.cron}  "
                       f"last {iso(last) if last else 'never'}, next {'now' if when.year == 1 else iso(when)}  ({c.db})")
        return
    scheduler = Scheduler(crawls, log_dir=log_dir, wait=(not once) if wait is None else wait)
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    results = scheduler.once(names, force) if once else scheduler.loop(names, max_runs)
    failed = [r for r in results if r is not None and r.exit_code != 0]
    if failed:
        raise SystemExit(1)
