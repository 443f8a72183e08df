"""Scale: what a crawl costs as the center grows, from 500 to 50,000 articles.

Run: .venv/bin/python bench/scale.py [--sizes 500,5000,50000] [--pages 3] [--stop-after SECONDS] [--every SECONDS]

For each size, serves a generated center of that many articles (``SampleSite(generated=N)``, three pages each, no
server latency) on 127.0.0.1 and runs the real ``scrapy crawl healthcenter`` into a fresh archive, delays off (the
project's concurrency), as fast as this machine goes. Printed per size: wall time (spawn to exit), pages per second,
peak RSS of the crawl process, of each cleaning worker and of the largest of each writer process (archive, WARC;
told apart by ``/proc/PID/comm``) (the kernel's high-water mark, VmHWM, sampled every 0.1 s), and the archive's bytes per article (``archive.db`` with its WAL, and the WARC files). The last lines compare
each size with the smallest: seconds per 1,000 pages and bytes per article should not grow (linear or better), and
the crawl process should stay under 300 MB.

Memory over time: for each size, the crawl's progress lines (every ``--every`` seconds, ``PROGRESS_INTERVAL``) with
the crawl process's RSS then and its peak so far, and how much RSS grew per article between the first progress line
with 100 articles archived and the last (the hub read, the pools and caches warm: what is left grows with the crawl).

A 50,000-article crawl fetches 150,000 pages: an hour or more on a 2-core machine. ``--sizes 50000 --stop-after S``
stops the crawl after S seconds (Scrapy's ``CLOSESPIDER_TIMEOUT``; the crawl exits 3, "stopped") and reports what it
did by then, marked "stopped": the whole hub has been read by then (the center's 50,000 links), and the memory over
time shows whether the rest stays flat.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, Site, machine, mb, run_scrapy, table

RSS_TARGET = 300e6
SLACK = 1.15  # a larger crawl may cost this much more per page or article than the smallest and still be "linear"


def archive_bytes(folder: Path) -> tuple[int, int]:
    """(bytes of archive.db and its -wal/-shm, bytes of the WARC files) under ``folder``."""
    db = sum(p.stat().st_size for p in folder.glob("archive.db*"))
    warc = sum(p.stat().st_size for p in folder.rglob("*.warc.gz"))
    return db, warc


def memory_table(timeline) -> str:
    return table(
        ["time", "pages", "articles archived", "RSS", "peak RSS so far"],
        [[f"{t:,.0f} s", f"{p:,}", f"{a:,}", mb(rss), mb(hwm)] for t, p, a, rss, hwm in timeline],
    )


def growth(timeline) -> str:
    """RSS growth per article between the first progress line with 100 articles archived and the last."""
    warm = [point for point in timeline if point[2] >= 100]
    if len(warm) < 2 or warm[-1][2] == warm[0][2]:
        return "RSS growth per article: too few progress lines"
    (_, _, a0, r0, _), (_, _, a1, r1, _) = warm[0], warm[-1]
    per = (r1 - r0) / (a1 - a0)
    return f"RSS growth from {a0:,} to {a1:,} articles: {mb(r0)} -> {mb(r1)}, {per / 1e3:+.1f} KB per article"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,5000,50000")
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--stop-after", type=int, default=0, help="stop each crawl after this many seconds (0: never)")
    ap.add_argument("--every", type=int, default=60, help="seconds between progress lines and memory samples")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    header = f"Scale: `scrapy crawl healthcenter`, {args.pages} pages per article, no server latency ({machine()})"
    rows, found, timelines = [], [], []
    for n in sizes:
        work = OUT / f"scale-{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        settings = {"ARCHIVE_DB": str(work / "archive.db"), "PROGRESS_INTERVAL": str(args.every)}
        if args.stop_after:
            settings["CLOSESPIDER_TIMEOUT"] = str(args.stop_after)
        with Site(n, args.pages) as site:
            run = run_scrapy(["crawl", "healthcenter", "-a", f"start_url={site.hub_url}"], settings, timeout=24 * 3600)
        stopped = run.stat("finish_reason") == "'closespider_timeout'"
        if run.returncode != 0 and not stopped:
            raise SystemExit(f"crawl failed ({run.returncode}):\n{run.log[-3000:]}")
        db, warc = archive_bytes(work)
        articles = run.stat("healtharchive/articles")
        shutil.rmtree(work, ignore_errors=True)
        per = {
            "s_per_kpage": run.wall / max(run.pages, 1) * 1000,
            "db": db / max(articles, 1),
            "warc": warc / max(articles, 1),
            "rss": run.main_peak,
            "stopped": stopped,
        }
        found.append((n, per))
        timelines.append((n, run.progress()))
        rows.append(
            [
                f"{n:,}",
                f"{articles:,}" + (" (stopped)" if stopped else ""),
                f"{run.pages:,}",
                f"{run.wall:,.0f} s",
                f"{run.pages / run.wall:.0f}",
                f"{per['s_per_kpage']:.1f} s",
                mb(run.main_peak),
                " + ".join(mb(w) for w in sorted(run.workers_peak.values())),
                f"{mb(run.kind_peak('archive writer'))} / {mb(run.kind_peak('WARC writer'))}",
                f"{per['db']:,.0f}",
                f"{per['warc']:,.0f}",
            ]
        )
        print(f"  {n} articles: {run.wall:.0f} s, crawl process {mb(run.main_peak)}", file=sys.stderr, flush=True)
    print(header)
    print(
        table(
            [
                "articles",
                "archived",
                "pages",
                "wall",
                "pages/s",
                "wall per 1,000 pages",
                "peak RSS crawl",
                "peak RSS cleaning workers",
                "peak RSS archive / WARC writer",
                "archive.db B/article",
                "WARC B/article",
            ],
            rows,
        )
    )
    for n, timeline in timelines:
        print(f"\nmemory over time, {n:,} articles (crawl process)")
        print(memory_table(timeline))
        print(growth(timeline))
    print()
    (n0, base), (n1, top) = found[0], found[-1]
    if top["stopped"]:
        print(
            f"the {n1:,}-article crawl was stopped after {args.stop_after} s: its figures are for what it did by then"
        )
    for key, what in (
        ("s_per_kpage", "wall time per page"),
        ("db", "archive.db per article"),
        ("warc", "WARC per article"),
    ):
        ratio = top[key] / base[key] if base[key] else 0.0
        verdict = "linear or better" if ratio <= SLACK else "WORSE than linear"
        print(f"{what}: {ratio:.2f}x at {n1:,} articles vs {n0:,}: {verdict}")
    ok = top["rss"] < RSS_TARGET
    print(
        f"peak RSS of the crawl process at {n1:,} articles: {mb(top['rss'])} (target < 300 MB): {'met' if ok else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
