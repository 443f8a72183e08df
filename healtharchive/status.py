"""``healtharchive status --redis URL``: the distributed runs a Redis holds, at a glance."""

from __future__ import annotations

import json

import click

from crawler.distributed import run

from .ingest import connect


@click.command(name="status")
@click.option("--redis", "redis_url", required=True, help="The Redis of the runs, e.g. redis://10.0.0.2:6379/0.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status_command(redis_url, fmt):
    """Show each distributed run: where it is, its frontier and leases, live workers, pages/s, articles written.

    Example: healtharchive status --redis redis://10.0.0.2:6379/0
    """
    server = connect(redis_url, retries=2)
    states = [run.state(server, keys) for keys in run.runs(server)]
    holder = (run.text(server.get(run.INGEST)) or "").split()
    ingest = {"host": holder[0], "pid": int(holder[1])} if len(holder) == 3 else None
    if fmt == "json":
        click.echo(json.dumps({"ingest": ingest, "runs": states}, indent=2))
        return
    click.echo(f"ingest: host {ingest['host']} pid {ingest['pid']}" if ingest else "ingest: none running")
    if not states:
        click.echo("no runs")
    for s in states:
        info = s["meta"]
        crawl = f", crawl {info['crawl_id']}" if info.get("crawl_id") else ""
        click.echo(f"\n{s['run']}  {run.phase(info)}{crawl}  (started {info.get('started', '?')})")
        click.echo(
            f"  frontier {s['frontier']}, leased {s['leased']}, articles waiting {s['items_waiting']}, "
            f"requeued {info.get('requeued', 0)}"
        )
        silent = f" ({len(s['silent'])} silent)" if s["silent"] else ""
        click.echo(f"  workers alive {len(s['workers'])}{silent}: {', '.join(s['workers']) or '-'}")
        click.echo(
            f"  pages {s['pages']} ({s['pages_per_second']}/s now), articles pushed {s['articles_pushed']}, "
            f"ingested {s['articles_ingested']}, errors {s['errors']}"
        )
