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
- One writer at a time per archive: a run holds the archive's lock (``archive.lock``) and hands it to
  its crawl. When another process writes the archive (a crawl started by hand, ``reextract``, another
  scheduler), the scheduler skips (``--once``) or waits for it (loop).
- After each run the outcome counts of its crawl (from ``observations``) are logged, and the run is
  recorded in the archive's ``schedule_runs`` table. A run whose process exits non-zero is failed; when
  the process died before its crawl was recorded (or left it ``running``), the scheduler records it in
  ``crawls`` with status ``failed`` itself.
- ``--once`` runs what is due and exits: non-zero when a run failed. Without it the scheduler loops,
  sleeping until the next crawl is due. SIGTERM/SIGINT stop the running crawl cleanly (Scrapy finishes
  the crawl's books) and end the scheduler.
"""

from .command import schedule_command
from .config import Crawl, ScheduleError, load_config, parse_interval
from .supervisor import RunResult, Scheduler

__all__ = ["Crawl", "RunResult", "ScheduleError", "Scheduler", "load_config", "parse_interval", "schedule_command"]
