"""``healtharchive backfill`` end to end: the sample center crawled over rounds with an edit, a removal and a revert
writes WARC files; pywb (its own environment, tests/pywb.py) serves them on a free loopback port; a fresh archive
backfilled from pywb must hold the versions the crawls made. One crawl history and one pywb serve the whole module."""

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from healtharchive.site import make_datasette
from healtharchive.webarchive import WebArchive, parse_cdx
from samplesite import SampleSite
from tests.conftest import ROOT, copy_archive, crawl_center, rows
from tests.pywb import run_pywb

HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))
# Round 2 twice: the second time every page answers 304 (server-not-modified revisits); its 503 is retried once (an
# identical-payload revisit of the 503).
ROUNDS = (1, 2, 2, 3)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The crawled archive, the article URLs of every round and pywb serving the crawls' WARC files; ``later``: an
    archive whose first crawl came after them all (round 3 again), for history older than an archive's own."""
    folder = tmp_path_factory.mktemp("crawled")
    db = folder / "archive.db"
    later = tmp_path_factory.mktemp("later") / "archive.db"
    urls = {}
    with SampleSite() as site:
        for round_ in ROUNDS:
            site.set_round(round_)
            crawl_center(site, db)
            urls |= {a["url"]: a for a in site.articles()}
            time.sleep(2)  # CDX times are to the second: rounds well apart (the window test needs it)
        crawl_center(site, later)
        scenario, hub = site.scenario, site.hub_url
    with run_pywb([folder / "warc"], tmp_path_factory.mktemp("pywb")) as pywb:
        yield {"db": db, "urls": urls, "scenario": scenario, "pywb": pywb, "later": later, "hub": hub}


def command(db: Path, pywb, *args: str) -> list[str]:
    """``healtharchive backfill`` from pywb, without rate limits (``args`` come last: they win)."""
    base = [HEALTHARCHIVE, "backfill", "--db", str(db), "--cdx", pywb.cdx, "--replay", pywb.replay]
    return base + ["--rate", "0", "--cdx-rate", "0", *args]


def backfill(db: Path, pywb, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command(db, pywb, *args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def versions(db: Path) -> dict[str, list[tuple[str, str]]]:
    """Article URL -> its versions' (content hash, crawled_at), in time order."""
    conn = sqlite3.connect(db)
    try:
        found = {}
        for url, digest, at in conn.execute(
            "SELECT a.url, v.content_hash, v.crawled_at FROM versions v JOIN articles a ON a.id = v.article_id "
            "ORDER BY a.url, v.crawled_at, v.version"
        ):
            found.setdefault(url, []).append((digest, at))
        return found
    finally:
        conn.close()


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("crawls", "versions", "observations")
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def backfilled(history, tmp_path_factory):
    """A fresh archive backfilled from pywb with every article the site ever listed, from the day of the first crawl
    to the day of the last."""
    db = tmp_path_factory.mktemp("backfilled") / "archive.db"
    first, last = crawl_days(history["db"])
    started = time.monotonic()
    result = backfill(db, history["pywb"], *history["urls"], "--from", first, "--to", last)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"db": db, "result": result, "seconds": time.monotonic() - started}


def shift(day: str, days: int) -> str:
    """A YYYYMMDD day ``days`` later."""
    return (date(int(day[:4]), int(day[4:6]), int(day[6:])) + timedelta(days)).strftime("%Y%m%d")


def crawl_days(db: Path) -> tuple[str, str]:
    conn = sqlite3.connect(db)
    try:
        first, last = conn.execute("SELECT min(started_at), max(finished_at) FROM crawls").fetchone()
    finally:
        conn.close()
    return first[:10].replace("-", ""), last[:10].replace("-", "")


CRAWL_TIMES = "SELECT started_at, finished_at FROM crawls WHERE finished_at IS NOT NULL"


def test_a_fresh_archive_gets_the_crawled_versions(history, backfilled):
    crawled, rebuilt = versions(history["db"]), versions(backfilled["db"])
    assert sorted(rebuilt) == sorted(crawled)
    for url, found in crawled.items():
        assert [h for h, _ in rebuilt[url]] == [h for h, _ in found], url
    edited = next(u for u in crawled if u.endswith(history["scenario"]["edited"]))
    first, edit, revert = (h for h, _ in rebuilt[edited])
    assert first == revert != edit  # the edit and its revert
    # Dated by capture time: the crawl dated its versions after it fetched the pages, within the same crawl (an
    # article may wait for the site's chrome to be learned, so "a moment" can be the rest of the crawl).
    longest = max(_seconds(end) - _seconds(start) for start, end in rows(history["db"], CRAWL_TIMES))
    for url, found in crawled.items():
        for (_, crawled_at), (_, captured_at) in zip(found, rebuilt[url]):
            assert 0 <= _seconds(crawled_at) - _seconds(captured_at) <= longest + 1, url
    assert f"backfill: 1/{len(crawled)} articles: " in backfilled["result"].stderr  # a progress line
    print(f"backfill of {len(crawled)} articles: {backfilled['seconds']:.1f}s; {backfilled['result'].stdout.strip()}")


def test_the_run_is_one_crawl_naming_its_source(history, backfilled):
    conn = sqlite3.connect(backfilled["db"])
    conn.row_factory = sqlite3.Row
    (crawl,) = conn.execute("SELECT * FROM crawls").fetchall()
    assert crawl["spider"] == "backfill" and crawl["source"] == history["pywb"].cdx and crawl["status"] == "finished"
    removed = next(u for u in history["urls"] if u.endswith(history["scenario"]["removed"]))
    article = conn.execute("SELECT * FROM articles WHERE url = ?", [removed]).fetchone()
    outcomes = [
        r[0]
        for r in conn.execute(
            "SELECT outcome FROM observations WHERE article_id = ? ORDER BY observed_at", [article["id"]]
        )
    ]
    assert article["status"] == "gone" and outcomes == ["new", "gone"]
    # Observations are dated by capture time: none after the last round's captures, all before the run.
    last = conn.execute("SELECT max(observed_at) FROM observations").fetchone()[0]
    assert last < crawl["started_at"]
    # Every capture of a version points at a WARC record beside the archive, dated by its capture.
    captures = conn.execute("SELECT * FROM captures WHERE status = 200").fetchall()
    assert captures and all(c["warc_file"].startswith("warc/") and c["warc_offset"] is not None for c in captures)


def test_backfilled_versions_re_extract_from_their_warc_files(backfilled, tmp_path):
    """The payloads were written to WARC files: reextract reads them back and cleans them to the same texts."""
    result = subprocess.run(
        [HEALTHARCHIVE, "reextract", "--db", str(backfilled["db"]), "--force"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert " 0 re-derived" in result.stdout and " 0 without readable captures" in result.stdout, result.stdout


def test_running_it_again_adds_nothing(history, backfilled):
    before = counts(backfilled["db"])
    again = backfill(backfilled["db"], history["pywb"], *history["urls"])
    assert again.returncode == 0, again.stderr[-2000:]
    assert counts(backfilled["db"]) == before
    assert "nothing new" in again.stdout and " 0 replayed" in again.stdout, again.stdout


def test_a_page_without_a_usable_capture_in_the_window_makes_the_moment_incomplete(history, tmp_path):
    """The failing article's second page answered 503 through round 2 (twice): with a window shorter than the time
    between rounds, those moments have no usable capture of it and are incomplete, never a partial version."""
    failing = next(u for u in history["urls"] if u.endswith(history["scenario"]["failing"]))
    db = tmp_path / "archive.db"
    result = backfill(db, history["pywb"], failing, "--window", "1s")
    assert result.returncode == 0, result.stderr[-2000:]
    found = outcomes_of(db, failing)
    incomplete = [(at, detail) for at, outcome, detail in found if outcome == "incomplete"]
    assert incomplete and all(detail.startswith("page 2 (") for _, detail in incomplete), found
    # Each moment the crawl found incomplete is incomplete here too. The crawl records it after its captures, within
    # the same crawl (the article may wait for the site's chrome to be learned, so not always a moment later).
    longest = max(_seconds(end) - _seconds(start) for start, end in rows(history["db"], CRAWL_TIMES))
    for at, outcome, _ in outcomes_of(history["db"], failing):
        if outcome == "incomplete":
            assert any(0 <= _seconds(at) - _seconds(when) <= longest + 1 for when, _ in incomplete), (at, found)
    assert [h for h, _ in versions(db)[failing]] == [h for h, _ in versions(history["db"])[failing]]


def outcomes_of(db: Path, url: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT o.observed_at, o.outcome, o.detail FROM observations o JOIN articles a ON a.id = o.article_id "
            "WHERE a.url = ? ORDER BY o.observed_at",
            [url],
        ).fetchall()
    finally:
        conn.close()


def test_the_client_reads_pywb(history):
    """What the backfill relies on, as pywb does it: revisits, captured errors, fuzzy answers, no paging."""
    pywb = history["pywb"]
    client = WebArchive(pywb.cdx, pywb.replay, rate=0, cdx_rate=0)
    edited = next(u for u in history["urls"] if u.endswith(history["scenario"]["edited"]))
    rows = client.captures(edited, "prefix")
    assert {r.original for r in rows} == set(history["urls"][edited]["page_urls"])
    revisits = [r for r in rows if r.revisit]
    assert revisits and all(r.status is None and r.digest for r in revisits)
    for row in revisits:  # round 2 again: every page answered 304, replayed as such with an empty body
        memento = client.fetch(row)
        assert memento.archived and memento.status == 304 and memento.body == b""
    # The failing page's 503, retried once by the crawl: a response and an identical-payload revisit of it.
    failing = next(u for u in history["urls"] if u.endswith(history["scenario"]["failing"]))
    errors = [r for r in client.captures(failing, "prefix") if r.status == 503]
    memento = client.fetch(errors[0])
    assert memento.archived and memento.status == 503 and b"Service Unavailable" in memento.body
    removed = next(u for u in history["urls"] if u.endswith(history["scenario"]["removed"]))
    gone = [r for r in client.captures(removed) if r.status == 404]
    assert gone and client.fetch(gone[0]).status == 404 and client.fetch(gone[0]).archived
    # Not in the archive: pywb's own 404, without Memento-Datetime.
    missing = client.fetch(type(gone[0])("20260101000000", edited + "/never", "text/html", 200))
    assert not missing.archived and missing.status == 404
    # pywb's fuzzy fallback would answer a tracking-parameter URL with the bare URL's captures: not with allowFuzzy=0.
    assert client.captures(edited + "?utm_source=newsletter") == []
    # pywb ignores resume keys: a full page without one is asked again without a limit.
    small = WebArchive(pywb.cdx, pywb.replay, rate=0, cdx_rate=0, page_size=2)
    assert small.captures(edited, "prefix") == rows
    # Its JSON is NDJSON, its default CDXJ: the same rows.
    ndjson = _get(f"{pywb.cdx}?url={quote(edited, safe='')}&output=json")
    cdxj = _get(f"{pywb.cdx}?url={quote(edited, safe='')}")
    assert ndjson.startswith("{") and parse_cdx(ndjson)[0] == parse_cdx(cdxj)[0] != []


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _seconds(iso: str) -> float:
    from archive.clock import parse_iso

    return parse_iso(iso).timestamp()


def test_pywb_requirements_are_pinned():
    """The separate environment is reproducible: every line an exact pin, pywb among them."""
    lines = [
        line for line in (ROOT / "tests" / "pywb-requirements.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert all("==" in line for line in lines) and any(line.startswith("pywb==") for line in lines)


def test_from_and_to_bound_the_captures(history, tmp_path):
    first, last = crawl_days(history["db"])
    url = next(iter(history["urls"]))
    for bounds in (["--from", shift(last, 1)], ["--to", shift(first, -1)]):
        result = backfill(tmp_path / "archive.db", history["pywb"], url, *bounds)
        assert result.returncode == 0 and "0 moments assembled" in result.stdout, (bounds, result.stdout)
        assert "nothing new" in result.stdout
    wrong = backfill(tmp_path / "archive.db", history["pywb"], url, "--from", "2019-13-01")
    assert wrong.returncode == 2 and "'2019-13-01' is not a day" in wrong.stderr
    assert counts(tmp_path / "archive.db") == {"crawls": 0, "versions": 0, "observations": 0}


def test_a_killed_backfill_continues_where_it_stopped(history, backfilled, tmp_path):
    db = tmp_path / "archive.db"
    slow = command(db, history["pywb"], *history["urls"], "--rate", "5", "--concurrency", "1")
    process = subprocess.Popen(slow, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while staged(db) < 6 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
    kept = staged(db)
    assert 6 <= kept < 33 and counts(db)["versions"] == 0  # killed while assembling: nothing recorded yet
    result = backfill(db, history["pywb"], *history["urls"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"({kept} already)" in result.stdout, result.stdout
    assert replays(result) < replays(backfilled["result"])  # what was fetched before is not fetched again
    assert {u: [h for h, _ in v] for u, v in versions(db).items()} == {
        u: [h for h, _ in v] for u, v in versions(history["db"]).items()
    }


def test_older_history_is_numbered_after_an_articles_versions_and_shown_in_time_order(history, tmp_path):
    """An archive whose first crawl came after every capture: the history backfilled into it is older than its own
    versions. Its versions keep their numbers and ids; the older ones are numbered after them, and every list shows
    them in time order."""
    db = copy_archive(history["later"], tmp_path / "later")
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    own = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM versions")}
    current = dict(conn.execute("SELECT id, current_version_id FROM articles").fetchall())
    result = backfill(db, history["pywb"], "--center", history["hub"])
    assert result.returncode == 0, result.stderr[-2000:]
    for version_id, row in own.items():  # a version once written never changes, nor its number
        assert (
            dict(conn.execute("SELECT * FROM versions WHERE id = ?", [version_id]).fetchone())
            | {"previous_version": row["previous_version"]}
            == row
        )
    assert dict(conn.execute("SELECT id, current_version_id FROM articles").fetchall()) == current
    crawled = versions(history["db"])
    for url, found in versions(db).items():
        ours = [
            r
            for r in own.values()
            if r["article_id"] == conn.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()[0]
        ]
        assert [h for h, _ in found] == [h for h, _ in crawled[url]] + [r["content_hash"] for r in ours], url
    edited = next(u for u in crawled if u.endswith(history["scenario"]["edited"]))
    article = conn.execute("SELECT * FROM articles WHERE url = ?", [edited]).fetchone()
    numbers = [
        r[0]
        for r in conn.execute("SELECT version FROM versions WHERE article_id = ? ORDER BY crawled_at", [article["id"]])
    ]
    assert numbers == [2, 3, 4, 1]  # the backfilled ones, oldest first, then the archive's own
    previous = dict(
        conn.execute("SELECT version, previous_version FROM versions WHERE article_id = ?", [article["id"]]).fetchall()
    )
    assert previous == {2: None, 3: 2, 4: 3, 1: 4}
    assert article["first_seen"] < own[current[article["id"]]]["crawled_at"] and article["status"] == "live"
    listed = subprocess.run([HEALTHARCHIVE, "history", edited, "--db", str(db)], capture_output=True, text=True)
    lines = [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("  v")]
    assert lines == ["v2", "v3", "v4", "v1"], listed.stdout
    latest = subprocess.run([HEALTHARCHIVE, "diff", edited, "--db", str(db)], capture_output=True, text=True)
    assert "(no change)" in latest.stdout  # the last two in time, v4 and v1: the same text
    page = asyncio.run(make_datasette(db).client.get(f"/-/article/archive/{article['id']}/v1")).text
    assert f"/-/article/archive/{article['id']}/v4" in page and "← v4" in page  # v1's previous version is v4


def staged(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("SELECT count(*) FROM backfill_points").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        conn.close()


def replays(result) -> int:
    return int(re.search(r"(\d+) replayed", result.stdout).group(1))
