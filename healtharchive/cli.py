"""``healtharchive``: read the archive from the command line, and serve it in Datasette."""

import json
import sqlite3
import sys
from pathlib import Path

import click

from . import diff as differ

DB_OPTION = click.option("--db", "db_path", default="archive.db", show_default=True,
                         type=click.Path(dir_okay=False), help="The archive (SQLite file).")


def open_db(path: str) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise click.ClickException(f"no archive at {path} (run a crawl first, or pass --db PATH)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def find_article(conn, url: str) -> sqlite3.Row:
    from crawler.urls import canonical_url

    row = conn.execute("SELECT * FROM articles WHERE url IN (?, ?)", [url, canonical_url(url)]).fetchone()
    if row is None:
        raise click.ClickException(f"no article {url} in the archive")
    return row


class Group(click.Group):
    """Turns an unreadable archive into one clear line instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"cannot read the archive: {exc} (is it a healtharchive archive?)") from exc


@click.group(cls=Group)
@click.version_option(package_name="healtharchive")
def cli():
    """healtharchive: a versioned archive of health websites.

    Crawl with Scrapy (`scrapy crawl healthcenter -a start_url=URL`), then read the archive here.
    """


@cli.command()
@click.argument("url")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(url, db_path, fmt):
    """Show an article's versions and observations.

    Example: healtharchive history https://www.webmd.com/breast-cancer/guide --db archive.db
    """
    conn = open_db(db_path)
    article = find_article(conn, url)
    versions = [dict(r) for r in conn.execute(
        "SELECT version, crawled_at, content_hash, page_count, words, extractor, extractor_version, title "
        "FROM versions WHERE article_id = ? ORDER BY version", [article["id"]])]
    observations = [dict(r) for r in conn.execute(
        "SELECT o.crawl_id, o.observed_at, o.outcome, v.version FROM observations o "
        "LEFT JOIN versions v ON v.id = o.version_id WHERE o.article_id = ? ORDER BY o.id", [article["id"]])]
    if fmt == "json":
        click.echo(json.dumps({"article": dict(article), "versions": versions, "observations": observations}, indent=2))
        return
    click.echo(f"{article['url']}  [{article['status']}]  {article['title'] or ''}")
    click.echo(f"first seen {article['first_seen']}, last seen {article['last_seen']}")
    click.echo("\nversions:")
    for v in versions:
        click.echo(f"  v{v['version']}  {v['crawled_at']}  {v['page_count']} page(s)  {v['words']} words  "
                   f"{v['content_hash'][:19]}  {v['extractor']} {v['extractor_version']}")
    click.echo("\nobservations:")
    for o in observations:
        version = f"v{o['version']}" if o["version"] else "-"
        click.echo(f"  crawl {o['crawl_id']}  {o['observed_at']}  {o['outcome']:<10}  {version}")


@cli.command(name="diff")
@click.argument("url")
@click.argument("from_version", required=False, type=int)
@click.argument("to_version", required=False, type=int)
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["unified", "words", "json"]), default="unified",
              show_default=True, help="unified text, a word-level view (coloured on a terminal), or JSON.")
@click.option("--color/--no-color", default=None, help="Colour the word view (default: on a terminal).")
def diff_command(url, from_version, to_version, db_path, fmt, color):
    """Show what changed between two versions of an article (default: the last two).

    Example: healtharchive diff https://www.webmd.com/breast-cancer/guide 1 3 --format words
    """
    conn = open_db(db_path)
    article = find_article(conn, url)
    numbers = [r[0] for r in conn.execute(
        "SELECT version FROM versions WHERE article_id = ? ORDER BY version", [article["id"]])]
    if not numbers:
        raise click.ClickException(f"{article['url']} has no version yet")
    if from_version is None:  # the last two
        from_version, to_version = numbers[-2:] if len(numbers) > 1 else (numbers[-1], numbers[-1])
    elif to_version is None:  # FROM against the latest
        to_version = numbers[-1]
    texts = {}
    for n in (from_version, to_version):
        row = conn.execute("SELECT text FROM versions WHERE article_id = ? AND version = ?", [article["id"], n]).fetchone()
        if row is None:
            raise click.ClickException(f"{article['url']} has no version {n} (versions: {', '.join(map(str, numbers))})")
        texts[n] = row["text"]
    ops = differ.diff(texts[from_version], texts[to_version])
    if fmt == "json":
        click.echo(differ.to_json(ops, url=article["url"], article_id=article["id"], **{"from": from_version, "to": to_version}))
    elif fmt == "words":
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(differ.words(ops, color=use_color) or "(no change)")
    else:
        label = article["url"]
        click.echo(differ.unified(texts[from_version], texts[to_version], f"{label} v{from_version}",
                                  f"{label} v{to_version}") or "(no change)", nl=False)


@cli.command()
@click.argument("path", default="archive.db", type=click.Path(dir_okay=False))
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (127.0.0.1: this machine only).")
def serve(path, port, host):
    """Serve the archive in Datasette, read-only, with the project's metadata and plugins.

    Example: healtharchive serve archive.db --port 8001
    """
    import uvicorn

    from .site import make_datasette

    if not Path(path).is_file():
        raise click.ClickException(f"no archive at {path} (run a crawl first)")
    ds = make_datasette(path)
    click.echo(f"Datasette on http://{host}:{port}/ serving {path} (read-only); Ctrl-C stops it")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


from .export import export_command  # noqa: E402  (issue 5: scheduling, re-extraction, WARC export)
from .reextract import reextract_command  # noqa: E402
from .schedule import schedule_command  # noqa: E402

cli.add_command(export_command)
cli.add_command(reextract_command)
cli.add_command(schedule_command)

from .scaffold import genspider_command  # noqa: E402  (issue 6: scaffold a site spider)

cli.add_command(genspider_command)
