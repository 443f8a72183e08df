"""``healtharchive schedule``: the command line of the scheduler."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from archive.clock import iso

from ..common import log_to_stderr
from .config import ScheduleError, load_config
from .supervisor import Scheduler, last_started


@click.command(name="schedule")
@click.option(
    "--config",
    "config",
    default="schedule.toml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The schedule file (TOML).",
)
@click.option(
    "--db",
    "db_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="The archive, overriding the schedule file's db.",
)
@click.option("--once", is_flag=True, help="Run what is due now, then exit (non-zero when a run failed).")
@click.option("--only", "names", multiple=True, help="Only this named crawl (repeatable).")
@click.option("--force", is_flag=True, help="With --once: run the crawls whether due or not.")
@click.option(
    "--wait/--no-wait",
    default=None,
    help="When another process writes the archive: wait for it (default in the loop) or skip (default with --once).",
)
@click.option(
    "--log-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where each run's Scrapy log goes (default: logs/ beside the archive).",
)
@click.option("--max-runs", default=None, type=int, help="Stop the loop after this many runs.")
@click.option("--list", "list_only", is_flag=True, help="Show the crawls and when each is next due, and exit.")
def schedule_command(config, db_path, once, names, force, wait, log_dir, max_runs, list_only):
    """Run named crawls from a schedule file on an interval or a cron expression, one at a time per archive.

    Example: healtharchive schedule --config schedule.toml --once   (see docs/scheduling.md)
    """
    log_to_stderr()
    crawls = load_config(config, db_path)
    unknown = set(names) - {c.name for c in crawls}
    if unknown:
        raise ScheduleError(f"no crawl named {', '.join(sorted(unknown))} in {config}")
    if list_only:
        for c in crawls:
            last = last_started(c.db, c.name)
            when = c.next_due(last)
            click.echo(
                f"{c.name}: {c.spider} {c.args}  {'every ' + str(c.every) if c.every else 'cron ' + c.cron}  "
                f"last {iso(last) if last else 'never'}, next {'now' if when.year == 1 else iso(when)}  ({c.db})"
            )
        return
    scheduler = Scheduler(crawls, log_dir=log_dir, wait=(not once) if wait is None else wait)
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    results = scheduler.once(names, force) if once else scheduler.loop(names, max_runs)
    if any(r is not None and r.exit_code != 0 and r.status != "stopped" for r in results):
        raise SystemExit(1)
