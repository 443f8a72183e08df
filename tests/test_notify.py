"""Notifications after scheduled runs and plain crawls, through apprise, received by a webhook the test starts.

The receiver is a plain HTTP server on 127.0.0.1 that records every POST; apprise's ``json://`` and ``form://``
services deliver to it exactly as they would to a real webhook.
"""

import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from samplesite import SampleSite

from .conftest import ROOT, crawl_center
from .test_schedule import HEALTHARCHIVE, rows, schedule, write_config

BASE = "https://archive.example.org"


class Receiver:
    """A webhook receiver on a free 127.0.0.1 port; ``posts`` holds (path, content type, body) of each POST."""

    def __init__(self):
        posts = self.posts = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                posts.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def messages(self):
        """The JSON messages received (apprise json://: version, title, message, type)."""
        return [json.loads(body) for _, kind, body in self.posts if kind.startswith("application/json")]


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_each_scheduled_run_notifies_what_it_found(tmp_path, receiver):
    with SampleSite() as site:
        config = write_config(tmp_path, {"center": ("healthcenter", {"start_url": site.hub_url}, 'every = "1s"')})
        hook = f"json://127.0.0.1:{receiver.port}/hook"
        config.write_text(f'notify = ["{hook}"]\nbase_url = "{BASE}/"\n' + config.read_text())
        for round_ in (1, 2, 2):
            site.set_round(round_)
            result = schedule(config, "--once", "--force")
            assert result.returncode == 0, result.stderr
        # The third run finds nothing new, changed or gone: nothing is sent (notify_when = "changes", the default).
        assert result.stderr.count("notified") == 0
    db = tmp_path / "archive.db"
    first, second = receiver.messages()
    assert [p for p, _, _ in receiver.posts] == ["/hook", "/hook"]
    assert first["title"] == "healtharchive: center: 8 new"
    assert first["message"].count("new: ") == 8
    # Round 2: the edited and the grown article changed, one is new, one is gone; a link to each.
    changed = rows(
        db,
        "SELECT o.article_id, v.version FROM observations o JOIN versions v ON v.id = o.version_id "
        "WHERE o.crawl_id = 2 AND o.outcome = 'changed'",
    )
    gone = rows(db, "SELECT article_id FROM observations WHERE crawl_id = 2 AND outcome = 'gone'")
    assert second["title"] == f"healtharchive: center: {len(changed)} changed, 1 new, {len(gone)} gone"
    for c in changed:
        assert f"{BASE}/-/diff/archive/{c['article_id']}?from={c['version'] - 1}&to={c['version']}" in second["message"]
    for g in gone:
        assert f"{BASE}/-/article/archive/{g['article_id']}" in second["message"]
    assert re.search(
        rf"new: .+\n  http://127\.0\.0\.1:\d+/\S+\n  {re.escape(BASE)}/-/diff/archive/\d+\?to=1", second["message"]
    )


def test_notify_command_after_a_plain_crawl(tmp_path, receiver):
    db = tmp_path / "archive.db"
    with SampleSite() as site:
        crawl_center(site, db)
    command = [
        HEALTHARCHIVE,
        "notify",
        "--db",
        str(db),
        "--base-url",
        BASE,
        "--to",
        f"form://127.0.0.1:{receiver.port}/form",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "notified 1 destination(s): 0 changed, 8 new, 0 gone" in result.stdout
    ((path, kind, body),) = receiver.posts
    assert path == "/form" and kind.startswith("application/x-www-form-urlencoded")
    form = parse_qs(body)
    assert form["title"] == ["healtharchive: 8 new"] and f"{BASE}/-/diff/archive/" in form["message"][0]
    # Unreachable or unknown destinations: one clear line, non-zero.
    for bad, message in [
        ("json://127.0.0.1:9/nothing-listens", "could not notify json://127.0.0.1:9/..."),
        ("nosuchservice://x", "not a notification URL apprise knows"),
    ]:
        result = subprocess.run(command[:-1] + [bad], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_notify_settings_are_checked(tmp_path):
    config = tmp_path / "s.toml"
    for text, message in [
        ('notify = ["json://h/x"]\n[crawl.a]\nspider = "pages"\nevery = "1d"\n', "notify needs base_url"),
        ('[crawl.a]\nspider = "pages"\nevery = "1d"\nnotify = "not a url"\n', "notify must be apprise URLs"),
        (
            'base_url = "https://a"\nnotify_when = "sometimes"\nnotify = ["json://h"]\n[crawl.a]\nspider = "p"\n'
            'every = "1d"\n',
            'notify_when must be "changes" or "always"',
        ),
        ('notfy = ["json://h"]\n[crawl.a]\nspider = "pages"\nevery = "1d"\n', "unknown keys notfy"),
    ]:
        config.write_text(text)
        result = schedule(config, "--list")
        assert result.returncode == 1 and message in result.stderr, (text, result.stderr)
