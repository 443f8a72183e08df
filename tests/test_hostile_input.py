"""Bad and hostile input: other schemes, private addresses in every disguise, malformed URL lists, files that are
not archives, a profile name that is a path, an export over the archive, Datasette's odd ids. Each gets one clear
line and loses nothing."""

import asyncio
import gzip
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from crawler.addresses import is_public
from healtharchive.site import make_datasette
from tests.conftest import ROOT, copy_archive, outcomes, run_crawl
from tests.faultsite import FaultSite

HEALTHARCHIVE = str(Path(sys.executable).with_name("healtharchive"))
GUARDED = {"ALLOW_PRIVATE_ADDRESSES": "False"}


@pytest.fixture(scope="module")
def site():
    with FaultSite() as s:
        yield s


@pytest.fixture(scope="module")
def archived(site, tmp_path_factory):
    db = tmp_path_factory.mktemp("archived") / "archive.db"
    result = run_crawl("healthcenter", db, f"start_url={site.hub_url}")
    assert result.returncode == 0, result.stderr[-3000:]
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def warc_text(folder: Path) -> str:
    return "".join(gzip.open(f).read().decode("latin-1") for f in sorted((folder / "warc").glob("*.warc.gz")))


# --- schemes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["file:///etc/passwd", "data:text/html,<p>spam</p>", "ftp://127.0.0.1/x"])
def test_a_start_url_that_is_not_http_is_refused_at_once(start, tmp_path):
    result = run_crawl("healthcenter", tmp_path / "archive.db", f"start_url={start}")
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"Error: start_url {start}: not an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "warc").exists() and not (tmp_path / "archive.db").exists()


def test_redirects_to_other_schemes_are_refused_and_malformed_lines_skipped(site, archived, tmp_path):
    db = copy_archive(archived, tmp_path)
    site.fault("/center/article-1", "file-redirect")
    site.fault("/center/article-2?page=2", "data-redirect")
    urls = [
        site.url("/center/article-1"),
        "http://[::1",  # malformed: the old spider stopped the rest of the list here
        "file:///etc/passwd",
        site.url("/center/article-2"),
        site.url("/center/article-3"),
    ]
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    try:
        result = run_crawl("pages", db, f"urls_file={tmp_path / 'urls.txt'}")
    finally:
        site.clear()
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"urls_file {tmp_path / 'urls.txt'} line 2: http://[::1: malformed URL" in result.stderr
    assert "line 3: file:///etc/passwd: not an http(s) URL: skipped" in result.stderr
    assert "crawl failed: 2 malformed line(s) in the URL list skipped" in result.stderr
    assert outcomes(db) == {
        "/center/article-1": ("incomplete", 1),  # a listed URL that failed: an observation and a log line
        "/center/article-2": ("incomplete", 1),
        "/center/article-3": ("unchanged", 1),
    }
    assert "/center/article-1: answered 302: a redirect to file:///etc/passwd that is not followed" in result.stderr
    assert (
        "page 2 of http://127.0.0.1:" in result.stderr and "answered 302: a redirect to data:text/html" in result.stderr
    )
    assert "root:x:0:0" not in warc_text(tmp_path)


# --- private addresses ---------------------------------------------------------------------------------------


def test_private_addresses_in_every_disguise_are_refused(site, tmp_path):
    port = site.port
    hosts = ["localhost", "127.0.0.1.", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[::7f00:1]"]
    (tmp_path / "urls.txt").write_text("".join(f"http://{h}:{port}/center/article-1\n" for h in hosts))
    site.clear_requests()
    result = run_crawl("pages", tmp_path / "archive.db", f"urls_file={tmp_path / 'urls.txt'}", settings=GUARDED)
    assert site.requests == []  # not even robots.txt
    assert result.returncode == 1 and "every start URL failed" in result.stderr
    # A name is refused on the address the connection would use, by the crawl's resolver.
    assert "refused localhost: it resolves to 127.0.0.1, a private or loopback address" in result.stderr
    for host in ("127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::7f00:1"):
        assert f"refused {host}: private or loopback address" in result.stderr, host


def test_embedded_private_ipv4_addresses_are_not_public():
    for address in (
        "169.254.169.254",
        "::ffff:a9fe:a9fe",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a9fe:a9fe",
        "2002:a9fe:a9fe::",
    ):
        assert not is_public(address), address
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822", "2002:5db8:d822::1"):
        assert is_public(address), address


# --- files that are not archives -----------------------------------------------------------------------------


@pytest.fixture
def not_archives(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("these are my notes, not an archive\n")
    future = tmp_path / "future.db"
    conn = sqlite3.connect(future)
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    return {text: "is not an SQLite database", future: "has archive schema version 99, newer than"}


def test_files_that_are_not_archives_get_one_line_and_stay_untouched(not_archives, tmp_path):
    for path, message in not_archives.items():
        before = digest(path)
        commands = [
            [sys.executable.replace("python", "scrapy"), "crawl", "pages", "-s", f"ARCHIVE_DB={path}"],
            [HEALTHARCHIVE, "reextract", "--db", str(path)],
            [HEALTHARCHIVE, "serve", str(path), "--port", "1"],
            [HEALTHARCHIVE, "history", "http://example.org/x", "--db", str(path)],
        ]
        commands[0] += ["-a", f"urls_file={tmp_path / 'none.txt'}"]
        (tmp_path / "none.txt").write_text("http://127.0.0.1:1/x\n")
        for command in commands:
            result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert result.returncode != 0, command
            assert message in result.stderr and "Traceback" not in result.stderr, (command, result.stderr[-2000:])
        assert digest(path) == before
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(path.name + "-")]  # no -wal, -shm
        assert not Path(f"{path}.lock").exists()


def test_a_profile_is_loaded_by_name_only(tmp_path):
    evil = tmp_path / "evil.toml"
    evil.write_text('description = "not a profile of this project"\n')
    relative = os.path.relpath(evil.with_suffix(""), ROOT / "crawler" / "profiles")
    result = run_crawl("healthcenter", tmp_path / "a.db", "start_url=http://127.0.0.1:1/x", f"profile={relative}")
    assert result.returncode == 2 and f"unknown profile {relative!r}" in result.stderr, result.stderr[-2000:]


def test_export_never_writes_over_the_archive_or_a_database(site, archived, tmp_path):
    db = copy_archive(archived, tmp_path)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for target, message in ((db, "it is the archive's own file"), (other, "it is an SQLite database")):
        before = digest(target)
        command = [HEALTHARCHIVE, "export", site.url("/center/article-1"), "-o", str(target), "--db", str(db)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and f"refusing to write over {target}: {message}" in result.stderr
        assert digest(target) == before
    good = tmp_path / "article.warc.gz"
    command = [HEALTHARCHIVE, "export", site.url("/center/article-1"), "-o", str(good), "--db", str(db)]
    assert subprocess.run(command, cwd=ROOT, capture_output=True, timeout=60).returncode == 0


# --- Datasette ---------------------------------------------------------------------------------------------


def test_datasette_answers_odd_ids_with_a_4xx_never_a_500(archived):
    ds = make_datasette(archived)
    big = "99999999999999999999"  # beyond SQLite's integer range
    paths = [
        "/-/diff/2?to=²",
        "/-/diff/2?from=²",
        f"/-/diff/{big}",
        f"/-/diff/2?to={big}",
        f"/-/diff/archive/{big}",
        f"/-/article/archive/{big}",
        f"/-/article/archive/1/v{big}",
        f"/-/version/archive/{big}",
        f"/archive/articles/{big}",
        f"/archive/versions/{big}",
    ]

    async def statuses():
        return {path: (await ds.client.get(path, follow_redirects=True)).status_code for path in paths}

    assert {path: status // 100 for path, status in asyncio.run(statuses()).items()} == dict.fromkeys(paths, 4)


# --- make demo -----------------------------------------------------------------------------------------------


def test_the_demo_builds_its_own_archive_and_never_touches_archive_db(tmp_path):
    mine = tmp_path / "archive.db"
    mine.write_bytes(b"an archive the demo must not delete")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    demo = subprocess.Popen(
        [sys.executable, "-m", "healtharchive.demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert demo.poll() is None, demo.stderr.read()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/articles.json", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the demo never served its archive")
    finally:
        demo.terminate()
        demo.wait(30)
    assert mine.read_bytes() == b"an archive the demo must not delete"
    assert (tmp_path / "demo" / "archive.db").is_file()
