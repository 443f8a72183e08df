"""Memory: peak RSS of `scrapy crawl healthcenter` as the center grows.

Run: .venv/bin/python bench/memory.py [--sizes 500,2000] [--pages 3]

For each size, serves a generated center of that many three-page articles on 127.0.0.1 and runs the real
crawl (delays off, fresh archive) as a subprocess. Peak RSS is each process's kernel high-water mark
(VmHWM from /proc, sampled every 0.1 s until it exits): the Scrapy process, each cleaning worker, the archive and
WARC writer processes, and multiprocessing's resource tracker, reported separately. "total" adds the peaks (an upper bound: they need
not coincide). Scrapy's own memusage/max is shown as a cross-check of the crawl process.
Target: crawl process <= 300 MB, and flat (no growth proportional to the center) from the smallest size
to the largest.

The default sizes are 500 and 2,000 articles so that the script finishes in about ten minutes on a 2-core
machine (a 2,000-article crawl fetches 6,000 pages); --sizes 500,5000 runs the 5,000-article crawl.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, Site, crawl_center, machine, mb, table

TARGET = 300e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,2000")
    ap.add_argument("--pages", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, runs = [], []
    for n in sizes:
        work = OUT / "memory"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with Site(n, args.pages) as site:
            run = crawl_center(site.hub_url, work / "archive.db")
        shutil.rmtree(work, ignore_errors=True)
        runs.append(run)
        workers = sorted(run.workers_peak.values())
        rows.append(
            [
                n,
                run.pages,
                f"{run.wall:.0f} s",
                mb(run.main_peak),
                mb(run.stat("memusage/max")),
                " + ".join(mb(w) for w in workers),
                f"{mb(run.kind_peak('archive writer'))} / {mb(run.kind_peak('WARC writer'))}",
                mb(sum(run.others_peak.values())),
                mb(run.main_peak + run.workers_sum + sum(run.writers_peak.values()) + sum(run.others_peak.values())),
            ]
        )
        print(f"  {n} articles: crawl process {mb(run.main_peak)}", flush=True)
    print(f"Memory: peak RSS of `scrapy crawl healthcenter` ({args.pages} pages per article; {machine()})")
    print(
        table(
            [
                "articles",
                "pages",
                "wall",
                "crawl process",
                "memusage/max",
                "cleaning workers",
                "archive / WARC writer",
                "resource tracker",
                "total",
            ],
            rows,
        )
    )
    peaks = [r.main_peak for r in runs]
    growth = (peaks[-1] - peaks[0]) / (sizes[-1] - sizes[0]) if len(sizes) > 1 else 0.0
    print(
        f"crawl process growth: {growth / 1e3:.1f} KB per extra article "
        f"({mb(peaks[0])} -> {mb(peaks[-1])} for {sizes[0]} -> {sizes[-1]} articles)"
    )
    ok = max(peaks) <= TARGET
    print(f"peak {mb(max(peaks))} (target <= {mb(TARGET)}): {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
