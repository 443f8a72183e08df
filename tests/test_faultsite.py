"""Self-tests of the fault-injection site (tests/faultsite.py): every mode behaves as its docstring says.

Plain HTTP clients only (http.client, raw sockets), no crawls; the whole file runs in a few seconds.
"""

import gzip
import http.client
import re
import socket
import threading
import time
import zlib
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from tests import faultsite_text as text
from tests.faultsite import BOMB_BLOCK, MIB, FaultSite, key_of


@pytest.fixture
def site():
    with FaultSite() as s:
        yield s


@pytest.fixture
def quiet():
    """No per-request chrome, so two answers for the same page are byte-identical."""
    with FaultSite(volatile=False) as s:
        yield s


def fetch(url, method="GET", headers=None, timeout=5):
    """(status, headers, body) of one request; redirects are not followed, errors not raised."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def raw(site, path, timeout=5):
    """(bytes received, error) of a raw GET that reads until the server closes or resets."""
    sock = socket.create_connection(("127.0.0.1", site.port), timeout=timeout)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data, error = b"", None
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError as err:
        error = err
    finally:
        sock.close()
    return data, error


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head)[1])
    return head, body, length


def doc(body):
    return lxml.html.fromstring(body)


def words(s):
    return " ".join(s.split())


# --- the site itself ---------------------------------------------------------------------------


def test_starts_fast_and_serves_hub_articles_and_pagers():
    t0 = time.perf_counter()
    with FaultSite() as site:
        assert time.perf_counter() - t0 < 0.2
        status, _, body = fetch(site.hub_url)
        assert status == 200
        hub_links = doc(body).xpath("//main//a/@href")
        arts = site.articles()
        linked = [a for a in arts if a["linked"]]
        assert [a["path"] for a in linked] == [f"/center/article-{i}" for i in range(1, 7)]
        assert [len(a["page_urls"]) for a in linked] == [1, 2, 3, 3, 2, 1]
        assert all(a["path"] in hub_links for a in linked)
        assert not any("/node/" in h for h in hub_links)
        for art in arts:
            urls = art["page_urls"]
            for i, url in enumerate(urls):
                status, headers, body = fetch(url)
                assert status == 200 and headers["ETag"], url
                page = doc(body)
                assert page.xpath("//h1/text()") == [art["title"]]
                assert page.xpath("//header") and page.xpath("//nav") and page.xpath("//footer")
                assert re.search(r"[^\x00-\x7f]", body.decode()), "every page holds non-ASCII text"
                served = words(page.xpath('//div[@class="article-body"]')[0].text_content())
                for block in art["pages"][i]:
                    assert words(block) in served
                nexts = [urljoin(url, h) for h in page.xpath('//a[@rel="next"]/@href')]
                head_next = [urljoin(url, h) for h in page.xpath('//head/link[@rel="next"]/@href')]
                if i + 1 < len(urls):
                    assert nexts == head_next == [urls[i + 1]]
                    pager = words(page.xpath('//nav[@class="pager"]')[0].text_content())
                    assert pager.endswith("Next >") and " | ".join(map(str, range(1, len(urls) + 1))) in pager
                else:
                    assert nexts == head_next == []
        assert "?page=2" in arts[1]["page_urls"][1]
        assert arts[-1]["page_urls"][1].endswith("/center/node/789/2")
        for bad in (
            "/center/article-3?page=4",
            "/center/article-3?page=0",
            "/center/article-3?page=two",
            "/center/node/789/4",
            "/center/node/789/1",
            "/center/article-3/2",
            "/center/nope",
        ):
            status, _, body = fetch(site.url(bad))
            assert status == 404 and b"Page Not Found" in body and b"site-footer" in body, bad
        assert fetch(site.url("/robots.txt"))[2] == b"User-agent: *\nDisallow: /center/private/\n"


def test_identity_pages_and_page_two_link(site):
    assert fetch(site.url("/center/node/123"))[0] == 200  # always served, not linked
    site.identity = True
    hrefs = doc(fetch(site.hub_url)[2]).xpath("//main//a/@href")
    for href in ("/center/node/123", "/center/node/456", "/center/node/789", "/center/article-3?page=2"):
        assert href in hrefs
    a, b = (doc(fetch(site.url(p))[2]) for p in ("/center/node/123", "/center/node/456"))
    assert a.xpath("//h1/text()") != b.xpath("//h1/text()")
    assert fetch(site.url("/center/node/123?page=2"))[0] == 200
    assert doc(fetch(site.url("/center/node/789/2"))[2]).xpath('//a[@rel="next"]/@href') == ["/center/node/789/3"]


def test_etag_304_and_round_edits(quiet):
    site = quiet
    edited, other = site.url(text.EDIT_PATH), site.url("/center/article-3?page=2")
    _, h1, body1 = fetch(edited)
    etag = h1["ETag"]
    status, h304, body = fetch(edited, headers={"If-None-Match": etag})
    assert (status, h304["ETag"], body) == (304, etag, b"")
    assert fetch(edited, headers={"If-None-Match": '"other", W/' + etag})[0] == 304
    assert fetch(edited, headers={"If-None-Match": '"other"'})[0] == 200
    assert fetch(edited)[2] == body1  # deterministic without volatile chrome
    other_etag = fetch(other)[1]["ETag"]
    rec1 = doc(fetch(other)[2]).xpath("//aside")[0]
    assert words(text.EDITS[0]) in words(body1.decode().replace("\u2019", "'"))

    site.set_round(2)
    _, h2, body2 = fetch(edited)
    assert h2["ETag"] != etag and fetch(edited, headers={"If-None-Match": etag})[0] == 200
    assert text.EDITS[1] in body2.decode() and text.EDITS[0] not in body2.decode()
    assert fetch(other, headers={"If-None-Match": other_etag})[0] == 304  # chrome changed, the article did not
    rec2 = doc(fetch(other)[2]).xpath("//aside")[0]
    assert rec1.text_content() != rec2.text_content()
    assert rec1.get("class") != rec2.get("class") and rec1.get("id") != rec2.get("id")
    art2 = next(a for a in site.articles() if a["path"] == "/center/article-2")
    assert text.EDITS[1] in art2["text"]
    assert all(c not in a["text"] for a in site.articles() for c in site.clutter())
    site.fault(other, "500")
    assert "ETag" not in fetch(other)[1]


def test_volatile_chrome_changes_every_request(site):
    url = site.url("/center/article-1")
    a, b = fetch(url)[2].decode(), fetch(url)[2].decode()
    clock = re.compile(r"Page last updated: \d\d:\d\d:\d\d")
    counter = re.compile(r"You are visitor number [\d,]+ this month\.")
    assert clock.search(a)[0] != clock.search(b)[0]
    assert counter.search(a)[0] != counter.search(b)[0]
    assert clock.sub("", counter.sub("", a)) == clock.sub("", counter.sub("", b))


# --- status faults -----------------------------------------------------------------------------


def test_status_faults_and_clear(site):
    url = site.url("/center/article-3?page=2")
    expected = {
        "404": b"Page Not Found",
        "410": b"has been removed",
        "500": b"Internal Server Error",
        "502": b"nginx",
        "503": b"maintenance",
        "401": b"Sign in",
        "403": b"Access Denied",
        "451": b"Legal Reasons",
    }
    for mode, marker in expected.items():
        site.fault("/center/article-3?page=2", mode)
        status, headers, body = fetch(url)
        assert status == int(mode) and marker in body, mode
        assert "ETag" not in headers and "Retry-After" not in headers
        if mode == "401":
            assert headers["WWW-Authenticate"].startswith("Basic realm=")
        if mode == "451":
            assert 'rel="blocked-by"' in headers["Link"]
    site.fault(url, 503, retry_after=7)
    assert fetch(url)[1]["Retry-After"] == "7"
    assert fetch(site.url("/center/article-3?page=3"))[0] == 200  # other URLs unaffected
    site.clear(url)
    assert fetch(url)[0] == 200
    site.fault(url, "404", times=2)
    assert [fetch(url)[0] for _ in range(3)] == [404, 404, 200]
    assert site.faults() == {}


def test_429_retry_after_and_wait_tracking(site):
    url = site.url("/center/article-1")
    site.fault(url, 429, retry_after=1, times=1)
    status, headers, body = fetch(url)
    assert (status, headers["Retry-After"]) == (429, "1") and b"Too Many Requests" in body
    assert fetch(url)[0] == 429  # too early: refused again, the wait starts over
    time.sleep(1.05)
    assert fetch(url)[0] == 200
    assert fetch(url)[0] == 200
    assert [h.status for h in site.hits(url)] == [429, 429, 200, 200]
    waits = site.waits(url)
    assert len(waits) == 2 and waits[0] < 0.5 and waits[1] >= 1.0


# --- soft failures -----------------------------------------------------------------------------


def test_soft_404_variants(site):
    url = site.url("/center/article-2")
    for variant, (_, heading, _) in enumerate(text.SOFT404):
        site.fault(url, "soft404", variant=variant)
        status, _, body = fetch(url)
        page = doc(body)
        assert status == 200 and page.xpath("//footer") and page.xpath("//header")
        assert words(page.xpath("//h1")[0].text_content()).replace("\u2019", "'") == heading
    assert text.SOFT404[0][1] == "Sorry, the page you are looking for cannot be found"
    site.fault(url, "soft404")
    assert fetch(url)[0] == 200


def test_empty_binary_and_tiny(site):
    url = site.url("/center/article-4?page=2")
    site.fault(url, "empty")
    status, headers, body = fetch(url)
    assert (status, headers["Content-Length"], body) == (200, "0", b"")
    assert headers["Content-Type"].startswith("text/html")
    site.fault(url, "binary")
    status, headers, body = fetch(url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and len(body) > 10000
    site.fault(url, "binary", kind="random")
    body = fetch(url)[2]
    assert len(body) == 16384 and not body.startswith(b"\x89PNG")
    site.fault(url, "tiny")
    status, _, body = fetch(url)
    main = words(doc(body).xpath("//main")[0].text_content())
    assert status == 200 and main == text.TINY_LINE and b"site-footer" in body


# --- redirects ---------------------------------------------------------------------------------


def test_offsite_redirect_to_spam_host(site):
    url = site.url("/center/article-3?page=2")
    site.fault(url, "offsite")
    status, headers, _ = fetch(url)
    location = headers["Location"]
    assert status == 301 and location == site.other_url("/offers/center/article-3?page=2")
    assert urlsplit(location).netloc != urlsplit(url).netloc
    status, _, body = fetch(location)
    assert status == 200 and b"Online Pharmacy" in body and b"casino" in body
    assert doc(body).xpath('//a[@rel="next"]/@href') == ["/offers/center/article-3?page=3"]  # ?page=N+1 there
    assert site.requests[-1].host == site.other_host
    site.fault(url, "offsite", status=302)
    assert fetch(url)[0] == 302


def test_redirect_chain_with_relative_pager(site):
    url = site.url("/center/article-3?page=2")
    site.fault(url, "chain")
    status, headers, _ = fetch(url)
    assert (status, headers["Location"]) == (301, "/center/moved/article-3-page-2")
    status, headers, _ = fetch(site.url(headers["Location"]))
    assert (status, headers["Location"]) == (302, "/center/final/article-3-page-2")
    final = site.url(headers["Location"])
    status, _, body = fetch(final)
    page = doc(body)
    assert status == 200 and "Finding Your Triggers" in page.text_content()
    nxt = page.xpath('//a[@rel="next"]/@href')
    assert nxt == ["article-3?page=3"]
    assert fetch(urljoin(final, nxt[0]))[0] == 404
    with pytest.raises(ValueError):
        site.fault("/center/nope", "chain")


def test_redirect_loop_and_foreign_schemes(site):
    url = site.url("/center/article-5")
    site.fault(url, "loop")
    seen = []
    for _ in range(6):
        status, headers, _ = fetch(url)
        assert status == 302
        url = site.url(headers["Location"])
        seen.append(headers["Location"])
    assert len(set(seen)) == 2 and seen[1] == seen[3] == seen[5]
    site.fault("/center/article-5", "file-redirect")
    assert fetch(site.url("/center/article-5"))[1]["Location"] == "file:///etc/passwd"
    site.fault("/center/article-5", "data-redirect", status=301)
    status, headers, _ = fetch(site.url("/center/article-5"))
    assert status == 301 and headers["Location"].startswith("data:text/html;base64,")


# --- network faults ----------------------------------------------------------------------------


def test_hang_does_not_block_other_requests(site):
    site.fault("/center/article-1", "hang", seconds=3)
    errors = []

    def hung():
        try:
            fetch(site.url("/center/article-1"), timeout=0.8)
        except TimeoutError as err:
            errors.append(err)

    thread = threading.Thread(target=hung)
    thread.start()
    time.sleep(0.1)
    t0 = time.perf_counter()
    assert fetch(site.url("/center/article-2"))[0] == 200
    assert time.perf_counter() - t0 < 0.3
    thread.join()
    assert len(errors) == 1
    assert [h.status for h in site.hits("/center/article-1")] == [None]


def test_reset_truncate_and_drip(site):
    path = "/center/article-4?page=3"
    full = len(fetch(site.url(path))[2])
    site.fault(path, "reset")
    data, error = raw(site, path)
    head, body, length = split_response(data)
    assert isinstance(error, ConnectionResetError) and b"200 OK" in head
    assert length == full and 0 < len(body) < length
    site.fault(path, "truncate", fraction=0.3)
    data, error = raw(site, path)
    head, body, length = split_response(data)
    assert error is None and length == full and len(body) == int(full * 0.3)
    with pytest.raises(http.client.IncompleteRead):
        fetch(site.url(path))
    site.fault(path, "drip", seconds=0.6)
    t0 = time.perf_counter()
    status, _, body = fetch(site.url(path))
    assert status == 200 and len(body) == full and time.perf_counter() - t0 >= 0.45


# --- content faults ----------------------------------------------------------------------------


def test_huge_pages(site):
    url = site.url("/center/article-1")
    site.fault(url, "huge")
    status, headers, body = fetch(url, timeout=20)
    assert status == 200 and int(headers["Content-Length"]) == len(body) == 6_000_000
    html = body.decode()
    assert html.rstrip().endswith("</html>") and "Blood pressure is the force of blood" in html
    paragraphs = re.findall(r"<p>(.*?)</p>", html)
    assert len(paragraphs) > 5000 and len(set(paragraphs)) > 0.95 * len(paragraphs)
    assert "Part 1000: " in html

    site.fault(url, "huge40")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path)
    resp = conn.getresponse()
    assert resp.headers["Content-Length"] == "40000000" and len(resp.read(1 << 20)) == 1 << 20
    conn.close()

    site.fault(url, "huge", size=300_000, declare_length=False)
    status, headers, body = fetch(url)
    assert "Content-Length" not in headers and headers["Connection"] == "close" and len(body) == 300_000


def test_gzip_bomb_is_small_valid_and_huge(site):
    url = site.url("/center/article-6")
    site.fault(url, "gzip-bomb", mib=4)
    status, headers, body = fetch(url)
    assert headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(body)
    plain = gzip.decompress(body)  # checks the CRC and size trailer
    assert plain.startswith(b"<!DOCTYPE html>") and plain.endswith(b"</html>") and len(plain) > 4 * MIB

    site.fault(url, "gzip-bomb")
    status, headers, body = fetch(url, timeout=20)
    assert status == 200 and len(body) == int(headers["Content-Length"]) < 2 * MIB
    first = zlib.decompressobj(wbits=31).decompress(body[:65536], 1 << 16)
    assert first.startswith(b"<!DOCTYPE html>")
    inflate, expanded, pending = zlib.decompressobj(wbits=31), 0, body[: 10 + 16 * len(BOMB_BLOCK)]
    while pending:
        expanded += len(inflate.decompress(pending, 4 * MIB))
        pending = inflate.unconsumed_tail
    assert expanded >= 15 * MIB  # 16 KB on the wire already give 16 MiB
    isize = int.from_bytes(body[-4:], "little")
    assert isize == (len(plain) - 4 * MIB + 1024 * MIB) % (1 << 32)  # 1 GiB + page, modulo 2**32
    assert 1024 * MIB > 1_000_000_000


def test_mis_declared_charsets(site):
    url = site.url("/center/article-2?page=2")
    site.fault(url, "cp1252")
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8" and b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "José Núñez" in body.decode("cp1252") and "© 2026" in body.decode("cp1252")

    site.fault(url, "utf16")
    _, headers, body = fetch(url)
    assert headers["Content-Type"] == "text/html; charset=utf-16" and body.startswith(b"\xff\xfe")
    page = doc(body.decode("utf-16"))
    assert page.xpath('//a[@rel="prev"]/@href')[0] == "/center/article-2"
    assert "José Núñez" in page.text_content()


def test_deep_nesting(site):
    url = site.url("/center/article-5?page=2")
    site.fault(url, "deep")
    body = fetch(url)[2].decode()
    assert body.count('<div class="wrap">') == 10_000 and "Treatment Without Surgery" in body
    site.fault(url, "deep", depth=50)
    assert fetch(url)[2].decode().count('<div class="wrap">') == 50


def test_article_pager_modes(quiet):
    site = quiet
    base = "/center/article-3"

    def next_of(path):
        return doc(fetch(site.url(path))[2]).xpath('//a[@rel="next"]/@href')

    site.fault(base, "pager-loop")
    assert next_of(base + "?page=3") == [base + "?page=1"]
    assert next_of(base + "?page=2") == [base + "?page=3"]
    site.fault(base, "pager-self")
    assert next_of(base + "?page=3") == [base + "?page=3&sort=recent"]
    assert fetch(site.url(base + "?page=3&sort=recent"))[2] == fetch(site.url(base + "?page=3"))[2]
    site.fault(base, "pager-ignored")
    page1 = fetch(site.url(base))[2]
    assert fetch(site.url(base + "?page=2"))[2] == fetch(site.url(base + "?page=99"))[2] == page1
    assert next_of(base + "?page=2") == [base + "?page=2"]
    site.fault(base, "pages-200")
    assert next_of(base + "?page=199") == [base + "?page=200"] and next_of(base + "?page=200") == []
    assert fetch(site.url(base + "?page=201"))[0] == 404
    pager = words(doc(fetch(site.url(base + "?page=100"))[2]).xpath('//nav[@class="pager"]')[0].text_content())
    assert pager == "< Prev 1 | … | 98 | 99 | 100 | 101 | 102 | … | 200 Next >"
    bodies = {fetch(site.url(f"{base}?page={n}"))[2] for n in (4, 5, 150)}
    assert len(bodies) == 3
    site.clear()
    assert fetch(site.url(base + "?page=4"))[0] == 404
    with pytest.raises(ValueError):
        site.fault(base + "?page=2", "pager-loop")


# --- API, log, determinism, threads -------------------------------------------------------------


def test_fault_api_and_request_log(site):
    with pytest.raises(ValueError):
        site.fault("/center/article-1", "explode")
    with pytest.raises(ValueError):
        site.fault("/center/article-1", "hang", fraction=0.5)
    site.fault(site.url("/center/article-1?b=2&a=1"), "410")  # a full URL; parameter order is ignored
    assert site.faults() == {"/center/article-1?a=1&b=2": "410"}
    assert key_of("/center/article-1?b=2&a=1") == "/center/article-1?a=1&b=2"
    assert fetch(site.url("/center/article-1?a=1&b=2"))[0] == 410
    assert fetch(site.url("/center/article-1"))[0] == 200
    site.fault("/center/article-1?a=1&b=2", "500")  # replaces the 410
    assert fetch(site.url("/center/article-1?a=1&b=2"), method="HEAD")[0] == 500
    site.clear()
    assert site.faults() == {}
    before = time.time()
    fetch(site.url("/center/article-2"), headers={"User-Agent": "probe/1.0"})
    hit = site.requests[-1]
    assert (hit.method, hit.path, hit.status, hit.fault) == ("GET", "/center/article-2", 200, None)
    assert hit.headers["User-Agent"] == "probe/1.0" and before <= hit.time <= time.time()
    assert site.requests[-2].fault == "500" and site.requests[-2].method == "HEAD"
    site.clear_requests()
    assert site.requests == []


def test_deterministic_by_seed():
    bodies = []
    for seed in (0, 0, 1):
        with FaultSite(seed=seed) as s:
            s.fault("/center/article-1?page=1", "binary")
            bodies.append([fetch(s.url(p))[2] for p in ("/center/article-3?page=2", "/center/article-1?page=1")])
    assert bodies[0] == bodies[1]
    assert bodies[0][0] != bodies[2][0] and bodies[0][1] != bodies[2][1]


def test_parallel_requests(site):
    paths = [a["path"] for a in site.articles()] * 5
    results = []

    def worker(chunk):
        results.extend(fetch(site.url(p))[0] for p in chunk)

    threads = [threading.Thread(target=worker, args=(paths[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * len(paths)
    counters = [r.time for r in site.requests]
    assert len(counters) == len(paths)
