"""The WARC records of a crawl's requests and responses, made and appended in the WARC writer process (``ha-warc``).

``Records`` lives in a process of its own (``pipelines.workers.Resident``, driven by ``crawler/warc.py``'s
``WarcWriter``): digests, warcio records, gzip and the appends to the files (``archive.warc.WarcFiles``, rotation
included) run there, one call after the other in the order the responses came, and take nothing from the crawl
process's reactor thread. It is fed plain data, made from Scrapy's objects in the crawl process (``response_data``,
``request_data``), and imports no Scrapy. Each call returns (its result, what it adds to the ``healtharchive/warc/*``
stats).
"""

from __future__ import annotations

import io
from http.client import responses as REASONS
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warc import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, WarcFiles, payload_digest, warc_date


def response_data(response) -> dict:
    """What a response's record is made of, as plain data (a Scrapy ``Response``, as it came off the wire)."""
    ip = getattr(response, "ip_address", None)
    return {
        "url": response.url,
        "status": response.status,
        "headers": list(response.headers.items()),
        "body": response.body,
        "ip": None if ip is None else str(ip),
        "dataloss": "dataloss" in response.flags,
        "protocol": getattr(response, "protocol", None),
    }


def request_data(request) -> dict:
    """What a request's record is made of, as plain data (a Scrapy ``Request``, with the headers sent)."""
    return {
        "url": request.url,
        "method": request.method,
        "headers": list(request.headers.items()),
        "body": request.body or b"",
    }


class Records:
    """Writes a crawl's records to ``files`` (see the module doc)."""

    def __init__(self, files: WarcFiles):
        self.files = files

    def _write(self, record, counts: dict) -> tuple[str, int, int]:
        """Append ``record``; what it adds to the stats goes in ``counts``."""
        opened = self.files.opened
        stored, offset, length = self.files.write(record)
        for key, n in (("files", self.files.opened - opened), ("records", 1), ("bytes", length)):
            counts[key] = counts.get(key, 0) + n
        return stored, offset, length

    def lone_request(self, request: dict) -> tuple[None, dict]:
        """A request that got no response; returns (None, the stats it adds)."""
        counts = {}
        self._write(self._request_record(request, None), counts)
        counts["requests"] = 1
        return None, counts

    def close(self) -> None:
        self.files.close()

    def response(self, response: dict, request: dict, earlier) -> tuple[tuple[dict, tuple | None], dict]:
        """The response's record, a revisit of ``earlier`` when it repeats it, and the request's; returns ((location,
        the URL's new last payload or None), the stats it adds)."""
        counts = {}
        writer = WARCWriter(None)
        url = response["url"]
        body = response["body"]
        status = response["status"]
        date = warc_date()
        http = self._http_headers(response, len(body))
        extra = {"WARC-Date": date}
        if response["ip"] is not None:
            extra["WARC-IP-Address"] = response["ip"]
        if response["dataloss"]:
            extra["WARC-Truncated"] = "unspecified"
        digest = payload_digest(body)
        payload = None
        if status == 304 and earlier:
            digest = earlier[0]
            record = self._revisit(writer, url, PROFILE_NOT_MODIFIED, earlier, http, extra)
            counts["revisits"] = 1
        elif status == 200 and body and earlier and earlier[0] == digest:
            record = self._revisit(writer, url, PROFILE_IDENTICAL, earlier, http, extra)
            counts["revisits"] = 1
        else:
            extra["WARC-Payload-Digest"] = digest
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http, warc_headers_dict=extra
            )
            counts["responses"] = 1
            if status == 304:
                digest = None  # a 304 with no earlier capture known: it stands for content we never saw
            elif status == 200:
                payload = (digest, record.rec_headers.get_header("WARC-Record-ID"), date)
        stored, offset, length = self._write(record, counts)
        self._write(self._request_record(request, record.rec_headers.get_header("WARC-Record-ID"), date), counts)
        counts["requests"] = 1
        return ({"file": stored, "offset": offset, "length": length, "digest": digest}, payload), counts

    @staticmethod
    def _revisit(writer, url, profile, earlier, http, extra):
        digest, record_id, refers_date = earlier
        headers = dict(extra)
        headers["WARC-Profile"] = profile
        if record_id:
            headers["WARC-Refers-To"] = record_id
        headers["WARC-Refers-To-Target-URI"] = url
        headers["WARC-Refers-To-Date"] = refers_date
        headers["WARC-Payload-Digest"] = digest
        # A revisit record holds the HTTP headers only (the 304's empty body included).
        return writer.create_warc_record(url, "revisit", http_headers=http, warc_headers_dict=headers)

    @staticmethod
    def _http_headers(response: dict, body_length: int) -> StatusAndHeaders:
        headers = []
        has_length = False
        status = response["status"]
        for name, values in response["headers"]:
            key = name.decode("latin-1")
            lower = key.lower()
            for value in values:
                value = value.decode("latin-1")
                if lower == "transfer-encoding":
                    headers.append(("X-Archive-Orig-Transfer-Encoding", value))
                    continue
                if lower == "content-length":
                    has_length = True
                headers.append((key, value))
        if not has_length and status not in (204, 304) and not 100 <= status < 200:
            headers.append(("Content-Length", str(body_length)))
        protocol = response["protocol"] or "HTTP/1.1"
        statusline = f"{status} {REASONS.get(status, 'Unknown')}"
        return StatusAndHeaders(statusline, headers, protocol=protocol)

    @staticmethod
    def _request_record(request: dict, concurrent_to: str | None, date: str | None = None):
        parts = urlsplit(request["url"])
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = []
        names = {name.lower() for name, _ in request["headers"]}
        if b"host" not in names:
            headers.append(("Host", parts.netloc))
        for name, values in request["headers"]:
            for value in values:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        # StatusAndHeaders writes "protocol statusline": the request line "METHOD target HTTP/1.1".
        http = StatusAndHeaders(f"{target} HTTP/1.1", headers, protocol=request["method"])
        extra = {"WARC-Date": date or warc_date()}
        if concurrent_to:
            extra["WARC-Concurrent-To"] = concurrent_to
        body = request["body"]
        return WARCWriter(None).create_warc_record(
            request["url"],
            "request",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict=extra,
        )
