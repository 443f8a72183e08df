"""What every ``healtharchive`` command shares: the ``--db`` option, opening the archive, finding an article."""

from __future__ import annotations

import sqlite3
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


def default_pair(numbers: list[int], from_version: int | None, to_version: int | None):
    """The two versions a diff shows: the last two by default, FROM against the latest, or both given."""
    if from_version is None and to_version is None:
        return (numbers[-2], numbers[-1]) if len(numbers) > 1 else (None, numbers[-1])
    if to_version is None:
        return from_version, numbers[-1]
    return from_version, to_version
