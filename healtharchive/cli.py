"""``healtharchive``: read the archive from the command line, serve it in Datasette, and the archive's chores."""

import json
import sqlite3
import sys
from pathlib import Path

import click

from archive import ArchiveError, queries
from archive.clock import parse_when
from archive.text import blocks as text_blocks

from . import diff as differ
from .backfill import backfill_command
from .common import db_option, find_article, open_archive
from .export import export_command
from .ingest import ingest_command
from .notify import notify_command
from .reextract import reextract_command
from .scaffold import genspider_command
from .schedule import schedule_command
from .status import status_command


class Group(click.Group):
    """Turns an unreadable archive into one clear line instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"cannot read the archive: {exc} (is it a healtharchive archive?)") from exc


@click.group(cls=Group)
@click.version_option(package_name="healtharchive")
def cli():
    """healtharchive: a versioned archive of health websites.

    Crawl with Scrapy (`scrapy crawl healthcenter -a start_url=URL`), then read the archive here.
    """


@cli.command()
@click.argument("article")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(article, db_path, fmt):
    """Show an article's versions and observations. ARTICLE is its URL (any form) or its id.

    Example: healtharchive history https://www.webmd.com/breast-cancer/guide --db archive.db
    """
    with open_archive(db_path) as archive:
        found = find_article(archive, article)
        story = queries.article_history(archive.conn, found["id"])
    versions, observations = story["versions"], story["observations"]
    if fmt == "json":
        click.echo(json.dumps({"article": found, "versions": versions, "observations": observations}, indent=2))
        return
    click.echo(f"{found['url']}  [{found['status']}]  {found['title'] or ''}")
    click.echo(f"first seen {found['first_seen']}, last seen {found['last_seen']}")
    click.echo("\nversions:")
    for v in versions:
        click.echo(
            f"  v{v['version']}  {v['crawled_at']}  {v['page_count']} page(s)  {v['words']} words  "
            f"{v['content_hash'][:19]}  {v['extractor']} {v['extractor_version']}"
        )
    click.echo("\nobservations:")
    for o in observations:
        version = f"v{o['version']}" if o["version"] else "-"
        click.echo(f"  crawl {o['crawl_id']}  {o['observed_at']}  {o['outcome']:<10}  {version}")


@cli.command(name="diff")
@click.argument("article")
@click.argument("from_version", required=False, type=int)
@click.argument("to_version", required=False, type=int)
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["unified", "words", "json"]),
    default="unified",
    show_default=True,
    help="unified text, a word-level view (coloured on a terminal), or JSON.",
)
@click.option("--color/--no-color", default=None, help="Colour the word view (default: on a terminal).")
def diff_command(article, from_version, to_version, db_path, fmt, color):
    """Show what changed between two versions of an article (default: the last two). ARTICLE is its URL (any
    form) or its id.

    Example: healtharchive diff https://www.webmd.com/breast-cancer/guide 1 3 --format words
    """
    with open_archive(db_path) as archive:
        found = find_article(archive, article)
        numbers = queries.version_numbers(archive.conn, found["id"])
        if not numbers:
            raise click.ClickException(f"{found['url']} has no version yet")
        a, b = differ.default_pair(numbers, from_version, to_version)
        a = b if a is None else a  # one version: compared with itself
        for n in (a, b):
            if n not in numbers:
                raise click.ClickException(
                    f"{found['url']} has no version {n} (versions: {', '.join(map(str, numbers))})"
                )
        texts = {n: row["text"] for n, row in queries.versions(archive.conn, found["id"], {a, b}).items()}
    ops = differ.diff(texts[a], texts[b])
    if fmt == "json":
        click.echo(differ.to_json(ops, url=found["url"], article_id=found["id"], **{"from": a, "to": b}))
    elif fmt == "words":
        use_color = sys.stdout.isatty() if color is None else color
        # color=: click strips ANSI codes from a pipe unless told (--color | less -R keeps them).
        click.echo(differ.words(ops, color=use_color) or "(no change)", color=use_color)
    else:
        label = found["url"]
        click.echo(differ.unified(texts[a], texts[b], f"{label} v{a}", f"{label} v{b}") or "(no change)", nl=False)


def page_of(starts: list[int] | None, index: int) -> int | None:
    """The page (1, 2, ...) of the ``index``-th block of a text whose pages start at ``starts``; None if unknown."""
    return sum(start <= index for start in starts) if starts else None


@cli.command()
@click.argument("article")
@click.argument("version", required=False, type=int)
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(article, version, db_path, fmt):
    """Print one version of an article in full (default: the latest), with its metadata and, where they were
    recorded, where its pages start. ARTICLE is its URL (any form) or its id.

    Example: healtharchive show https://www.webmd.com/breast-cancer/guide 2 --db archive.db
    """
    with open_archive(db_path) as archive:
        found = find_article(archive, article)
        numbers = queries.version_numbers(archive.conn, found["id"])
        if not numbers:
            raise click.ClickException(f"{found['url']} has no version yet")
        number = numbers[-1] if version is None else version
        if number not in numbers:
            raise click.ClickException(
                f"{found['url']} has no version {number} (versions: {', '.join(map(str, numbers))})"
            )
        row = queries.versions(archive.conn, found["id"], [number])[number]
    starts = json.loads(row["page_starts"]) if row["page_starts"] else None
    urls = json.loads(row["page_urls"]) if row["page_urls"] else []
    if fmt == "json":
        click.echo(json.dumps({"article": found, "version": {**row, "page_starts": starts}}, indent=2))
        return
    click.echo(f"{row['title'] or found['title'] or found['url']}")
    click.echo(f"{found['url']}  [{found['status']}]  article {found['id']}")
    click.echo(
        f"version {number} of {len(numbers)} (id {row['id']}), archived {row['crawled_at']} by crawl {row['crawl_id']}"
        f", {row['words']} words, {row['page_count']} page(s)"
    )
    for key in ("reviewed_on", "reviewed_by", "author", "published"):
        if row[key]:
            click.echo(f"{key.replace('_', ' ')}: {row[key]}")
    if starts is None and (row["page_count"] or 1) > 1:
        click.echo("which page each paragraph came from: not recorded (archived before page boundaries were kept)")
    click.echo("")
    for index, block in enumerate(text_blocks(row["text"])):
        if starts and index in starts:
            for page in [p for p, start in enumerate(starts, start=1) if start == index]:
                url = urls[page - 1] if page - 1 < len(urls) else ""
                click.echo(f"--- page {page} {url}".rstrip() + "\n")
        click.echo(block + "\n")


@cli.command()
@click.argument("query")
@db_option
@click.option("--on", "on", default=None, help="Search the text as it stood on this date (YYYY-MM-DD or UTC time).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Highlight the matches (default: on a terminal).")
def search(query, db_path, on, limit, fmt, color):
    """Search the articles' text (words match their stems: dose finds doses), best match first, with the passage
    that matched. Without --on: the current text of live articles.

    Example: healtharchive search "hormone therapy" --on 2026-03-01 --db archive.db
    """
    try:
        as_of = parse_when(on, end_of_day=True) if on is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--on") from None
    use_color = sys.stdout.isatty() if color is None else color
    marks = ("\x1b[1;33m", "\x1b[0m") if use_color else ("[", "]")
    with open_archive(db_path) as archive:
        hits = queries.search(archive.conn, query, as_of, limit, marks if fmt == "text" else ("", ""))
    if fmt == "json":
        click.echo(json.dumps(hits, indent=2))
        return
    if not hits:
        click.echo(f"no article matches {query!r}" + (f" on {on}" if on else ""))
        return
    for hit in hits:
        click.echo(f"{hit['article_id']} v{hit['version']}  {hit['title'] or ''}  [{hit['status']}]")
        click.echo(f"  {hit['url']}")
        click.echo("  " + " ".join(hit["snippet"].split()), color=use_color)


@cli.command()
@db_option
@click.option("--to", "target", required=True, type=click.Path(path_type=Path), help="The copy: a file, or a folder.")
def backup(db_path, target):
    """Copy the archive with SQLite's online backup: a consistent copy, WAL included, safe while crawls write and
    Datasette reads. A folder gets a dated file (archive-20260301T080000Z.db). WARC files are not copied (see
    docs/backup.md).

    Example: healtharchive backup --db archive.db --to /backups/
    """
    from archive.backup import backup as copy

    done = copy(db_path, target)
    click.echo(
        f"backed up {db_path} to {done['path']}: {done['articles']} articles, {done['versions']} versions, "
        f"{done['crawls']} crawls, {done['bytes'] / 1e6:.1f} MB in {done['seconds']:.1f}s"
    )


@cli.command()
@click.argument("path", default="archive.db", type=click.Path(dir_okay=False))
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (127.0.0.1: this machine only)."
)
def serve(path, port, host):
    """Serve the archive in Datasette, read-only, with the project's metadata and plugins.

    Example: healtharchive serve archive.db --port 8001
    """
    import uvicorn

    from .site import make_datasette

    with open_archive(path) as archive:  # a clear line for a missing, foreign or newer file, before Datasette starts
        if not archive.db["articles"].exists():
            raise click.ClickException(f"{path} is an SQLite database but not a healtharchive archive (no articles)")
    ds = make_datasette(path)
    click.echo(f"Datasette on http://{host}:{port}/ serving {path} (read-only); Ctrl-C stops it")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


for command in (
    export_command,
    reextract_command,
    schedule_command,
    genspider_command,
    notify_command,
    backfill_command,
    ingest_command,
    status_command,
):
    cli.add_command(command)
