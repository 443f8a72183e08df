"""What every ``healtharchive`` command shares: the ``--db`` option, opening the archive, finding an article."""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from pathlib import Path

import click

from archive import Archive, ArchiveError, queries

db_option = click.option(
    "--db",
    "db_path",
    default="archive.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The archive (SQLite file).",
)


warc_dir_option = click.option(
    "--warc-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where the WARC files are, if they were moved away from the archive's warc/ folder.",
)


def log_to_stderr() -> None:
    """INFO lines with UTC ISO times on stderr, for the long-running commands (schedule, ingest)."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%SZ",
        stream=sys.stderr,
    )
    logging.Formatter.converter = time.gmtime


def open_archive(path: str, readonly: bool = True) -> Archive:
    """The archive at ``path``, or a one-line error (no file, not an archive, a newer schema)."""
    if readonly and not Path(path).is_file():
        raise click.ClickException(f"no archive at {path} (run a crawl first, or pass --db PATH)")
    try:
        return Archive(path, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def find_article(archive: Archive | sqlite3.Connection, key: str) -> dict:
    """The article ``key`` names (an id, or its URL in any form), or a one-line error."""
    conn = archive.conn if isinstance(archive, Archive) else archive
    row = queries.find_article(conn, key)
    if row is None:
        raise click.ClickException(f"no article {key} in the archive")
    return row
