"""Notifications of what a crawl found (new, changed and gone articles, with links to their diffs) through
apprise: e-mail, Slack, Matrix, Discord, Telegram, webhooks (``json://``, ``form://``) and the rest of its services.

The scheduler sends one after each run whose crawl found something (``notify`` in the schedule file, see
docs/scheduling.md); ``healtharchive notify`` sends one for crawls run by hand. Links are absolute: ``base_url`` is
where the archive's Datasette is published (``https://archive.example.org``), and each link names the database, so
it still leads to the right archive when one Datasette serves several.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from archive import queries

from .common import db_option, open_archive

logger = logging.getLogger("healtharchive.notify")

LISTED = 50  # articles listed in one message; the rest are counted


class NotifyError(click.ClickException):
    """A notification could not be configured or sent; the message says why in one line."""


def links(base_url: str, database: str, change: dict) -> str:
    """The absolute link of one change: its diff (new and changed articles) or its article page (gone ones)."""
    base = base_url.rstrip("/")
    if change["outcome"] == "gone" or change["version"] is None:
        return f"{base}/-/article/{database}/{change['article_id']}"
    previous = change.get("previous_version", change["version"] - 1)  # the version before it in time
    if change["outcome"] == "new" or not previous:
        return f"{base}/-/diff/{database}/{change['article_id']}?to={change['version']}"
    return f"{base}/-/diff/{database}/{change['article_id']}?from={previous}&to={change['version']}"


def message(changes: list[dict], base_url: str, database: str, name: str = "") -> tuple[str, str]:
    """The title and plain-text body of a notification of ``changes`` (``archive.queries.crawl_changes`` rows)."""
    counts = {k: sum(c["outcome"] == k for c in changes) for k in ("changed", "new", "gone")}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no change"
    title = f"healtharchive{': ' + name if name else ''}: {summary}"
    lines = []
    for change in changes[:LISTED]:
        label = change["title"] or change["url"]
        lines.append(f"{change['outcome']}: {label}\n  {change['url']}\n  {links(base_url, database, change)}")
    if len(changes) > LISTED:
        lines.append(f"... and {len(changes) - LISTED} more: {base_url.rstrip('/')}/{database}/changes_since")
    return title, "\n".join(lines) or "No article was new, changed or gone."


def send(urls: list[str], title: str, body: str) -> None:
    """Send through every apprise URL of ``urls``; a NotifyError names the ones that failed."""
    import apprise

    failed = []
    for url in urls:
        one = apprise.Apprise()
        if not one.add(url):
            raise NotifyError(f"not a notification URL apprise knows: {redact(url)}")
        if not one.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT):
            failed.append(redact(url))
    if failed:
        raise NotifyError(f"could not notify {', '.join(failed)}")


def redact(url: str) -> str:
    """``url`` without what may be a secret (user, password, tokens): its scheme and host."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/..." if rest else url


def notify_crawls(db_path, crawl_ids, urls, base_url, name="", only_changes=True) -> dict | None:
    """Send one notification of what ``crawl_ids`` found in the archive at ``db_path``; returns the counts sent,
    or None when nothing was found and ``only_changes`` is set."""
    database = Path(db_path).stem
    with open_archive(str(db_path)) as archive:
        changes = [c for crawl_id in crawl_ids for c in queries.crawl_changes(archive.conn, crawl_id)]
    if not changes and only_changes:
        return None
    title, body = message(changes, base_url, database, name)
    send(urls, title, body)
    return {k: sum(c["outcome"] == k for c in changes) for k in ("changed", "new", "gone")}


@click.command(name="notify")
@db_option
@click.option("--to", "urls", multiple=True, required=True, help="An apprise URL (repeatable): mailto://, slack://...")
@click.option("--base-url", required=True, help="Where the archive's Datasette is published, for the links.")
@click.option("--crawl", "crawl_ids", multiple=True, type=int, help="The crawl to report (repeatable).")
@click.option("--since", "since", type=int, default=None, help="Report every crawl after this crawl id.")
@click.option("--always", is_flag=True, help="Send even when the crawls found nothing new, changed or gone.")
def notify_command(db_path, urls, base_url, crawl_ids, since, always):
    """Send a notification of what crawls found (new, changed, gone articles with links to their diffs).

    Without --crawl or --since: the latest crawl.

    Example: healtharchive notify --db archive.db --since 41 --to mailto://me:pw@example.org --base-url https://archive.example.org
    """
    with open_archive(db_path) as archive:
        if since is not None:
            crawl_ids = [c["id"] for c in archive.crawls_after(since)]
        elif not crawl_ids:
            last = archive.last_crawl_id()
            crawl_ids = [last] if last else []
    if not crawl_ids:
        raise NotifyError(f"no crawl to report in {db_path}")
    sent = notify_crawls(db_path, crawl_ids, list(urls), base_url, only_changes=not always)
    if sent is None:
        click.echo(f"crawl(s) {', '.join(map(str, crawl_ids))}: nothing new, changed or gone: no notification sent")
    else:
        click.echo(f"notified {len(urls)} destination(s): " + ", ".join(f"{n} {k}" for k, n in sent.items()))
