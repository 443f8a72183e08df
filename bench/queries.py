"""Query speed: Datasette on an archive of 100,000 articles and 1,000,000 observations.

Run: .venv/bin/python bench/queries.py [--articles 100000] [--crawls 10] [--runs 5] [--rebuild]

The archive is made with the real schema (``archive.Archive`` creates and migrates it), then filled
with bulk inserts into the compact tables the way ``Archive.record`` fills them: ``crawls``; ``articles``;
``texts`` (content-addressed, sha256 of the normalised text); ``version_log`` (one per distinct text, with
page URLs, capture ids, extractor); ``observation_log`` (one per article per crawl: new, then unchanged or
changed, a few incomplete, 1% gone in the last crawl); ``urls`` and ``capture_log`` (three pages per article
per crawl, validators only when they change, as the writer stores them); and one ``versions_fts`` row per
version. Weekly crawls; each recrawl changes one paragraph in 2% of the articles. Texts are ~3 KB of
patient-leaflet sentences; ~0.1% mention "metformin". The archive is cached in bench/out/ (reruns skip
generation; --rebuild makes it again; it is re-migrated on open, so new indexes apply to the cache too).

Every request goes through Datasette's own test client on ``healtharchive.site.make_datasette`` (the
project's metadata, plugin and settings), in process; the time is the median of --runs requests after one
warm-up request. "CPU ms" is the process's CPU time for the request (all threads, Datasette's SQL threads
included): unlike wall time it does not grow when other programs compete for the cores. A request is "ok on
CPU" when its wall time missed the target only by waiting for a core. Target: each under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import OUT, machine, table

TARGET_MS = 100.0
HOST = "www.example-health.org"
BASE = 1767225600  # 2026-01-01T00:00:00Z; crawl k runs k weeks later
WEEK = 7 * 86400
CHANGE_RATE = 0.02
GONE_RATE = 0.01
INCOMPLETE_RATE = 0.005
PAGES = 3
WORDS = """
patients symptoms treatment doctor dose children adults risk infection fever hospital care health guidance
advice medicine blood pressure heart diabetes cancer screening test results clinic appointment nurse pharmacy
prescription side effects allergy asthma influenza prevention exercise sleep fatigue support services emergency
recommended weeks days months years breast therapy radiation surgery lymphedema nutrition anxiety follow-up
scans family caregivers insurance specialist pain swelling
""".split()
FILLER = """
the a of to in for with on by and or is are can may should often most some your their
""".split()


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS if rng.random() < 0.55 else FILLER) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


SENTENCES: list[str] = []


def paragraph(rng: random.Random) -> str:
    if not SENTENCES:  # a pool of distinct sentences, drawn from for every paragraph (fast)
        pool = random.Random(1)
        SENTENCES.extend(sentence(pool) for _ in range(20000))
    return " ".join(rng.choices(SENTENCES, k=rng.randint(2, 4)))


def article_blocks(rng: random.Random, i: int) -> list[str]:
    blocks = []
    for _ in range(4):
        blocks.append(f"{rng.choice(WORDS).capitalize()} and {rng.choice(WORDS)}")
        blocks += [paragraph(rng) for _ in range(rng.randint(2, 3))]
    if i % 997 == 0:
        blocks.insert(3, "Some patients with diabetes take metformin; tell your care team about every medicine.")
    return blocks


def generate(path: Path, n_articles: int, n_crawls: int, seed: int = 7) -> dict:
    """Build the archive at ``path``; returns counts."""
    from archive import Archive
    from archive.schema import OUTCOME_CODE
    from archive.text import content_hash
    from pipelines.extractor import EXTRACTOR, EXTRACTOR_VERSION

    path.parent.mkdir(parents=True, exist_ok=True)
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    archive = Archive(str(path))  # the real schema, every migration applied
    archive.close()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    rng = random.Random(seed)
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    for k in range(1, n_crawls + 1):
        start = BASE + (k - 1) * WEEK
        conn.execute(
            "INSERT INTO crawls (id, spider, started_at, finished_at, profile, args, scope, status, finish_reason,"
            " pages_fetched, errors) VALUES (?, 'healthcenter', ?, ?, 'generic', ?, ?, 'finished', 'finished', ?, 0)",
            [
                k,
                iso(start),
                iso(start + 5400),
                json.dumps({"start_url": f"https://{HOST}/center/default.htm"}),
                json.dumps({"hosts": [HOST], "paths": ["/center/"]}),
                n_articles * PAGES,
            ],
        )
    url = lambda i: f"https://{HOST}/center/{rng_slug[i]}"  # noqa: E731
    rng_slug = [f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-guide-{i}" for i in range(n_articles)]
    # urls: three pages per article
    conn.executemany(
        "INSERT INTO urls (id, url) VALUES (?, ?)",
        (
            (i * PAGES + p + 1, url(i) + ("" if p == 0 else f"?page={p + 1}"))
            for i in range(n_articles)
            for p in range(PAGES)
        ),
    )
    blocks = {}
    current = {}  # article -> (version number, version id, text id)
    last_capture = {}  # url id -> capture id of its previous capture
    gone = set(rng.sample(range(n_articles), int(n_articles * GONE_RATE)))
    text_id = version_id = obs_id = cap_id = 0
    texts, versions, fts, observations, captures = [], [], [], [], []

    def flush():
        conn.executemany("INSERT INTO texts (id, hash, text, words) VALUES (?, ?, ?, ?)", texts)
        conn.executemany(
            "INSERT INTO version_log (id, article_id, version, title, text_id, page_count, page_urls, capture_ids,"
            " crawl_id, crawled_at, extractor, extractor_version, author, published, description) VALUES"
            " (?, ?, ?, ?, ?, 3, ?, ?, ?, ?, ?, ?, 'HealthCenter Staff', 'January 15, 2026', ?)",
            versions,
        )
        conn.executemany("INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)", fts)
        conn.executemany(
            "INSERT INTO observation_log (id, article_id, crawl_id, at, outcome, version_id) VALUES (?, ?, ?, ?, ?, ?)",
            observations,
        )
        conn.executemany(
            "INSERT INTO capture_log (id, crawl_id, article_id, url_id, page, status, at, digest, revisit_of)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            captures,
        )
        for rows in (texts, versions, fts, observations, captures):
            rows.clear()

    for k in range(1, n_crawls + 1):
        start = BASE + (k - 1) * WEEK
        for i in range(n_articles):
            a = i + 1
            at = start + int(i * 5400 / n_articles)
            if k == 1:
                blocks[i] = article_blocks(rng, i)
                outcome = "new"
            elif k == n_crawls and i in gone:
                outcome = "gone"
            elif rng.random() < INCOMPLETE_RATE:
                outcome = "incomplete"
            elif rng.random() < CHANGE_RATE:
                b = blocks[i]
                j = rng.randrange(1, len(b))
                b[j] = paragraph(rng)
                outcome = "changed"
            else:
                outcome = "unchanged"
            # captures: three pages; a payload digest only when it changes (the writer's rule)
            cap_ids = []
            for p in range(PAGES):
                uid = i * PAGES + p + 1
                cap_id += 1
                status = 404 if outcome == "gone" else 200
                prev = last_capture.get(uid)
                same = outcome in ("unchanged", "incomplete") and prev is not None
                captures.append(
                    (
                        cap_id,
                        k,
                        a,
                        uid,
                        p + 1,
                        status,
                        at,
                        None if same else f"sha1:{rng.getrandbits(128):032x}",
                        prev if same else None,
                    )
                )
                last_capture[uid] = cap_id
                cap_ids.append(cap_id)
                if outcome == "gone":
                    break
            if outcome in ("new", "changed"):
                text = "\n\n".join(blocks[i])
                text_id += 1
                version_id += 1
                number = current[i][0] + 1 if i in current else 1
                title = f"{blocks[i][0]}: a guide ({i})"
                texts.append((text_id, content_hash(text), text, len(text.split())))
                page_urls = [url(i)] + [url(i) + f"?page={p}" for p in range(2, PAGES + 1)]
                versions.append(
                    (
                        version_id,
                        a,
                        number,
                        title,
                        text_id,
                        json.dumps(page_urls),
                        json.dumps(cap_ids),
                        k,
                        iso(at),
                        EXTRACTOR,
                        EXTRACTOR_VERSION,
                        blocks[i][1][:150],
                    )
                )
                fts.append((version_id, title, text))
                current[i] = (number, version_id, text_id, title)
            obs_id += 1
            observations.append((obs_id, a, k, at, OUTCOME_CODE[outcome], current[i][1]))
            if len(observations) >= 20000:
                flush()
        flush()
        print(
            f"  crawl {k}/{n_crawls}: {obs_id:,} observations, {version_id:,} versions "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    last = BASE + (n_crawls - 1) * WEEK
    first = iso(BASE)
    conn.executemany(
        "INSERT INTO articles (id, url, title, status, first_seen, last_seen, host, missed, current_version_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
        (
            (
                i + 1,
                url(i),
                current[i][3],
                "gone" if i in gone else "live",
                first,
                iso(last - (WEEK if i in gone else 0)),
                HOST,
                current[i][1],
            )
            for i in range(n_articles)
        ),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return {
        "articles": n_articles,
        "observations": obs_id,
        "versions": version_id,
        "captures": cap_id,
        "seconds": time.perf_counter() - t0,
    }


# "Crawls and what they found" from schema V5's crawl_outcomes (kept by triggers) instead of counting
# observation_log (what the crawls_outcomes canned query does since schema V5), as arbitrary SQL.
CRAWLS_OUTCOMES_V5 = """select c.id as crawl_id, c.spider, c.profile, c.started_at, c.finished_at, c.status,
  c.pages_fetched, c.errors, coalesce(sum(o.n), 0) as articles_seen,
  coalesce(sum(case when o.outcome = 1 then o.n end), 0) as new,
  coalesce(sum(case when o.outcome = 2 then o.n end), 0) as changed,
  coalesce(sum(case when o.outcome = 3 then o.n end), 0) as unchanged,
  coalesce(sum(case when o.outcome = 4 then o.n end), 0) as incomplete,
  coalesce(sum(case when o.outcome = 5 then o.n end), 0) as gone
from crawls c left join crawl_outcomes o on o.crawl_id = c.id
group by c.id order by c.id desc"""


KNOWN = {
    "changes_since",
    "article_timeline",
    "articles_gone",
    "articles_never_changed",
    "crawls_outcomes",
    "search_articles",
    "search_as_of",
    "changes_feed",
}


def canned_queries() -> dict[str, list[str]]:
    """Every canned query of healtharchive/metadata.yml, with its parameters (queries added later are timed too)."""
    from healtharchive.site import load_metadata

    queries = load_metadata().get("databases", {}).get("archive", {}).get("queries", {})
    return {name: list(q.get("params") or []) for name, q in queries.items()}


def requests_to_time(conn) -> list[tuple[str, str]]:
    """(label, path) of every request timed, with parameters taken from the archive."""
    changed = (
        conn.execute(
            "SELECT article_id, max(version) FROM version_log GROUP BY article_id HAVING max(version) >= 3 LIMIT 1"
        ).fetchone()
        or conn.execute("SELECT article_id, max(version) FROM version_log WHERE version = 2").fetchone()
    )
    art, top = changed
    url = conn.execute("SELECT url FROM articles WHERE id = ?", [art]).fetchone()[0]
    from urllib.parse import quote

    last_week = conn.execute("SELECT substr(max(crawled_at), 1, 10) FROM version_log").fetchone()[0]
    mid = conn.execute("SELECT substr(started_at, 1, 10) FROM crawls ORDER BY id LIMIT 1 OFFSET 4").fetchone()
    mid = mid[0] if mid else last_week

    return (
        [
            ("canned: changes_since (last week)", f"/archive/changes_since?since={last_week}"),
            ("canned: changes_since (all)", "/archive/changes_since"),
            ("canned: article_timeline (id)", f"/archive/article_timeline?article={art}"),
            ("canned: article_timeline (url)", f"/archive/article_timeline?article={quote(url, safe='')}"),
            ("canned: articles_gone", "/archive/articles_gone"),
            ("canned: articles_never_changed", "/archive/articles_never_changed"),
            ("canned: crawls_outcomes", "/archive/crawls_outcomes"),
            ("sql: crawl_outcomes summed per crawl", f"/archive?sql={quote(CRAWLS_OUTCOMES_V5)}"),
            ("canned: search_articles (rare word)", "/archive/search_articles?q=metformin"),
            ("canned: search_articles (common word)", "/archive/search_articles?q=lymphedema"),
            ("canned: search_as_of (rare word)", f"/archive/search_as_of?q=metformin&date={mid}"),
            ("canned: search_as_of (common word)", f"/archive/search_as_of?q=lymphedema&date={mid}"),
            ("canned: changes_feed (Atom)", "/archive/changes_feed.atom"),
        ]
        + [
            (f"canned: {name} (new)", f"/archive/{name}?" + "&".join(f"{k}=" for k in params))
            for name, params in canned_queries().items()
            if name not in KNOWN
        ]
        + [
            ("_search: versions (rare word)", "/archive/versions?_search=metformin"),
            ("_search: versions (common word)", "/archive/versions?_search=lymphedema"),
            ("diff page (latest two)", f"/-/diff/{art}"),
            ("article page", f"/-/article/archive/{art}"),
            (f"version page (v{top})", f"/-/article/archive/{art}/v{top}"),
            (f"diff page (from=1&to={top})", f"/-/diff/{art}?from=1&to={top}"),
            ("table: articles", "/archive/articles"),
            ("table: versions", "/archive/versions"),
            ("table: observations", "/archive/observations"),
            ("table: captures", "/archive/captures"),
            ("row: article", f"/archive/articles/{art}"),
        ]
    )


async def time_requests(path: Path, runs: int) -> list[list]:
    import sqlite3

    from healtharchive.site import make_datasette

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    todo = requests_to_time(conn)
    conn.close()
    todo = [(label, url.replace("/archive/", f"/{path.stem}/", 1)) for label, url in todo]
    ds = make_datasette(path)
    await ds.invoke_startup()
    rows = []
    for label, url in todo:
        times, cpu, status, size = [], [], None, 0
        for i in range(runs + 1):
            t, c = time.perf_counter(), time.process_time()
            response = await ds.client.get(url)
            elapsed = (time.perf_counter() - t) * 1000
            used = (time.process_time() - c) * 1000  # every thread of this process: Datasette's SQL threads too
            status, size = response.status_code, len(response.content)
            if i:
                times.append(elapsed)
                cpu.append(used)
        note = "" if status == 200 else f"HTTP {status}"
        if status == 200 and (b"Query interrupted" in response.content or b"sql_time_limit" in response.content):
            note = "hit the time limit"
        med, med_cpu = statistics.median(times), statistics.median(cpu)
        verdict = "ok" if med < TARGET_MS else ("ok on CPU" if med_cpu < TARGET_MS else "SLOW")
        if status != 200:
            verdict = "ERROR"
        rows.append(
            [
                label,
                url if len(url) < 60 else url[:57] + "...",
                f"{med:.1f}",
                f"{max(times):.1f}",
                f"{med_cpu:.1f}",
                f"{size / 1024:.0f} KB",
                verdict + (f" ({note})" if note else ""),
            ]
        )
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--crawls", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--db", type=Path, help="time this archive instead (e.g. a copy made before a migration)")
    ap.add_argument("--no-migrate", action="store_true", help="do not upgrade the archive's schema first")
    args = ap.parse_args(argv)
    path = args.db or OUT / f"queries-{args.articles}x{args.crawls}" / "archive.db"
    if not args.db and (args.rebuild or not path.exists()):
        print(f"generating {path} ({args.articles:,} articles x {args.crawls} crawls)...", flush=True)
        counts = generate(path, args.articles, args.crawls)
        print(f"  done in {counts['seconds']:.0f} s: {counts}")
    from archive import Archive

    if not args.no_migrate:
        Archive(str(path)).close()  # migrate the cached archive (new indexes) as a crawl would
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")  # what `sqlite3 archive.db ANALYZE` gives a real archive; harmless if already done
    n = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("articles", "version_log", "observation_log", "capture_log")
    }
    conn.close()
    schema = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    print(
        f"Query speed (schema version {schema}): {n['articles']:,} articles, {n['version_log']:,} versions, {n['observation_log']:,} "
        f"observations, {n['capture_log']:,} captures; {path.stat().st_size / 1e6:.0f} MB ({machine()})"
    )
    rows = asyncio.run(time_requests(path, args.runs))
    print(table(["request", "path", "median ms", "max ms", "CPU ms", "size", f"< {TARGET_MS:.0f} ms"], rows))
    slow = [r[0] for r in rows if not r[-1].startswith("ok")]
    print("all under target" if not slow else f"over target: {', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
