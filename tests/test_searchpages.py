"""Searches that show the passage that matched, ranked by relevance, with clean CSV and JSON; canned query
parameters checked with one clear line. Datasette's test client on the session's two-round archive."""

import csv
import io

import pytest

from healtharchive.plugins.exports import strip_markers
from healtharchive.site import make_datasette

MARKERS = ("\ue000", "\ue001", "\\ue000", "\\ue001")


@pytest.fixture
def ds(two_round_archive):
    return make_datasette(two_round_archive)


async def test_search_is_ranked_with_the_passage_that_matched(ds):
    rows = (await ds.client.get("/archive/search_articles.json?q=pathology+report&_shape=array")).json()
    assert rows and [r["relevance"] for r in rows] == sorted((r["relevance"] for r in rows), reverse=True)
    assert "pathology" in rows[0]["title"].lower()  # the article about it ranks first
    assert all("pathology" in r["best_match"].lower() or "report" in r["best_match"].lower() for r in rows)
    page = (await ds.client.get("/archive/search_articles?q=pathology+report")).text
    assert "<mark>pathology</mark>" in page.lower() or "<mark>Pathology</mark>" in page
    assert '<td class="col-best_version"><a ' in page
    table = (await ds.client.get("/archive/versions?_search=pathology")).text
    best = table.split('class="ha-best"')[1].split("</ol>")[0]
    assert "<mark>pathology</mark>" in best.lower() and 'href="/-/article/archive/' in best


@pytest.mark.parametrize(
    "path",
    [
        "/archive/search_articles.csv?q=pathology",
        "/archive/search_articles.json?q=pathology",
        "/archive/search_articles.json?q=pathology&_shape=array",
        "/archive/search_as_of.csv?q=pathology",
        "/archive/search_as_of.json?q=pathology&_shape=objects",
        "/archive/search_articles.csv?q=pathology&_stream=on",
    ],
)
async def test_csv_and_json_carry_no_highlight_markers(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text[:500]
    assert "pathology" in response.text.lower()
    assert not any(m in response.text for m in MARKERS), response.text[:500]
    if ".csv" in path:
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows and all(r["url"].startswith("http") for r in rows)


def test_marker_stripping_keeps_everything_else():
    assert strip_markers("a\ue000b\ue001c".encode()) == b"abc"
    assert strip_markers(rb'{"x": "a\ue000b\ue001"}') == rb'{"x": "ab"}'
    assert strip_markers(rb'{"x": "a\\ue000"}') == rb'{"x": "a\\ue000"}'  # an escaped backslash, not a marker


@pytest.mark.parametrize(
    "path, message",
    [
        ("/archive/changes_since?since=yesterday", "since=yesterday: &#39;yesterday&#39; is not a date"),
        ("/archive/changes_since.json?since=12/01/2026", "since=12/01/2026: '12/01/2026' is not a date"),
        ("/archive/changes_since.csv?since=2026-02-30", "is not a date: use YYYY-MM-DD"),
        ("/archive/search_as_of.json?q=x&date=last+week", "date=last week: 'last week' is not a date"),
        ("/archive/changes_feed.atom?center=www.example.org", "is not a URL"),
    ],
)
async def test_bad_parameters_get_one_clear_line(ds, path, message):
    response = await ds.client.get(path)
    assert response.status_code == 400
    assert message in response.text, response.text[:1500]
    if ".json" in path:
        assert response.json()["ok"] is False


async def test_good_parameters_pass(ds):
    for path in (
        "/archive/changes_since.json?since=2026-03-01",
        "/archive/changes_since.json?since=2026-03-01T08:00:00Z",
        "/archive/changes_since.json?since=",
        "/archive/search_as_of.json?q=x&date=2026-03-01",
        "/archive/changes_feed.atom?center=https://www.example.org/breast-cancer/",
    ):
        assert (await ds.client.get(path)).status_code == 200, path
