"""The Atom feed, read by a real feed parser (feedparser) and checked against RFC 4287's requirements."""

import re
import sqlite3
import xml.etree.ElementTree as ET

import feedparser
import pytest

from healtharchive.site import make_datasette

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def ds(two_round_archive):
    return make_datasette(two_round_archive)


def check_rfc4287(xml: bytes) -> ET.Element:
    """The RFC 4287 rules a reader relies on: one id, title and updated per feed and entry (dates in RFC 3339), an
    author for the feed (or every entry), absolute links, an alternate link for an entry without content."""
    feed = ET.fromstring(xml)
    assert feed.tag == f"{A}feed"
    for element in [feed, *feed.findall(f"{A}entry")]:
        for tag in ("id", "title", "updated"):
            found = element.findall(f"{A}{tag}")
            assert len(found) == 1 and found[0].text and found[0].text.strip(), (tag, ET.tostring(element)[:300])
        assert RFC3339.match(element.findtext(f"{A}updated")), element.findtext(f"{A}updated")
        assert re.match(r"^[a-z][a-z0-9+.-]*:", element.findtext(f"{A}id")), "an id is an absolute IRI"
        for link in element.findall(f"{A}link"):
            assert re.match(r"^https?://", link.get("href")), link.get("href")
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in element.findall(f"{A}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates))
    entries = feed.findall(f"{A}entry")
    assert feed.find(f"{A}author/{A}name") is not None or all(e.find(f"{A}author") is not None for e in entries)
    for entry in entries:
        if entry.find(f"{A}content") is None:
            assert any(link.get("rel", "alternate") == "alternate" for link in entry.findall(f"{A}link"))
    return feed


async def test_feed_parses_and_follows_rfc4287(ds, two_round_archive):
    response = await ds.client.get("/archive/changes_feed.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = check_rfc4287(response.content)
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.author == "healtharchive"
    assert parsed.feed.title == "Feed: new and changed articles (healtharchive)"
    conn = sqlite3.connect(two_round_archive)
    newest = conn.execute("select max(crawled_at) from versions").fetchone()[0]
    assert parsed.feed.updated == newest  # the newest entry's time, not "now"
    assert len(parsed.entries) == conn.execute("select min(count(*), 50) from versions").fetchone()[0]
    for entry in parsed.entries:
        assert entry.link.startswith("http://localhost/-/diff/archive/")
        assert entry.id.startswith("tag:healtharchive,2024:http")
        assert 'href="/' not in entry.content[0].value  # links inside the content are absolute too
    # Stable: the same feed again, or from another host, has the same ids and dates.
    again = await ds.client.get("/archive/changes_feed.atom", headers={"host": "archive.example.org"})
    other = feedparser.parse(again.content)
    assert [(e.id, e.updated) for e in other.entries] == [(e.id, e.updated) for e in parsed.entries]
    assert other.feed.id == parsed.feed.id and other.entries[0].link.startswith("http://archive.example.org/")
    assert feed.find(f"{A}link[@rel='self']").get("href") == "http://localhost/archive/changes_feed.atom"


async def test_feed_of_a_center_that_matches_nothing_says_so(ds, two_round_archive):
    response = await ds.client.get("/archive/changes_feed.atom", params={"center": "https://nowhere.example/"})
    check_rfc4287(response.content)
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    (entry,) = parsed.entries
    assert entry.title == "No article archived under https://nowhere.example/"
    assert "Check the center parameter" in entry.content[0].value
    last_crawl = sqlite3.connect(two_round_archive).execute("select max(finished_at) from crawls").fetchone()[0]
    assert parsed.feed.updated == entry.updated == last_crawl  # not now
    assert entry.id == "tag:healtharchive,2024:nothing:https://nowhere.example/"
    bad = await ds.client.get("/archive/changes_feed.atom", params={"center": "breast-cancer"})
    assert bad.status_code == 400 and "center=breast-cancer: 'breast-cancer' is not a URL" in bad.text
