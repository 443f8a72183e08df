"""Running scheduled crawls: one ``scrapy crawl`` process at a time per archive, under the archive's lock."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive import Archive
from archive.clock import iso, parse_iso
from archive.clock import now as utcnow
from archive.lock import ArchiveLock, Locked
from pipelines.verdict import STOPPED

from ..notify import NotifyError, notify_crawls
from .config import Crawl

logger = logging.getLogger("healtharchive.schedule")

ROOT = Path(__file__).resolve().parents[2]
TIMED_OUT = 124  # the run's exit status when it exceeded its timeout (as timeout(1) reports it)
STOP_GRACE = 120.0  # seconds a crawl asked to stop gets before it is killed


def last_started(db: Path, name: str) -> datetime | None:
    """When the crawl ``name`` last started in the archive ``db`` (read-only: only a lock holder writes)."""
    if not db.exists():
        return None
    with Archive(str(db), readonly=True) as archive:
        try:
            started = archive.schedule_last_started(name)
        except sqlite3.OperationalError:  # an archive from before scheduled runs: none ran
            return None
    return parse_iso(started) if started else None


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
            lock.acquire(
                wait=self.wait,
                on_wait=lambda pid: logger.warning(
                    "%s: waiting: the archive %s is being written by pid %s", crawl.name, crawl.db, pid
                ),
            )
        except Locked as exc:
            logger.warning("%s: skipped: %s", crawl.name, exc)
            return None
        try:
            return self._run_locked(crawl, lock)
        finally:
            lock.release()

    def _run_locked(self, crawl: Crawl, lock: ArchiveLock) -> RunResult:
        started = utcnow()
        with Archive(str(crawl.db)) as archive:
            before = archive.last_crawl_id()
            run_id = archive.schedule_started(crawl.name, crawl.spider, iso(started))
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
            # (a second one would make Scrapy stop uncleanly). The lock's descriptor goes with it, so the
            # archive stays locked while the crawl runs even if the scheduler dies.
            self.child = subprocess.Popen(
                command,
                cwd=ROOT,
                env=lock.child_env(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=(lock.fd,),
            )
            pid = self.child.pid
            try:
                code = self._wait(crawl)
            finally:
                self.child = None
        return self._record_run(crawl, run_id, before, pid, code, started, time.monotonic() - t0, log_file)

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

    def _record_run(self, crawl, run_id, before, pid, code, started, seconds, log_file) -> RunResult:
        """Record the run in ``schedule_runs`` (and its crawl as failed when the process did not finish it)."""
        with Archive(str(crawl.db)) as archive:
            rows = archive.crawls_after(before)
            mine = [r for r in rows if r.get("pid") == pid] or [r for r in rows if r["spider"] == crawl.spider][:1]
            reason = (
                f"timed out after {crawl.timeout}" if code == TIMED_OUT else f"scrapy crawl exited with status {code}"
            )
            if not mine:
                # The process died before the archive pipeline recorded its crawl: record it here.
                tail = _last_line(log_file)
                crawl_id = archive.start_crawl(
                    crawl.spider,
                    crawl.args.get("profile") or "",
                    {k: str(v) for k, v in crawl.args.items()},
                    None,
                    started_at=iso(started),
                    pid=pid,
                )
                archive.finish_crawl(
                    crawl_id, "failed", f"{reason} before the crawl started" + (f": {tail}" if tail else ""), 0, 1
                )
                status = "failed"
            else:
                crawl_id = mine[0]["id"]
                status = mine[0].get("status") or "finished"
                if code == TIMED_OUT and status in ("running", "stopped"):
                    archive.fail_crawl(crawl_id, reason, "stopped" if status == "stopped" else "failed")
                elif code != 0 and status in ("running", "finished"):
                    archive.fail_crawl(crawl_id, reason)
                    status = "failed"
            if self.stopping and code in (0, STOPPED):
                status = "stopped"  # asked to stop (SIGTERM/SIGINT): not counted as a run when finding what is due
            elif code != 0:
                status = "failed"
            counts = archive.outcome_counts(crawl_id)
            archive.schedule_finished(
                run_id,
                crawl_id=crawl_id,
                exit_code=code,
                status=status,
                counts=json.dumps(counts),
                log_file=str(log_file),
            )
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        log = logger.info if code == 0 else logger.error
        log("%s: crawl %d %s (exit status %d) in %.1fs: %s", crawl.name, crawl_id, status, code, seconds, summary)
        self._notify(crawl, crawl_id, status)
        return RunResult(crawl.name, code, crawl_id, status, counts, seconds)

    def _notify(self, crawl: Crawl, crawl_id: int, status: str) -> None:
        """Send the run's notification (its new, changed and gone articles); a failure to send is logged."""
        if not crawl.notify:
            return
        name = crawl.name if status in ("finished", "stopped") else f"{crawl.name} ({status})"
        try:
            sent = notify_crawls(
                crawl.db,
                [crawl_id],
                crawl.notify,
                crawl.base_url,
                name=name,
                only_changes=crawl.notify_when == "changes" and status == "finished",
            )
        except NotifyError as exc:
            logger.error("%s: notification not sent: %s", crawl.name, exc.message)
            return
        if sent is not None:
            logger.info("%s: notified %d destination(s)", crawl.name, len(crawl.notify))

    def stop(self, signum=None, frame=None):
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            logger.warning("stopping: asking the running crawl (pid %d) to finish", self.child.pid)
            self.child.send_signal(signal.SIGINT)  # Scrapy closes the spider and the crawl's books

    def once(self, names=None, force=False) -> list[RunResult | None]:
        todo = (
            [c for c in self.crawls if not names or c.name in names]
            if force
            else [c for c in self.due() if not names or c.name in names]
        )
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
                self._sleep(wait)
        return results

    def _sleep(self, seconds: float):
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""
