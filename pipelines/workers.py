"""Worker processes that live and die with the process that started them: the crawl's cleaning pool, and the
writers that each keep one object in a child process of their own.

``worker_pool(n, nice, name, preload)`` is a ``ProcessPoolExecutor`` of ``n`` spawned workers (forking a process that
runs a reactor and holds sockets is unsafe) whose workers:

- run ``nice`` steps below their parent's priority (the crawl's cleaning workers yield cores to its fetching; a
  negative ``nice`` is ignored);
- ignore SIGINT: a Ctrl-C in a terminal reaches the whole process group, and a worker killed by it would break
  the pool and turn every article being cleaned into a false ``incomplete``; the crawl decides when to stop, and
  finishes cleaning what it has;
- die with their parent, however it dies (``kill -9`` included): on Linux the kernel kills them
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), elsewhere a watchdog thread sees them orphaned within a second. The
  pool's resource tracker then sees its last writer gone and exits too;
- start without running their parent's main script again (``spawn`` does, and ``scrapy``'s imports all of
  Scrapy: 0.25 s of CPU and 23-32 MB of RSS less for each worker and writer);
- import the modules ``preload`` as they start, before their first task;
- are named (``prctl(PR_SET_NAME)``, seen in ``/proc/PID/comm``, ``ps`` and ``top``): ``ha-clean`` for the cleaning
  workers, ``ha-archive`` and ``ha-warc`` for the crawl's writers, so a benchmark tells them apart.

``Resident(name, factory, *args, **kwargs)`` is an object that lives in a worker process of its own:
``factory(*args, **kwargs)`` builds it there (the process starts at ``start()`` or the first call), and ``await
resident.call(method, *args)`` runs ``method(*args)`` on it there, one call after the other in the order they were
made, and returns its result (or raises its exception). What the object logs meanwhile is logged
again in the calling process (with the caller's handlers, format and counts), after the call. Its arguments and
results are pickled: plain data. A process that dies makes its call, and every later one, raise
``BrokenProcessPool``.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import SpawnContext, SpawnProcess

PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1


@contextmanager
def _main_script_hidden():
    """A spawned process runs its parent's main script again (``scrapy``'s: all of Scrapy, about 0.4 s of CPU and
    30 MB for each worker and writer) unless the script is hidden while the process starts; no worker needs it."""
    main = sys.modules["__main__"]
    path = main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        if path is not None:
            main.__file__ = path


class _LeanProcess(SpawnProcess):
    @staticmethod
    def _Popen(process_obj):
        with _main_script_hidden():
            return SpawnProcess._Popen(process_obj)


class _LeanSpawn(SpawnContext):
    """The "spawn" start method, without the parent's main script."""

    Process = _LeanProcess


SPAWN = _LeanSpawn()


def worker_pool(
    workers: int, nice: int = 0, name: str = "ha-clean", preload: tuple[str, ...] = ()
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers,
        mp_context=SPAWN,
        initializer=start_worker,
        initargs=(os.getpid(), nice, name, preload),
    )


def start_worker(parent: int, nice: int = 0, name: str = "ha-clean", preload: tuple[str, ...] = ()) -> None:
    """A worker's first act: take its name, ignore Ctrl-C, arrange to die with ``parent``, lower its priority by
    ``nice``, import the modules ``preload``."""
    _set_name(name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice > 0:  # only ever lower: raising a priority needs privileges, and a worker failing here breaks the pool
        os.nice(nice)
    if not (sys.platform.startswith("linux") and _kill_me_with_parent()):
        threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before this worker was ready
        os._exit(1)
    for module in preload:
        importlib.import_module(module)


def _set_name(name: str) -> None:
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the name only helps to tell processes apart


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


class Resident:
    """An object living in a worker process of its own, called in order (see the module doc)."""

    def __init__(self, name: str, factory, *args, nice: int = 0, **kwargs):
        self.name = name
        self.factory, self.args, self.kwargs, self.nice = factory, args, kwargs, nice
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the process (the first call does it otherwise): its start-up overlaps the caller's."""
        if self.pool is None:
            level = min((h.level for h in logging.getLogger().handlers), default=logging.WARNING)
            self.pool = ProcessPoolExecutor(
                1,
                mp_context=SPAWN,
                initializer=_start_resident,
                initargs=(os.getpid(), self.nice, self.name, level, self.factory, self.args, self.kwargs),
            )
            self.pool.submit(int)  # spawns the process now, not at the first real call

    async def call(self, method: str, *args, **kwargs):
        """``method(*args, **kwargs)`` on the object, in its process, after every call made before."""
        self.start()
        try:
            result, records = await asyncio.wrap_future(self.pool.submit(_call, method, args, kwargs))
        except Exception as exc:
            _log_again(getattr(exc, "resident_logs", ()))
            raise
        _log_again(records)
        return result

    def shutdown(self, wait: bool = True) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=not wait)


def _log_again(records) -> None:
    for record in records:
        logging.getLogger(record.name).handle(record)


# in the resident's process

_resident = None
_logged: list[logging.LogRecord] = []


class _Keep(logging.Handler):
    """Keeps what the object logs during a call, made picklable, for the caller to log."""

    def emit(self, record):
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        _logged.append(record)


def _start_resident(parent: int, nice: int, name: str, level: int, factory, args: tuple, kwargs: dict) -> None:
    global _resident
    start_worker(parent, nice, name)
    root = logging.getLogger()
    root.handlers[:] = [_Keep()]
    root.setLevel(level)
    _resident = factory(*args, **kwargs)


def _call(method: str, args: tuple, kwargs: dict):
    try:
        result = getattr(_resident, method)(*args, **kwargs)
    except Exception as exc:
        exc.resident_logs = _drain()
        raise
    return result, _drain()


def _drain() -> list[logging.LogRecord]:
    records = _logged[:]
    _logged.clear()
    return records
