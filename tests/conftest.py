"""Shared fixtures: the sample health center on 127.0.0.1 and real `scrapy crawl` processes against it."""

import os
import subprocess
import sys
from pathlib import Path

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
    command = [SCRAPY, "crawl", spider, "-s", f"ARCHIVE_DB={db}"]
    for key, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


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
