"""Throughput: `scrapy crawl healthcenter` against a bare Scrapy spider on the same generated center.

Run: .venv/bin/python bench/throughput.py [--articles 500] [--pages 3] [--repeat 2]

Serves a generated center (``SampleSite(generated=N)``: the sample site's in-body chrome, three pages per
article) on 127.0.0.1 from this process, then alternates, ``--repeat`` times each:

- bare: ``scrapy runspider bench/bare_spider.py``: hub, articles and their pages, nothing kept;
- pipeline: ``scrapy crawl healthcenter`` into a fresh archive (cleaning pool, archive, WARC files).

Both are real subprocesses started from the repository root with the project's settings, delays off
(DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False). Wall time is spawn to exit (Python and Scrapy start-up
included); "crawl" is Scrapy's own elapsed_time_seconds. The best run of each is compared. CPU seconds
(user+system, from /proc) are given for the Scrapy process and the extraction workers: unlike wall time they
do not depend on what else the machine runs. "CPU-floor ratio" is the shortest wall time that CPU work allows
on this machine's cores (max(crawl process, total / cores)) over the bare spider's CPU time.
Target: pipeline wall time <= 1.3 x bare.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, Site, bare_crawl, crawl_center, machine, table

TARGET = 1.3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting for the pipeline crawl (e.g. -s EXTRACT_WORKERS=1)",
    )
    args = ap.parse_args(argv)
    extra = dict(s.split("=", 1) for s in args.settings)
    work = OUT / "throughput"
    runs = {"bare": [], "pipeline": []}
    with Site(args.articles, args.pages) as site:
        for _ in range(args.repeat):
            runs["bare"].append(bare_crawl(site.hub_url))
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            runs["pipeline"].append(crawl_center(site.hub_url, work / "archive.db", extra))
    shutil.rmtree(work, ignore_errors=True)
    best = {k: min(v, key=lambda r: r.wall) for k, v in runs.items()}
    bare = best["bare"]
    rows = []
    for name, run in best.items():
        walls = ", ".join(f"{r.wall:.1f}" for r in runs[name])
        crawl = run.stat("elapsed_time_seconds")
        # CPU floor: the wall time this CPU work needs on 2 idle cores (one process cannot use more than one).
        floor = max(run.main_cpu, (run.main_cpu + run.workers_cpu) / (os.cpu_count() or 1))
        rows.append(
            [
                name,
                run.pages,
                f"{run.wall:.1f} s",
                walls,
                f"{crawl:.1f} s",
                f"{run.pages / run.wall:.0f}",
                f"{run.main_cpu:.1f} s",
                f"{run.workers_cpu:.1f} s",
                f"{run.wall / bare.wall:.2f}x",
                f"{floor / bare.main_cpu:.2f}x",
            ]
        )
    print(f"Throughput: {args.articles} articles x {args.pages} pages on 127.0.0.1 ({machine()})")
    if extra:
        print(f"pipeline settings: {extra}")
    print(
        table(
            [
                "spider",
                "pages",
                "wall (best)",
                "walls",
                "crawl",
                "pages/s",
                "CPU crawl process",
                "CPU workers",
                "wall ratio",
                "CPU-floor ratio",
            ],
            rows,
        )
    )
    ratio = best["pipeline"].wall / bare.wall
    p = best["pipeline"]
    pages = max(p.stat("healtharchive/pages_extracted", 0), 1)
    print(
        f"articles archived: {p.stat('healtharchive/articles')}; extraction: {p.workers_cpu / pages * 1000:.0f} ms "
        f"CPU per page; crawl process: {p.main_cpu / p.pages * 1000:.1f} ms CPU per page "
        f"(bare: {bare.main_cpu / bare.pages * 1000:.1f})"
    )
    print(f"pipeline/bare = {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
