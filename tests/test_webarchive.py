"""The web-archive client against the Wayback Machine's real answers (tests/files/webarchive/, see SOURCES.md), served
by a tiny CDX and replay server on 127.0.0.1: both CDX shapes, resume keys, repeated rows, refusals, captured errors
and the archive's own 429/5xx. pywb itself is exercised in tests/test_backfill.py."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from healtharchive.webarchive import Capture, Refused, Unavailable, WebArchive, parse_cdx, retry_after

FILES = Path(__file__).parent / "files" / "webarchive"
PAGES = json.loads((FILES / "ia-cdx-cnn.com-2001-04-10-to-05-10.json").read_text())
# The Wayback Machine's own example of a JSON answer with a resume key (wayback-cdx-server/README.md).
README_JSON = """[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
 ["org,archive)/", "19970126045828", "http://www.archive.org:80/", "text/html", "200", "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY", "1415"],
 ["org,archive)/", "19971011050034", "http://www.archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1402"],
 ["org,archive)/", "19971211122953", "http://www.archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1405"],
 ["org,archive)/", "19971211122953", "http://www.archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1405"],
 ["org,archive)/", "19980109140106", "http://archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1402"],
 [],
 ["org%2Carchive%29%2F+19980109140106%21"]]"""


def as_json(text: str) -> str:
    """A recorded text answer in the shape the Wayback Machine gives for ``output=json`` (its README)."""
    rows, _, key = text.strip("\n").partition("\n\n")
    table = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
    table += [line.split(" ") for line in rows.splitlines() if line.strip()]
    if key.strip():
        table += [[], [key.strip()]]
    return json.dumps(table)


class Archive(BaseHTTPRequestHandler):
    """Answers from ``server.script``: a function of (path, query) giving (status, headers, body)."""

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.server.seen.append((parts.path, query, time.monotonic()))
        status, headers, body = self.server.script(parts.path, query)
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Archive)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.client = lambda **kw: WebArchive(f"{base}/cdx/search/cdx", f"{base}/web/", **{"rate": 0, "cdx_rate": 0, **kw})
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def recorded_cdx(output_json: bool):
    by_key = {page["resumeKey"]: page["body"] for page in PAGES}

    def script(path, query):
        body = by_key[query.get("resumeKey")]
        return 200, [("Content-Type", "text/plain;charset=UTF-8")], as_json(body) if output_json else body

    return script


@pytest.mark.parametrize("output_json", [True, False], ids=["json", "text"])
def test_resume_keys_are_followed_to_the_end(server, output_json):
    server.script = recorded_cdx(output_json)
    rows = server.client(page_size=25).captures("cnn.com", since="20010410000000", until="20010510000000")
    sent = [q.get("resumeKey") for _, q, _ in server.seen]
    assert sent == [page["resumeKey"] for page in PAGES]  # every key sent back as received, the last page empty
    assert all(q["limit"] == "25" and q["showResumeKey"] == "true" and q["output"] == "json" for _, q, _ in server.seen)
    every = [line.split(" ") for page in PAGES for line in page["body"].split("\n\n")[0].splitlines() if line.strip()]
    distinct = {(r[1], r[2], r[4], r[5]) for r in every if len(r) == 7}
    assert len(every) > len(distinct) + 100  # the Wayback Machine repeats rows (one per index shard) ...
    assert len(rows) == len(distinct)  # ... kept once
    assert [r.timestamp for r in rows] == sorted(r.timestamp for r in rows)
    redirect = next(r for r in rows if r.original == "http://cnn.com:80/")
    assert redirect.status == 302 and redirect.digest == "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ" and not redirect.revisit


def test_the_readme_json_and_a_revisit_without_status():
    rows, resume = parse_cdx(README_JSON)
    assert resume == "org%2Carchive%29%2F+19980109140106%21"
    assert [r.timestamp for r in rows][:2] == ["19970126045828", "19971011050034"] and len(rows) == 5
    assert rows[0].at == "1997-01-26T04:58:28Z" and rows[0].length == 1415
    text = (
        "org,archive)/ 19971011050034 http://www.archive.org:80/ warc/revisit - XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3 1402"
    )
    (revisit,), _ = parse_cdx(text)
    assert revisit.revisit and revisit.status is None and revisit.digest.startswith("XAHD")
    assert parse_cdx("[]") == ([], None) and parse_cdx("") == ([], None)


def test_a_blocked_site_is_refused_in_one_line(server):
    blocked = json.loads((FILES / "ia-cdx-blocked-site-403.json").read_text())
    server.script = lambda path, query: (blocked["status"], list(blocked["headers"].items()), blocked["body"])
    with pytest.raises(Refused) as refused:
        server.client().captures("https://nationalpost.com/health")
    assert "HTTP 403" in str(refused.value) and "Blocked Site Error" in str(refused.value)
    assert "\n" not in str(refused.value) and len(server.seen) == 1  # a refusal is not retried


def test_a_captured_429_is_a_capture_not_a_rate_limit(server):
    memento = json.loads((FILES / "ia-memento-archived-429.json").read_text())
    server.script = lambda path, query: (memento["status"], memento["headers"], memento["body"])
    capture = Capture("20150129034904", "http://www.reddit.com/r/PokemonGiveaway", "text/html", 429, "X")
    replayed = server.client(backoff=5).fetch(capture)
    assert (
        len(server.seen) == 1 and server.seen[0][0] == "/web/20150129034904id_/http://www.reddit.com/r/PokemonGiveaway"
    )
    assert replayed.archived and replayed.status == 429 and "Too Many Requests" in replayed.body.decode()
    assert replayed.headers["x-archive-orig-retry-after"]  # the site's own Retry-After, not the archive's


def test_the_archives_429_waits_for_its_retry_after_then_goes_on(server):
    answers = iter([(429, [("Retry-After", "1")], "slow down"), (503, [], "busy")])
    page = "19970126045828"

    def script(path, query):
        return next(answers, (200, [("Memento-Datetime", "Sun, 26 Jan 1997 04:58:28 GMT")], "<p>archived</p>"))

    server.script = script
    replayed = server.client(backoff=0.05).fetch(Capture(page, "http://www.archive.org:80/", "text/html", 200))
    times = [t for _, _, t in server.seen]
    assert replayed.archived and replayed.body == b"<p>archived</p>" and len(times) == 3
    assert times[1] - times[0] >= 0.95  # Retry-After: 1
    assert times[2] - times[1] < 0.9  # a 503 without Retry-After: the (short) backoff


def test_an_archive_down_for_good_stops_with_one_line(server):
    server.script = lambda path, query: (503, [], "down")
    with pytest.raises(Unavailable) as down:
        server.client(retries=2, backoff=0.01).captures("https://example.org/article")
    assert len(server.seen) == 3 and "answered 503 3 times" in str(down.value) and "\n" not in str(down.value)


def test_requests_keep_their_pace(server):
    server.script = lambda path, query: (200, [("Memento-Datetime", "Sun, 26 Jan 1997 04:58:28 GMT")], "x")
    client = server.client(rate=10)
    for _ in range(4):
        client.fetch(Capture("19970126045828", "http://www.archive.org:80/", "text/html", 200))
    times = [t for _, _, t in server.seen]
    assert times[-1] - times[0] >= 0.29  # 4 starts at 10 a second: 3 intervals of 0.1 s


def test_retry_after_as_a_date():
    assert retry_after({"Retry-After": "120"}) == 120
    assert retry_after({}) is None
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= retry_after({"Retry-After": later}) <= 31
