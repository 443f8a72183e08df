"""``healtharchive genspider``: scaffold a site's profile, spider, saved page and test.

Runs in a temporary copy of the repository layout (crawler/, pipelines/, scrapy.cfg), never in the
repository itself: from a real page (NHS Choices' Zika virus page, 2016, tests/files/SOURCES.md) served on 127.0.0.1
and from a local file, then runs the generated test and ``scrapy list`` in that copy.
"""

import os
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.settings import USER_AGENT
from healtharchive.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PAGE = Path(__file__).with_name("files") / "nhs" / "nhs-choices-2016" / "cs4r-ZikaVirus.html"
PATH = "/conditions/zika-virus/Pages/Introduction.aspx"
REAL_URL = "http://www.nhs.uk" + PATH
PYTHON = sys.executable


@pytest.fixture
def layout(tmp_path):
    """A copy of the layout the scaffold writes into."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("crawler", "pipelines"):
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    shutil.copy(ROOT / "scrapy.cfg", root / "scrapy.cfg")
    (root / "tests").mkdir()
    return root


@pytest.fixture
def served():
    """The real NHS Choices page on 127.0.0.1, recording the User-Agent of each request."""
    agents = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            agents.append(self.headers.get("User-Agent"))
            found = self.path == PATH
            body = PAGE.read_bytes() if found else b"not found"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", agents
    server.shutdown()
    server.server_close()


def in_copy(root: Path, *command: str):
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run(list(command), cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_genspider_from_a_served_page(layout, served):
    base, agents = served
    url = base + PATH
    result = CliRunner().invoke(cli, ["genspider", "zika", url, "--root", str(layout)])
    assert result.exit_code == 0, result.output
    assert agents == [USER_AGENT], "the page is fetched once, with the project's User-Agent"

    page = layout / "tests" / "files" / "zika" / "Introduction.html"
    assert page.read_bytes() == PAGE.read_bytes()
    profile = tomllib.loads((layout / "crawler" / "profiles" / "zika.toml").read_text())
    assert profile["start_urls"] == [f"{base}/conditions/zika-virus/Pages/"]
    assert profile["scope_hosts"] == [base.split("//")[1]] and profile["scope_paths"] == [
        "/conditions/zika-virus/Pages/"
    ]
    assert profile["sitemap_urls"] == [f"{base}/robots.txt"] and profile["prune"] == []
    assert profile["review_date"] == [] and profile["discovery"] == ["hubs", "sitemaps"]
    profile_text = (layout / "crawler" / "profiles" / "zika.toml").read_text()
    assert "the page gave: 2016-12-02" in profile_text, "the date found, for the author to check (12/02/2016 is UK)"
    spider = (layout / "crawler" / "spiders" / "zika.py").read_text()
    assert "class ZikaSpider(SiteSpider)" in spider and 'name = "zika"' in spider
    test = (layout / "tests" / "test_spider_zika.py").read_text()
    assert "Zika virus disease is mainly spread by mosquitoes" in test, "MUST_HAVE holds the article's text"
    assert "'Hundreds of conditions explained'," in test, "MUST_NOT holds the page's navigation, left out"
    assert "REVIEWED_ON = '2016-12-02'" in test
    sources = (layout / "tests" / "files" / "SOURCES.md").read_text()
    assert f"| `Introduction.html` | {url} |" in sources and f"fetched from {url}" in sources

    # The generated test passes in the copy, and scrapy knows the spider.
    run = in_copy(layout, PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "tests/test_spider_zika.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "5 passed" in run.stdout
    listed = in_copy(layout, str(Path(PYTHON).with_name("scrapy")), "list")
    assert "zika" in listed.stdout.split(), listed.stderr[-2000:]

    # Not twice without --force; with it, the page's source is recorded once.
    again = CliRunner().invoke(cli, ["genspider", "zika", url, "--root", str(layout)])
    assert again.exit_code != 0 and "already there" in again.output
    again = CliRunner().invoke(cli, ["genspider", "zika", url, "--root", str(layout), "--force"])
    assert again.exit_code == 0, again.output
    assert (layout / "tests" / "files" / "SOURCES.md").read_text().count("## zika/") == 1


def test_genspider_from_a_local_file(layout, tmp_path):
    copy = tmp_path / "saved.html"
    copy.write_bytes(PAGE.read_bytes().replace(b'<link rel="canonical"', b'<link rel="x-canonical"'))
    result = CliRunner().invoke(cli, ["genspider", "offline", str(copy), "--root", str(layout)])
    assert result.exit_code != 0 and "--url" in result.output  # no canonical: its address is needed

    result = CliRunner().invoke(
        cli,
        [
            "genspider",
            "offline",
            str(copy),
            "--root",
            str(layout),
            "--url",
            REAL_URL,
            "--hub",
            "http://www.nhs.uk/conditions/zika-virus/Pages/",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (layout / "tests" / "files" / "offline" / "Introduction.html").is_file()
    profile = tomllib.loads((layout / "crawler" / "profiles" / "offline.toml").read_text())
    assert profile["start_urls"] == ["http://www.nhs.uk/conditions/zika-virus/Pages/"]
    assert "read from the local file saved.html" in (layout / "tests" / "files" / "SOURCES.md").read_text()
    run = in_copy(layout, PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_spider_offline.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]

    # A page with rel=canonical needs no --url.
    result = CliRunner().invoke(cli, ["genspider", "canonical", str(PAGE), "--root", str(layout)])
    assert result.exit_code == 0, result.output
    assert REAL_URL in (layout / "tests" / "test_spider_canonical.py").read_text()


@pytest.mark.parametrize("name", ["Bad-Name", "pages", "generic", "9lives"])
def test_genspider_refuses_bad_names(layout, name):
    result = CliRunner().invoke(cli, ["genspider", name, str(PAGE), "--root", str(layout)])
    assert result.exit_code != 0 and "bad spider name" in result.output


def test_genspider_needs_the_layout(tmp_path):
    result = CliRunner().invoke(cli, ["genspider", "site", str(PAGE), "--root", str(tmp_path)])
    assert result.exit_code != 0 and "not a healtharchive checkout" in result.output
