"""The bundled sample health center: pages, pagination kinds, rounds and HTTP behaviour."""

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin

import lxml.html
import pytest

from samplesite import SampleSite
from samplesite.chrome import LABELS


def get(url, headers=None):
    """(status, headers, body text) without raising on HTTP errors."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode("utf-8", "replace")


def text_of(html):
    return " ".join(lxml.html.fromstring(html).text_content().split())


def norm(s):
    return " ".join(s.split())


@pytest.fixture
def site():
    with SampleSite() as s:
        yield s


@pytest.fixture(scope="module")
def round1():
    with SampleSite() as s:
        yield s


def by_slug(site):
    return {a["slug"]: a for a in site.articles()}


def round_chrome(site):
    """Clutter strings that belong to this round only (not the fixed labels)."""
    return [c for c in site.clutter() if c not in LABELS]


def test_hub_lists_articles_and_tracking_links(round1):
    status, _, html = get(round1.hub_url)
    assert status == 200
    for art in round1.articles():
        assert f'href="/breast-cancer/{art["slug"]}"' in html
        assert art["url"] == round1.url + "/breast-cancer/" + art["slug"]
    assert "?utm_source=newsletter&amp;utm_medium=email" in html
    assert "?ecd=wnl_bc_031526" in html
    for href in (
        'href="/breast-cancer/treatment-guide.pdf"',
        'href="/breast-cancer/print/',
        'href="/diabetes/default.htm"',
        'href="https://www.example.org/',
    ):
        assert href in html
    tracked = re.findall(r'href="(/breast-cancer/[^"?]+)\?(?:utm_source|ecd)=', html)
    assert tracked and all(f'href="{path}"' in html for path in tracked)
    assert get(round1.url + tracked[0] + "?utm_source=newsletter&utm_medium=email")[0] == 200


def test_every_pagination_kind_and_page_count(round1):
    arts = round1.articles()
    kinds = {a["pagination"] for a in arts}
    assert kinds == {"single", "page-param", "link-next", "a-next", "path"}
    assert all(3 <= len(a["page_urls"]) <= 5 for a in arts if a["pagination"] != "single")
    assert all(len(a["page_urls"]) == 1 for a in arts if a["pagination"] == "single")
    assert len(arts) == 8


def next_links(kind, url, html):
    """The URLs a crawler can discover page n+1 from, for each pagination kind."""
    doc = lxml.html.fromstring(html)
    if kind == "link-next":
        return [urljoin(url, h) for h in doc.xpath('//head/link[@rel="next"]/@href')]
    if kind == "a-next":
        return [urljoin(url, h) for h in doc.xpath('//a[@rel="next"]/@href')]
    return [urljoin(url, h) for h in doc.xpath("//body//a/@href")]


def test_each_page_links_to_the_next_in_its_own_way(round1):
    for art in round1.articles():
        urls = art["page_urls"]
        for i, url in enumerate(urls):
            status, _, html = get(url)
            assert status == 200, url
            if i + 1 < len(urls):
                assert urls[i + 1] in next_links(art["pagination"], url, html), (url, art["pagination"])
            if art["pagination"] == "link-next":
                body_links = [urljoin(url, h) for h in lxml.html.fromstring(html).xpath("//body//a/@href")]
                assert not set(urls) & set(body_links) - {urls[0]}, "link-next pages must not be linked in the body"
    path_art = next(a for a in round1.articles() if a["pagination"] == "path")
    assert path_art["page_urls"][1] == path_art["url"] + "/2"
    pp = next(a for a in round1.articles() if a["pagination"] == "page-param")
    assert pp["page_urls"][1] == pp["url"] + "?page=2"
    html = get(pp["url"])[2]
    assert 'href="?page=2"' in html and "Next Page" in html


def test_canonical_points_to_page_one_on_some_articles(round1):
    with_canonical = 0
    for art in round1.articles():
        for url in art["page_urls"]:
            found = lxml.html.fromstring(get(url)[2]).xpath('//link[@rel="canonical"]/@href')
            assert found in ([], [art["url"]])
            with_canonical += bool(found)
    assert with_canonical > 0


def test_blocks_appear_in_served_html_in_order(round1):
    for art in round1.articles():
        text = " ".join(text_of(get(u)[2]) for u in art["page_urls"])
        pos = 0
        for block in art["blocks"]:
            found = text.find(norm(block), pos)
            assert found >= 0, (art["slug"], block)
            pos = found + len(norm(block))
        assert art["title"] not in art["blocks"]


def test_clutter_is_served_but_never_part_of_the_text(round1):
    clutter = round1.clutter()
    for label in (
        "Recommended Related to",
        "Read the",
        "Advertisement",
        "Today on WebMD",
        "Font Size",
        "Skip to content",
        "(continued)",
        "Next Page",
    ):
        assert label in clutter
    for art in round1.articles():
        for block in art["blocks"]:
            assert not [c for c in clutter if c in block], block
    multi = next(a for a in round1.articles() if a["pagination"] == "page-param")
    page2 = text_of(get(multi["page_urls"][1])[2])
    assert f"{multi['title']} (continued)" in page2
    assert "Recommended Related to Breast Cancer" in page2 and "Advertisement" in page2
    html = get(multi["url"])[2]
    assert re.search(r'class="[a-z0-9]+ [a-z0-9]+"><h3>Recommended Related to', html), "opaque class names"


def test_robots_pdf_and_out_of_scope_pages(round1):
    status, headers, robots = get(round1.url + "/robots.txt")
    assert status == 200 and "Disallow: /breast-cancer/print/" in robots
    req = urllib.request.urlopen(round1.url + "/breast-cancer/treatment-guide.pdf")
    body = req.read()
    assert req.headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    status, _, html = get(round1.url + "/diabetes/default.htm")
    assert status == 200 and 'href="/diabetes/' in html
    assert get(round1.url + "/breast-cancer/no-such-article")[0] == 404
    assert get(round1.articles()[1]["url"] + "?page=9")[0] == 404


def test_conditional_requests(site):
    url = site.articles()[0]["url"]
    status, headers, _ = get(url)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag.startswith('"') and modified
    assert get(url, {"If-None-Match": etag})[0] == 304
    assert get(url, {"If-Modified-Since": modified})[0] == 304
    assert get(url, {"If-None-Match": '"nope"'})[0] == 200
    assert get(url, {"If-None-Match": f'"nope", W/{etag}'})[0] == 304
    assert get(url)[1]["ETag"] == etag, "same round, same body"
    site.set_round(2)
    assert get(url, {"If-None-Match": etag})[0] == 200
    assert get(url, {"If-Modified-Since": modified})[0] == 200


def test_round_2_scripted_changes(site):
    sc = site.scenario
    before = by_slug(site)
    r1_chrome = round_chrome(site)
    r1_pages = {u: get(u)[2] for a in before.values() for u in a["page_urls"]}
    r1_pages[site.hub_url] = get(site.hub_url)[2]
    site.set_round(2)
    after = by_slug(site)
    hub = get(site.hub_url)[2]

    removed = after[sc["removed"]]
    assert removed["status"] == 404 and all(get(u)[0] == 404 for u in removed["page_urls"])
    assert f'/breast-cancer/{sc["removed"]}"' not in hub

    assert sc["added"] not in before and after[sc["added"]]["status"] == 200
    assert f'href="/breast-cancer/{sc["added"]}"' in hub and get(after[sc["added"]]["url"])[0] == 200

    failing = after[sc["failing"]]["page_urls"][sc["failing_page"] - 1]
    assert [get(failing)[0] for _ in range(3)] == [503, 503, 503]

    edited_page = after[sc["edited"]]["page_urls"][sc["edited_page"] - 1]
    text = text_of(get(edited_page)[2])
    assert sc["new_sentence"] in text and sc["old_sentence"] not in text
    assert sc["old_sentence"] in text_of(r1_pages[edited_page])

    grown = after[sc["grown"]]
    assert len(grown["page_urls"]) == len(before[sc["grown"]]["page_urls"]) + 1
    new_page = grown["page_urls"][-1]
    assert new_page not in r1_pages and get(new_page)[0] == 200
    assert set(grown["blocks"]) > set(before[sc["grown"]]["blocks"])

    # Text unchanged except the scripted edits; every round-1 chrome string is gone.
    for slug, art in after.items():
        if slug not in (sc["edited"], sc["grown"], sc["added"], sc["removed"]):
            assert art["blocks"] == before[slug]["blocks"]
    for url, old_html in r1_pages.items():
        status, _, html = get(url)
        if status != 200:
            continue
        stale = [c for c in r1_chrome if c in text_of(old_html) and c in text_of(html)]
        assert not stale, (url, stale)
        assert old_html != html


def test_round_3_reverts_the_edit_and_the_failing_page(site):
    sc = site.scenario
    site.set_round(3)
    arts = by_slug(site)
    assert get(arts[sc["failing"]]["page_urls"][sc["failing_page"] - 1])[0] == 200
    text = text_of(get(arts[sc["edited"]]["page_urls"][sc["edited_page"] - 1])[2])
    assert sc["old_sentence"] in text and sc["new_sentence"] not in text
    assert arts[sc["removed"]]["status"] == 404 and sc["added"] in arts
    assert len(arts[sc["grown"]]["page_urls"]) == 4


def test_chrome_differs_in_every_round(site):
    seen = []
    for round in (1, 2, 3):
        site.set_round(round)
        chrome = set(round_chrome(site))
        assert chrome and not chrome & set().union(*seen), f"round {round} repeats chrome"
        seen.append(chrome)


def test_hostile_article_is_escaped_and_edited():
    with SampleSite(hostile=True) as s:
        slug = s.scenario["hostile"]
        art = by_slug(s)[slug]
        html = get(art["url"])[2]
        assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
        assert any("<img src=x onerror=alert(1)>" in b for b in art["blocks"])
        s.set_round(2)
        assert by_slug(s)[slug]["blocks"] != art["blocks"]
    assert "hostile" not in SampleSite().scenario


def test_request_log_and_delay():
    with SampleSite(delay=0.2) as s:
        started = time.monotonic()
        get(s.hub_url, {"X-Probe": "1"})
        assert time.monotonic() - started >= 0.2
        method, path, headers = s.requests[-1]
        assert (method, path, headers["X-Probe"]) == ("GET", "/breast-cancer/default.htm", "1")
        s.clear_requests()
        assert s.requests == []


def test_generated_center():
    with SampleSite(generated=40, pages_per_article=3) as s:
        arts = s.articles()
        hub = get(s.hub_url)[2]
        assert len(arts) == 40 and all(f'href="/breast-cancer/{a["slug"]}"' in hub for a in arts)
        assert len({a["blocks"][0] for a in arts}) == 40, "prose varies between articles"
        for art in arts[:8]:
            assert len(art["page_urls"]) == 3
            text = " ".join(text_of(get(u)[2]) for u in art["page_urls"])
            assert all(norm(b) in text for b in art["blocks"])
            assert "Recommended Related to Breast Cancer" in text
        first, port = get(arts[0]["page_urls"][1])[2], s.port
    with SampleSite(generated=40, pages_per_article=3) as s:
        again = get(s.articles()[0]["page_urls"][1])[2]
        assert again == first.replace(f":{port}/", f":{s.port}/"), "generated deterministically"


def test_command_line_serves_until_killed():
    proc = subprocess.Popen(
        [sys.executable, "-m", "samplesite", "--port", "0", "--round", "2"], stdout=subprocess.PIPE, text=True
    )
    try:
        hub = proc.stdout.readline().strip()
        assert hub.endswith("/breast-cancer/default.htm")
        assert get(hub)[0] == 200
    finally:
        proc.kill()
        proc.wait()
