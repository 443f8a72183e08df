"""``make demo``: the bundled sample health center, crawled twice with an edit in between, in Datasette.

Run as ``python -m healtharchive.demo [--port 8001] [--db demo/archive.db]``. The sample center is served on
127.0.0.1; round 1 is crawled, the site then changes (an edited sentence, a grown article, a removed
article, a new one, a failing page, rotated promos) and is crawled again, so the archive has
something to diff. Then the archive is served in Datasette until Ctrl-C.

The demo builds its own archive, ``demo/archive.db`` (made afresh each time), never ``./archive.db``: that is
the default archive of every crawl command, and may hold a real archive.
"""

import argparse
import subprocess
import sys
from pathlib import Path

from samplesite import SampleSite

CRAWL_SETTINGS = [
    "-s",
    "ALLOW_PRIVATE_ADDRESSES=True",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "LOG_LEVEL=WARNING",
]


ROOT = Path(__file__).resolve().parents[1]


def crawl(hub_url: str, db: str) -> int:
    scrapy = Path(sys.executable).with_name("scrapy")
    command = [
        str(scrapy),
        "crawl",
        "healthcenter",
        "-a",
        f"start_url={hub_url}",
        "-s",
        f"ARCHIVE_DB={db}",
        *CRAWL_SETTINGS,
    ]
    return subprocess.run(command, check=False, cwd=ROOT).returncode  # where scrapy.cfg is


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001, help="Datasette's port")
    parser.add_argument("--db", default="demo/archive.db", help="the demo's own archive, made afresh")
    args = parser.parse_args(argv)
    args.db = str(Path(args.db).resolve())
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(args.db + suffix).unlink(missing_ok=True)  # a fresh demo archive every time
    with SampleSite() as site:
        print(f"sample health center: {site.hub_url}", flush=True)
        for round_ in (1, 2):
            site.set_round(round_)
            print(f"crawl {round_} of 2 ...", flush=True)
            if crawl(site.hub_url, args.db) != 0:
                sys.exit(f"demo: crawl {round_} failed")
    from .cli import cli

    cli.main(["serve", args.db, "--port", str(args.port)], standalone_mode=True)


if __name__ == "__main__":
    main()
