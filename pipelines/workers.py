"""Cleaning worker processes that live and die with the process that started them.

``worker_pool(n, nice)`` is a ``ProcessPoolExecutor`` of ``n`` spawned workers (forking a process that runs a reactor
and holds sockets is unsafe) whose workers:

- run ``nice`` steps below their parent's priority (the crawl's cleaning workers yield cores to its fetching; a
  negative ``nice`` is ignored);
- ignore SIGINT: a Ctrl-C in a terminal reaches the whole process group, and a worker killed by it would break
  the pool and turn every article being cleaned into a false ``incomplete``; the crawl decides when to stop, and
  finishes cleaning what it has;
- die with their parent, however it dies (``kill -9`` included): on Linux the kernel kills them
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), elsewhere a watchdog thread sees them orphaned within a second. The
  pool's resource tracker then sees its last writer gone and exits too.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1


def worker_pool(workers: int, nice: int = 0) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(os.getpid(), nice),
    )


def start_worker(parent: int, nice: int = 0) -> None:
    """A worker's first act: ignore Ctrl-C, arrange to die with ``parent``, lower its priority by ``nice``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice > 0:  # only ever lower: raising a priority needs privileges, and a worker failing here breaks the pool
        os.nice(nice)
    if not (sys.platform.startswith("linux") and _kill_me_with_parent()):
        threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before this worker was ready
        os._exit(1)


def _kill_me_with_parent() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)
