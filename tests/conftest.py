"""Shared fixtures: the sample health center on 127.0.0.1 and real `scrapy crawl` processes against it."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from samplesite import SampleSite

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "health-dev"
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
TEST_SETTINGS = {
    "ALLOW_PRIVATE_ADDRESSES": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "1",
    "EXTRACT_WORKERS": "2",
    "LOG_LEVEL": "INFO",
}


def run_crawl(spider: str, db: Path, *args: str, settings: dict | None = None, timeout: int = 300):
    """Run ``scrapy crawl SPIDER`` in its own process from the repo root; returns the CompletedProcess."""
    command = crawl_command(spider, db, *args, settings=settings)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def crawl_command(spider: str, db: Path, *args: str, settings: dict | None = None) -> list[str]:
    command = [SCRAPY, "crawl", spider, "-s", f"ARCHIVE_DB={db}"]
    for key, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command


def start_crawl(spider: str, db: Path, *args: str, settings: dict | None = None, **popen) -> subprocess.Popen:
    """``scrapy crawl`` started in its own session (its own process group, as a terminal would run it)."""
    return subprocess.Popen(
        crawl_command(spider, db, *args, settings=settings),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        start_new_session=True,
        **{"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True, **popen},
    )


def copy_archive(source: Path, folder: Path) -> Path:
    """A copy of the archive at ``source`` (with its ``warc/`` folder) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / source.name)
    if (source.parent / "warc").is_dir():
        shutil.copytree(source.parent / "warc", folder / "warc", dirs_exist_ok=True)
    return folder / source.name


def rows(db: Path, sql: str, *params) -> list[tuple]:
    """The rows ``sql`` selects from the archive at ``db``, read on a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def outcomes(db: Path, crawl_id: int | None = None) -> dict[str, tuple[str, int | None]]:
    """Path (and query) of each article observed by the crawl (default: the last) -> (outcome, version number)."""
    conn = sqlite3.connect(db)
    try:
        if crawl_id is None:
            crawl_id = conn.execute("SELECT max(id) FROM crawls").fetchone()[0]
        found = conn.execute(
            "SELECT a.url, o.outcome, v.version FROM observations o JOIN articles a ON a.id = o.article_id "
            "LEFT JOIN versions v ON v.id = o.version_id WHERE o.crawl_id = ?",
            [crawl_id],
        ).fetchall()
    finally:
        conn.close()
    return {_path(url): (outcome, version) for url, outcome, version in found}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl_center(site: SampleSite, db: Path, **settings):
    result = run_crawl("healthcenter", db, f"start_url={site.hub_url}", settings=settings)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture
def site():
    with SampleSite() as s:
        yield s


@pytest.fixture(scope="session")
def two_round_archive(tmp_path_factory):
    """An archive of the sample center crawled in round 1 and round 2 (hostile article included)."""
    db = tmp_path_factory.mktemp("archive") / "archive.db"
    with SampleSite(hostile=True) as s:
        for round_ in (1, 2):
            s.set_round(round_)
            crawl_center(s, db)
    return db
