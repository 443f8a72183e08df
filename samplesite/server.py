"""SampleSite: the fake health center served over HTTP on 127.0.0.1."""

import threading
import time
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .center import Center
from .heart import HeartCenter
from .templates import HUB


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Scrapy reuses connections
    server_version = "SampleSite/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes; avoid 40 ms ACK stalls

    def do_GET(self):
        self.serve(body=True)

    def do_HEAD(self):
        self.serve(body=False)

    def serve(self, body):
        site = self.server.site
        site._record(self.command, self.path, dict(self.headers))
        if site.delay:
            time.sleep(site.delay)
        center = site._center  # one snapshot, so a round switch never mixes rounds
        path, _, query = self.path.partition("?")
        resp = center.respond(path, query)
        if resp.status == 200:
            etag, modified = resp.etag, resp.last_modified
            if site.conditional and self.not_modified(etag, resp.modified):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                return
            resp.headers.update({"ETag": etag, "Last-Modified": modified})
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.ctype)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(resp.body)

    def not_modified(self, etag, modified):
        # If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2).
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return modified <= parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def log_message(self, format, *args):
        pass  # tests and benchmarks make thousands of requests


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a crawler opens many connections at once: none is refused

    def handle_error(self, request, client_address):
        pass  # clients (Scrapy on shutdown, benchmarks) drop connections mid-response


class SampleSite:
    """A fake breast-cancer health center; see the package docstring for the API."""

    def __init__(
        self,
        round=1,
        hostile=False,
        delay=0.0,
        generated=0,
        pages_per_article=3,
        port=0,
        seed=0,
        center="breast",
        conditional=True,
    ):
        """``center``: "breast" (the breast-cancer center, or ``generated`` synthetic articles in its layout) or
        "heart" (``heart.HeartCenter``: six articles in another layout, with other chrome). ``conditional=False``:
        every page is sent in full, never "304 Not Modified"."""
        self.conditional = conditional
        self.round, self.hostile, self.delay, self.center = round, hostile, delay, center
        self.generated, self.pages_per_article, self.port, self.seed = generated, pages_per_article, port, seed
        self._lock = threading.Lock()
        self._requests = []
        self._server = self._thread = None
        self._center = self._build()

    def _build(self):
        if self.center == "heart":
            return HeartCenter(self.round, self.url, seed=self.seed)
        return Center(self.round, self.url, self.hostile, self.seed, self.generated, self.pages_per_article)

    def _record(self, method, path, headers):
        with self._lock:
            self._requests.append((method, path, headers))

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def hub_url(self):
        return self.url + (HeartCenter.hub_path if self.center == "heart" else HUB)

    def start(self):
        self._server = Server(("127.0.0.1", self.port), Handler)
        self._server.site = self
        self.port = self._server.server_address[1]
        with self._lock:
            self._center = self._build()  # canonical links need the real port
        self._thread = threading.Thread(target=self._server.serve_forever, name="samplesite", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set_round(self, round):
        with self._lock:
            self.round = round
            self._center = self._build()

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear_requests(self):
        with self._lock:
            self._requests.clear()

    def articles(self):
        return self._center.describe()

    def clutter(self):
        return self._center.clutter()

    @property
    def scenario(self):
        return self._center.scenario()
