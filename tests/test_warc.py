"""WARC provenance and the 304 path, end to end: real `scrapy crawl` processes against the sample center.

One archive is crawled three times with nothing changing on the site: (1) the first crawl, with tiny
WARC files so they rotate; (2) a plain recrawl, where every article page answers 304; (3) a recrawl
without conditional requests, where every page comes back 200 with the same payload.
"""

import gzip
import json
import re
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import WarcReader, read_record, resolve_warc_path
from samplesite import SampleSite

from .conftest import ROOT, run_crawl

WARCIO = str(Path(sys.executable).with_name("warcio"))
HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))


def stats_of(result) -> dict:
    """The crawl's final stats, parsed from Scrapy's 'Dumping Scrapy stats' log lines."""
    found = dict(re.findall(r"'(healtharchive/[^']+)': (\d+)", result.stderr))
    return {k: int(v) for k, v in found.items()}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("warc")
    db = folder / "archive.db"
    with SampleSite() as site:
        results = []
        for settings in ({"WARC_MAX_SIZE": "40000"}, {}, {"CONDITIONAL_REQUESTS": "False"}):
            result = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=settings)
            assert result.returncode == 0, result.stderr[-3000:]
            results.append(result)
        # What the site serves, fetched directly (it has not changed since the crawls).
        multi = next(a for a in site.articles() if a["status"] == 200 and len(a["page_urls"]) >= 3)
        served = {u: urllib.request.urlopen(u).read() for u in multi["page_urls"]}
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield {"db": db, "folder": folder, "results": results, "conn": conn, "article": multi, "served": served}
    conn.close()


def warc_files(folder: Path) -> list[Path]:
    return sorted((folder / "warc").glob("*.warc.gz"))


def test_304_path_end_to_end(crawled):
    conn, (first, second, _) = crawled["conn"], crawled["results"]
    outcomes = conn.execute("SELECT crawl_id, outcome, count(*) FROM observations GROUP BY 1, 2").fetchall()
    assert {(r[0], r[1]) for r in outcomes if r[0] in (1, 2)} == {(1, "new"), (2, "unchanged")}
    statuses = {r[0] for r in conn.execute("SELECT status FROM captures WHERE crawl_id = 2")}
    assert statuses == {304}
    # Every article page was asked conditionally and none was extracted again.
    s1, s2 = stats_of(first), stats_of(second)
    assert s1["healtharchive/pages_extracted"] > 0
    assert "healtharchive/pages_extracted" not in s2
    assert s2["healtharchive/not_modified"] == s2["healtharchive/conditional_requests"] > 0
    # No new version, and each 304 capture is a revisit of the crawl-1 capture of the same URL.
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == s1["healtharchive/outcome/new"]
    rows = conn.execute(
        "SELECT c.url, p.url AS prev_url, p.crawl_id AS prev_crawl FROM captures c "
        "JOIN captures p ON p.id = c.revisit_of WHERE c.crawl_id = 2"
    ).fetchall()
    assert len(rows) == s2["healtharchive/not_modified"]
    assert all(r["url"] == r["prev_url"] and r["prev_crawl"] == 1 for r in rows)


def test_a_page_sent_again_unchanged_points_at_the_original(crawled):
    """Crawl 3 (no conditional requests, every page 200 with the same bytes, after crawl 2's 304s): each capture
    repeats no digest and points at the crawl-1 capture holding the payload, as its WARC revisit record does."""
    conn = crawled["conn"]
    rows = conn.execute(
        "SELECT c.url, c.digest, p.url AS original_url, p.crawl_id AS original_crawl, p.digest AS original_digest "
        "FROM captures c LEFT JOIN captures p ON p.id = c.revisit_of WHERE c.crawl_id = 3 AND c.status = 200"
    ).fetchall()
    assert rows and all(r["digest"] is None for r in rows)
    assert all(r["original_url"] == r["url"] and r["original_crawl"] == 1 and r["original_digest"] for r in rows)
    for r in rows:  # the same payload as the WARC record says
        headers, _, _ = read_record(
            resolve_warc_path(
                conn.execute("SELECT warc_file FROM captures WHERE crawl_id = 1 AND url = ?", [r["url"]]).fetchone()[0],
                str(crawled["db"]),
            ),
            conn.execute("SELECT warc_offset FROM captures WHERE crawl_id = 1 AND url = ?", [r["url"]]).fetchone()[0],
        )
        assert headers.get_header("WARC-Payload-Digest") == r["original_digest"]


def test_warc_files_pass_warcio_check_and_index(crawled):
    files = warc_files(crawled["folder"])
    assert len(files) >= 3, "the first crawl's WARC files should have rotated at 40 kB"
    check = subprocess.run([WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    for path in files:
        index = subprocess.run([WARCIO, "index", str(path)], capture_output=True, text=True)
        assert index.returncode == 0, index.stderr
        types = [json.loads(line)["warc-type"] for line in index.stdout.splitlines()]
        assert types[0] == "warcinfo" and types.count("warcinfo") == 1
        assert path.stat().st_size < 40000 + 20000  # rotated soon after the size limit
        # Every request was answered (none is alone), and robots.txt-refused URLs were never sent.
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "request":
                    assert record.rec_headers.get_header("WARC-Concurrent-To")
                assert "/print/" not in (record.rec_headers.get_header("WARC-Target-URI") or "")
    with gzip.open(files[0]) as fh:
        first = fh.read(2000).decode()
    assert "software: healtharchive/" in first and "scrapy/2.19" in first and "warcio/" in first


def test_captures_point_at_their_records(crawled):
    conn, db = crawled["conn"], crawled["db"]
    rows = conn.execute("SELECT * FROM captures ORDER BY id").fetchall()
    assert rows and all(r["warc_file"] and r["warc_offset"] is not None and r["warc_length"] for r in rows)
    assert all(not Path(r["warc_file"]).is_absolute() and r["warc_file"].startswith("warc/") for r in rows)
    kinds = {}
    for r in rows:
        path = resolve_warc_path(r["warc_file"], str(db))
        with open(path, "rb") as fh:
            fh.seek(r["warc_offset"])
            it = ArchiveIterator(fh)
            record = next(it)
            record.content_stream().read()
            it.read_to_end()
            assert it.get_record_length() == r["warc_length"]
        headers = record.rec_headers
        assert headers.get_header("WARC-Target-URI") == r["url"]
        kinds.setdefault((r["crawl_id"], headers.get_header("WARC-Type"), headers.get_header("WARC-Profile")), 0)
        kinds[(r["crawl_id"], headers.get_header("WARC-Type"), headers.get_header("WARC-Profile"))] += 1
        if r["digest"]:
            assert headers.get_header("WARC-Payload-Digest") == r["digest"]
    assert set(kinds) == {
        (1, "response", None),
        (2, "revisit", "http://netpreserve.org/warc/1.0/revisit/server-not-modified"),
        (3, "revisit", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),
    }
    # Crawl 3's 200 answers carry the same payload as crawl 1: revisits of it, not new content.
    assert {r["status"] for r in rows if r["crawl_id"] == 3} == {200}


def test_revisits_refer_to_the_earlier_capture(crawled):
    conn, db = crawled["conn"], crawled["db"]
    originals = {}
    for r in conn.execute("SELECT * FROM captures WHERE crawl_id = 1"):
        headers, _, _ = read_record(resolve_warc_path(r["warc_file"], str(db)), r["warc_offset"])
        originals[r["url"]] = (
            headers.get_header("WARC-Record-ID"),
            headers.get_header("WARC-Date"),
            headers.get_header("WARC-Payload-Digest"),
        )
    for r in conn.execute("SELECT * FROM captures WHERE crawl_id IN (2, 3)"):
        headers, http, body = read_record(resolve_warc_path(r["warc_file"], str(db)), r["warc_offset"])
        assert headers.get_header("WARC-Type") == "revisit" and body == b""
        assert (
            headers.get_header("WARC-Refers-To"),
            headers.get_header("WARC-Refers-To-Date"),
            headers.get_header("WARC-Payload-Digest"),
        ) == originals[r["url"]]
        assert headers.get_header("WARC-Refers-To-Target-URI") == r["url"]
        assert http.get_statuscode() == str(r["status"])


def test_rebuild_an_article_byte_for_byte_from_the_warc(crawled):
    """Read the first crawl's WARC files record by record and rebuild every page of a multi-page article."""
    article, served = crawled["article"], crawled["served"]
    rebuilt = {}
    for path in warc_files(crawled["folder"]):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "response" and uri in served and uri not in rebuilt:
                    assert record.http_headers.get_statuscode() == "200"
                    rebuilt[uri] = record.content_stream().read()
    assert list(rebuilt) == article["page_urls"] or set(rebuilt) == set(article["page_urls"])
    for url in article["page_urls"]:
        assert rebuilt[url] == served[url]
    # The same bytes through the archive: each capture of a later crawl resolves to the original payload.
    conn = crawled["conn"]
    reader = WarcReader(conn, str(crawled["db"]))
    for r in conn.execute("SELECT url, warc_file, warc_offset FROM captures WHERE crawl_id = 3"):
        if r["url"] in served:
            assert reader.payload(r["warc_file"], r["warc_offset"])[2] == served[r["url"]]


def test_export_one_article(crawled, tmp_path):
    url = crawled["article"]["url"]
    out = tmp_path / "article.warc.gz"
    result = subprocess.run(
        [HEALTHARCHIVE, "export", url, "-o", str(out), "--db", str(crawled["db"])],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    check = subprocess.run([WARCIO, "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    records = []
    with open(out, "rb") as fh:
        for record in ArchiveIterator(fh):
            body = record.content_stream().read()
            records.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), body))
    assert records[0][0] == "warcinfo"
    pages = crawled["article"]["page_urls"]
    responses = {uri: body for kind, uri, body in records if kind == "response"}
    assert responses == crawled["served"]
    revisits = [uri for kind, uri, _ in records if kind == "revisit"]
    assert sorted(revisits) == sorted(pages * 2)  # crawls 2 and 3
    assert all(uri in pages for _, uri, _ in records[1:])
    # Every revisit comes after the original it refers to.
    first_response = {uri: i for i, (kind, uri, _) in reversed(list(enumerate(records))) if kind == "response"}
    assert all(first_response[uri] < i for i, (kind, uri, _) in enumerate(records) if kind == "revisit")
    # For browsing: the 304 revisits (crawl 2) left out, the identical-payload ones (crawl 3) kept.
    browse = tmp_path / "browse.warc.gz"
    result = subprocess.run(
        [HEALTHARCHIVE, "export", url, "-o", str(browse), "--db", str(crawled["db"]), "--skip-not-modified"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0 and f"{len(pages)} 304 revisit(s) left out" in result.stdout, result.stderr
    with open(browse, "rb") as fh:
        profiles = [r.rec_headers.get_header("WARC-Profile") for r in ArchiveIterator(fh) if r.rec_type == "revisit"]
    assert profiles == ["http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"] * len(pages)


def test_warc_can_be_switched_off_and_moved(tmp_path):
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from crawler.warc import WarcWriter

    with pytest.raises(NotConfigured):
        WarcWriter.from_crawler(get_crawler(settings_dict={"WARC_ENABLED": False}))
    mw = WarcWriter.from_crawler(get_crawler(settings_dict={"ARCHIVE_DB": str(tmp_path / "a.db")}))
    assert mw.files.directory == tmp_path / "warc"
    mw = WarcWriter.from_crawler(
        get_crawler(
            settings_dict={"ARCHIVE_DB": str(tmp_path / "a.db"), "WARC_DIR": str(tmp_path.parent / "elsewhere")}
        )
    )
    assert mw.files.directory == tmp_path.parent / "elsewhere"


def test_a_request_without_response_is_written_alone(tmp_path):
    db = tmp_path / "archive.db"
    url = "http://127.0.0.1:9/breast-cancer/default.htm"  # nothing listens on the discard port
    result = run_crawl("healthcenter", db, f"start_url={url}", settings={"ROBOTSTXT_OBEY": "False"})
    assert result.returncode == 1  # every start URL failed
    records = []
    for path in warc_files(tmp_path):
        with open(path, "rb") as fh:
            records += [
                (
                    r.rec_type,
                    r.rec_headers.get_header("WARC-Target-URI"),
                    r.rec_headers.get_header("WARC-Concurrent-To"),
                )
                for r in ArchiveIterator(fh)
            ]
    assert records[0][0] == "warcinfo"
    assert records[1:] and all(r == ("request", url, None) for r in records[1:])
    assert subprocess.run([WARCIO, "check", *map(str, warc_files(tmp_path))]).returncode == 0


def test_a_brotli_response_reads_back_decoded(tmp_path):
    # warcio 1.8.1 cannot decode brotli with brotli 1.2 ('Decompressor' has no 'unused_data'): reextract failed.
    import io

    import brotli
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive.warc import WarcFiles

    html = "<html><body><article><h1>Sleep</h1><p>Adults need seven hours or more.</p></article></body></html>"
    for chunked in (False, True):
        body = brotli.compress(html.encode())
        wire = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n" if chunked else body
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "br")]
        headers.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(body))))
        http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
        record = WARCWriter(None).create_warc_record(
            "https://example.org/sleep", "response", payload=io.BytesIO(wire), length=len(wire), http_headers=http
        )
        files = WarcFiles(tmp_path / f"warc{chunked}", str(tmp_path / "archive.db"), {})
        stored, offset, _ = files.write(record)
        files.close()
        _, _, payload = read_record(tmp_path / stored, offset)
        assert payload.decode() == html


def test_records_are_written_in_response_order(crawled):
    """The writer thread appends records in the order the responses came: each response (or revisit) is followed
    by its own request, and an article's pages, each fetched after the page before was read, follow each other."""
    conn = crawled["conn"]
    position, records = {}, []
    for path in warc_files(crawled["folder"]):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                headers = record.rec_headers
                if record.rec_type != "warcinfo":  # (a file may rotate between a response and its request)
                    records.append((record.rec_type, headers.get_header("WARC-Record-ID"), headers))
                position[(path.name, headers.get_header("WARC-Record-ID"))] = len(records) - 1
    answered = [i for i, (kind, _, _) in enumerate(records) if kind in ("response", "revisit")]
    assert answered
    for i in answered:
        kind, _, headers = records[i + 1]
        assert kind == "request" and headers.get_header("WARC-Concurrent-To") == records[i][1]
        assert headers.get_header("WARC-Target-URI") == records[i][2].get_header("WARC-Target-URI")
    # Each capture's record, by the position of its offset: an article's page n+1 after its page n, in every crawl.
    where = {}
    for path in warc_files(crawled["folder"]):
        offsets = {}
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                offsets[it.get_record_offset()] = position[(path.name, record.rec_headers.get_header("WARC-Record-ID"))]
        where[path.name] = offsets
    pages = {}
    for r in conn.execute("SELECT crawl_id, article_id, page_number, warc_file, warc_offset FROM captures"):
        pages.setdefault((r["crawl_id"], r["article_id"]), []).append(
            (r["page_number"], where[Path(r["warc_file"]).name][r["warc_offset"]])
        )
    multi = [sorted(p) for p in pages.values() if len(p) > 1]
    assert multi and all([at for _, at in p] == sorted(at for _, at in p) for p in multi)


def test_earlier_payloads_come_from_the_archive_and_from_this_crawl(tmp_path, monkeypatch):
    """``WarcWriter.earlier`` asks the archive only about the URLs it has a payload of, listed when the crawl opens it,
    and those this crawl met since: a URL met early in a long crawl (forgotten from the recent ones) is still found
    in the archive once its article is recorded; a URL neither has is not asked about."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from archive import Archive
    from crawler import warc
    from crawler.items import ArticleItem, Page

    db, base = tmp_path / "archive.db", "https://example.org/health/"

    def record(archive, crawl, url, digest):
        item = ArticleItem(url=url, spider="healthcenter", profile="generic", state="ok", title="T")
        page = Page(url=url, number=1, status=200, fetched_at="2026-03-01T00:00:00Z")
        page.warc = {"file": None, "offset": None, "length": None, "digest": digest}
        item.pages, item.text = [page], f"The text of {url}."
        archive.record(crawl, item, "x", "1")

    monkeypatch.setattr(warc, "RECENT_URLS", 2)
    with Archive(db) as archive:
        record(archive, archive.start_crawl("healthcenter", "generic", {}, None), base + "old", "sha1:OLD")
        crawl = archive.start_crawl("healthcenter", "generic", {}, None)
        mw = warc.WarcWriter.from_crawler(get_crawler(Spider, {"ARCHIVE_DB": str(db), "WARC_DIR": str(tmp_path)}))
        try:
            assert mw.earlier(base + "old")[0] == "sha1:OLD"
            assert mw.earlier(base + "new") is None and base + "new" not in mw.captured
            mw._remember(base + "new", ("sha1:NEW", "<urn:uuid:1>", "2026-03-02T00:00:00Z"))
            for n in range(3):  # ... then forgotten among the recent ones
                mw._remember(f"{base}other-{n}", ("sha1:X", None, "2026-03-02T00:00:00Z"))
            assert base + "new" not in mw.last_payload
            record(archive, crawl, base + "new", "sha1:NEW")
            assert mw.earlier(base + "new")[0] == "sha1:NEW"
        finally:
            mw.writer.shutdown()
            if mw.archive is not None:
                mw.archive.close()
