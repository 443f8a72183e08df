"""One writer per archive: ``<archive>.lock``, an exclusive ``flock`` held by the process that writes.

Every process that writes the archive (a crawl, ``reextract``, ``ingest``, ``schedule``) holds the lock for
as long as it writes, so two never interleave. The holder's pid and start time are written inside for the
message a waiting process prints. The kernel drops a flock when its holder dies, so a lock file left by a
killed process is simply taken over.

A process that starts a writer of its own (``schedule`` runs ``scrapy crawl``) hands its lock down: the child
finds ``HEALTHARCHIVE_LOCK=<path>`` in its environment with the lock's descriptor inherited, and does not
lock again.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

from .clock import utcnow
from .store import process_alive

logger = logging.getLogger(__name__)

INHERITED = "HEALTHARCHIVE_LOCK"


class Locked(Exception):
    def __init__(self, path: Path, pid: int | None):
        holder = f"pid {pid}" if pid else "another process"
        super().__init__(f"the archive is being written by {holder} (lock {path})")
        self.pid = pid


class ArchiveLock:
    """``<archive>.lock`` for the archive at ``db``: ``acquire(wait=...)``, ``release()``, or ``with``."""

    def __init__(self, db):
        self.path = Path(str(Path(db).resolve()) + ".lock")
        self.fd: int | None = None
        self.inherited = False

    def holder(self) -> int | None:
        try:
            text = self.path.read_text().strip()
            return int(text.split()[0]) if text else None
        except (OSError, ValueError):
            return None

    def acquire(self, wait: bool = False, poll: float = 0.5, on_wait=None) -> ArchiveLock:
        """Take the lock (nothing to do when this object holds it already); when another process holds it: raise
        ``Locked``, or (``wait``) call ``on_wait(pid)`` once and wait."""
        if self.fd is not None or self.inherited:
            return self
        if os.environ.get(INHERITED) == str(self.path):
            self.inherited = True  # a parent that holds the lock started this process to write for it
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    os.close(fd)
                    raise Locked(self.path, self.holder()) from None
                if on_wait and not told:
                    on_wait(self.holder())
                    told = True
                time.sleep(poll)
        previous = self.holder()
        if previous and previous != os.getpid() and not process_alive(previous):
            logger.warning("cleared a stale lock %s left by pid %d, which is no longer running", self.path, previous)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {utcnow()}\n".encode(), 0)
        self.fd = fd
        return self

    def child_env(self, env: dict) -> dict:
        """``env`` for a child process that writes under this lock (the descriptor must be passed to it)."""
        return {**env, INHERITED: str(self.path)}

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
