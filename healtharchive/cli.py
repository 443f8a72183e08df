"""``healtharchive``: read the archive from the command line, serve it in Datasette, and the archive's chores."""

import json
import sqlite3
import sys

import click

from archive import ArchiveError, queries

from . import diff as differ
from .common import db_option, find_article, open_archive
from .export import export_command
from .reextract import reextract_command
from .scaffold import genspider_command
from .schedule import schedule_command


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
        click.echo(differ.words(ops, color=use_color) or "(no change)")
    else:
        label = found["url"]
        click.echo(differ.unified(texts[a], texts[b], f"{label} v{a}", f"{label} v{b}") or "(no change)", nl=False)


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

    open_archive(path).close()  # a clear line for a missing, foreign or newer file, before Datasette starts
    ds = make_datasette(path)
    click.echo(f"Datasette on http://{host}:{port}/ serving {path} (read-only); Ctrl-C stops it")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


for command in (export_command, reextract_command, schedule_command, genspider_command):
    cli.add_command(command)
