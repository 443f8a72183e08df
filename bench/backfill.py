"""Backfill throughput: captures fetched and moments assembled per second from a local pywb.

Run: .venv/bin/python bench/backfill.py [--articles 100] [--concurrency 1,2,4]

Serves a generated center (three pages per article), crawls it twice with new chrome in between (every page a new
payload), serves the crawls' WARC files with pywb (tests/pywb.py: its own environment, built when missing) and runs
the real `healtharchive backfill` of every article into a fresh archive, without rate limits, once per concurrency.
Reported: wall time, captures replayed per second (the archive's answers, identical payloads fetched once) and
moments per second (assembled, cleaned and recorded). Against the Wayback Machine the default pace (one capture a
second) is the limit, not this.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, Site, crawl_center, machine, table

HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--concurrency", default="1,2,4")
    args = parser.parse_args()
    from tests.pywb import run_pywb

    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        crawled = tmp / "crawled" / "archive.db"
        crawled.parent.mkdir()
        with Site(args.articles) as site:
            for round_ in (1, 2):
                site.set_round(round_)
                crawl_center(site.hub_url, crawled)
                time.sleep(1.1)
            urls = [a["url"] for a in site.articles()]
        rows = []
        with run_pywb([crawled.parent / "warc"], tmp / "pywb") as pywb:
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                db = tmp / f"backfill-{concurrency}" / "archive.db"
                command = [HEALTHARCHIVE, "backfill", *urls, "--db", str(db), "--cdx", pywb.cdx]
                command += [
                    "--replay",
                    pywb.replay,
                    "--rate",
                    "0",
                    "--cdx-rate",
                    "0",
                    "--concurrency",
                    str(concurrency),
                ]
                started = time.monotonic()
                result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                wall = time.monotonic() - started
                if result.returncode != 0:
                    raise SystemExit(result.stderr[-3000:])
                replayed = int(re.search(r"(\d+) replayed", result.stdout).group(1))
                moments = int(re.search(r"(\d+) moments assembled", result.stdout).group(1))
                rows.append(
                    [concurrency, f"{wall:.1f}", replayed, f"{replayed / wall:.1f}", moments, f"{moments / wall:.1f}"]
                )
    print(f"\n{args.articles} articles x 3 pages, 2 rounds, pywb on 127.0.0.1, no rate limit")
    print(table(["concurrency", "wall s", "captures", "captures/s", "moments", "moments/s"], rows))


if __name__ == "__main__":
    main()
