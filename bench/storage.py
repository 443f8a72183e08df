"""Storage: how much the archive grows per article when a center is crawled again.

Run: .venv/bin/python bench/storage.py [--articles 500]

Serves a generated center (three pages per article) on 127.0.0.1 and runs the real `scrapy crawl
healthcenter` five times into one archive:

1. first crawl (round 1);
2. unchanged recrawl, same pages: the server answers 304 to the conditional requests (nothing re-extracted);
3. unchanged recrawl, every page sent again: no conditional requests (``CONDITIONAL_REQUESTS=False``, as with a
   site that never answers 304), so every page comes back 200 with the same bytes (same payload digest);
4. unchanged recrawl, new chrome: every page's ads, teasers and timestamps rotate (round 2), so every page is
   fetched and extracted again, but no article text changes;
5. recrawl in which 10% of the articles change one paragraph (round 3 chrome plus the edit, made by a
   Center subclass below: the article's second paragraph on its first page gets one extra sentence).

After each crawl the archive is copied with VACUUM INTO (no free pages, no WAL) and measured: the file size,
and per table and index the bytes of its pages (SQLite's dbstat). Growth = difference between consecutive
copies; everything in the file counts (tables, indexes, the FTS index, SQLite's page overhead). The WARC
files written next to the archive are reported separately (they hold the raw responses; a page sent again with the
same payload is a WARC revisit record).
Target: unchanged recrawl <= 200 bytes per article, also when every page is sent again.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, crawl_center, machine, table

TARGET = 200
EDIT_EVERY = 10  # article i is edited when i % 10 == 0: 10% of the center


def edited_site_class():
    """SampleSite whose generated center can change one paragraph in 10% of its articles."""
    from samplesite import generated
    from samplesite.center import Center
    from samplesite.content import Block
    from samplesite.server import SampleSite

    class EditedCenter(Center):
        edits = False

        def article(self, slug):
            art = super().article(slug)
            if not (art and self.edits and self.generated):
                return art
            i = generated.index_of(slug)
            if i is None or i % EDIT_EVERY:
                return art
            first = list(art.pages[0])
            k = next(j for j, b in enumerate(first) if b.kind == "p" and j > 0) if len(first) > 1 else 0
            first[k] = Block("p", first[k].text + " Updated guidance: ask your care team before changing any dose.")
            return dataclasses.replace(art, pages=(tuple(first),) + tuple(art.pages[1:]))

    class EditedSite(SampleSite):
        edits = False

        def _build(self):
            center = EditedCenter(self.round, self.url, self.hostile, self.seed, self.generated, self.pages_per_article)
            center.edits = self.edits
            return center

        def set_edits(self, on: bool):
            with self._lock:
                self.edits = on
                self._center = self._build()

    return EditedSite


def measure(db: Path, scratch: Path) -> tuple[int, dict[str, int]]:
    """(file size, {table or index: bytes}) of a VACUUM INTO copy of the archive."""
    copy = scratch / "vacuumed.db"
    copy.unlink(missing_ok=True)
    src = sqlite3.connect(db)
    src.execute("VACUUM INTO ?", [str(copy)])
    src.close()
    conn = sqlite3.connect(copy)
    objects = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    conn.close()
    size = copy.stat().st_size
    copy.unlink()
    return size, objects


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    args = ap.parse_args(argv)
    n = args.articles
    work = OUT / "storage"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db, warc = work / "archive.db", work / "warc"
    steps = []
    site = edited_site_class()(generated=n, pages_per_article=3)
    site.start()
    try:
        plan = [
            ("1 first crawl", 1, False, {}),
            ("2 unchanged recrawl (304s)", 1, False, {}),
            ("3 unchanged, pages re-sent (200s)", 1, False, {"CONDITIONAL_REQUESTS": "False"}),
            ("4 unchanged text, new chrome", 2, False, {}),
            ("5 10% change one paragraph", 3, True, {}),
        ]
        for label, round_, edits, settings in plan:
            site.set_round(round_)
            site.set_edits(edits)
            run = crawl_center(site.hub_url, db, {"WARC_DIR": str(warc), **settings})
            size, objects = measure(db, work)
            outcomes = {k: run.stat(f"healtharchive/outcome/{k}") for k in ("new", "changed", "unchanged")}
            steps.append((label, run, size, objects, dir_size(warc), outcomes))
            print(f"  {label}: {size:,} bytes; {outcomes}", flush=True)
    finally:
        site.stop()
    rows = []
    for i, (label, run, size, objects, warc_bytes, outcomes) in enumerate(steps):
        prev = steps[i - 1] if i else None
        grow = size - prev[2] if prev else size
        wgrow = warc_bytes - prev[4] if prev else warc_bytes
        top = ""
        if prev:
            deltas = {k: v - prev[3].get(k, 0) for k, v in objects.items()}
            top = ", ".join(f"{k} {v / n:+.0f}" for k, v in sorted(deltas.items(), key=lambda kv: -abs(kv[1]))[:4] if v)
        rows.append(
            [
                label,
                run.pages,
                f"{outcomes['new']}/{outcomes['changed']}/{outcomes['unchanged']}",
                f"{size:,}",
                f"{grow:+,}",
                f"{grow / n:+.0f}",
                f"{wgrow / n:+,.0f}",
                top,
            ]
        )
    print(f"Storage: {n} articles x 3 pages, archive VACUUMed after each crawl ({machine()})")
    print(
        table(
            [
                "crawl",
                "pages fetched",
                "new/changed/unchanged",
                "archive bytes",
                "growth",
                "bytes/article",
                "WARC bytes/article",
                "largest growth by table/index (bytes/article)",
            ],
            rows,
        )
    )
    growth = [(steps[i][2] - steps[i - 1][2]) / n for i in (1, 2, 3)]
    warc_growth = [(steps[i][4] - steps[i - 1][4]) / n for i in (1, 2, 3)]
    verdict = lambda b: "met" if b <= TARGET else "MISSED"  # noqa: E731
    print(f"unchanged recrawl, archive.db (target <= {TARGET} bytes/article):")
    for what, grow, wgrow in zip(
        ("pages answer 304", "pages re-sent, same bytes", "pages re-sent, new chrome"), growth, warc_growth
    ):
        print(f"  {what}: {grow:.0f} ({verdict(grow)}); with the WARC files {grow + wgrow:,.0f}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
