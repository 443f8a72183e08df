"""The article and version pages, database-aware routes with two archives in one Datasette, and ids as links.

Datasette's own test client on the session's real two-round crawl of the sample center.
"""

import json
import re
import sqlite3

import pytest
from datasette.app import Datasette
from markupsafe import escape

from archive.text import blocks as text_blocks
from healtharchive.site import make_datasette

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(scope="module")
def facts(two_round_archive):
    conn = sqlite3.connect(f"file:{two_round_archive}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    multi = conn.execute("SELECT * FROM versions WHERE page_count > 2 AND version > 1 ORDER BY id LIMIT 1").fetchone()
    hostile = conn.execute("SELECT article_id FROM versions WHERE text LIKE '%onerror=alert(1)%' LIMIT 1").fetchone()
    incomplete = conn.execute("SELECT * FROM observations WHERE outcome = 'incomplete' LIMIT 1").fetchone()
    yield {"conn": conn, "multi": dict(multi), "hostile": hostile[0], "incomplete": incomplete}
    conn.close()


@pytest.fixture
def ds(two_round_archive):
    return make_datasette(two_round_archive)


async def page(ds, path, status=200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.text[:800])
    return response.text


async def test_version_page_reads_the_whole_text_page_by_page(ds, facts):
    v = facts["multi"]
    html = await page(ds, f"/-/article/archive/{v['article_id']}/v{v['version']}")
    starts, urls = json.loads(v["page_starts"]), json.loads(v["page_urls"])
    blocks = text_blocks(v["text"])
    for index, block in enumerate(blocks):
        assert f'<p id="p{index}">{escape(block)}</p>' in html
    for n, url in enumerate(urls, start=1):
        assert f'id="page-{n}">Page {n} · {url}</h3>' in html or starts.count(starts[n - 1]) > 1
    # Page 2's heading stands right before its first paragraph.
    assert html.index('id="page-2"') < html.index(f'<p id="p{starts[1]}">') < html.index('id="page-3"')
    assert "what changed in this version" in html and f"?from={v['version'] - 1}&amp;to={v['version']}" in html
    capture_ids = json.loads(v["capture_ids"])
    for capture_id in capture_ids:
        assert f'href="/archive/captures?id={capture_id}"' in html
    assert f'href="/archive/crawls/{v["crawl_id"]}"' in html
    # The version id redirects to the same page.
    response = await ds.client.get(f"/-/version/archive/{v['id']}")
    assert response.status_code == 302
    assert response.headers["location"] == f"/-/article/archive/{v['article_id']}/v{v['version']}"


async def test_version_page_of_an_older_archive_says_pages_are_unknown(ds, facts, two_round_archive, tmp_path):
    copy = tmp_path / "archive.db"
    copy.write_bytes(two_round_archive.read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE version_log SET page_starts = NULL")
    conn.commit()
    conn.close()
    old = make_datasette(copy)
    v = facts["multi"]
    html = await page(old, f"/-/article/archive/{v['article_id']}/v{v['version']}")
    assert "Which page each paragraph came from is unknown" in html and 'id="page-2"' not in html
    diff = await page(old, f"/-/diff/archive/{v['article_id']}")
    assert "page: unknown" in diff and 'class="ha-pg"' not in diff


async def test_diff_says_which_page_changed(ds, facts):
    v = facts["multi"]
    html = await page(ds, f"/-/diff/archive/{v['article_id']}?from={v['version'] - 1}&to={v['version']}")
    labels = re.findall(r'<span class="ha-pg" title="page (\d+) of the (?:old|new) version">', html)
    summary = re.search(r"on pages? ([\d, ]+) of (\d+)", html)
    assert labels and summary, html[:2000]
    assert {int(p) for p in summary.group(1).split(", ")} >= {int(p) for p in labels if p}
    assert int(summary.group(2)) == v["page_count"]


async def test_article_page(ds, facts):
    aid = facts["hostile"]
    html = await page(ds, f"/-/article/archive/{aid}")
    assert ESCAPED in html or "onerror" not in html  # titles escaped if they ever hold markup
    assert "<img" not in html
    assert f'href="/-/article/archive/{aid}/v1"' in html and '<svg class="ha-chart"' in html
    assert f'href="/archive/articles/{aid}"' in html
    inc = facts["incomplete"]
    html = await page(ds, f"/-/article/archive/{inc['article_id']}")
    assert "HTTP 503" in html and f'id="o{inc["id"]}"' in html


async def test_routes_name_their_database(facts, two_round_archive, tmp_path):
    """Two archives in one Datasette: each route reads the database it names; /-/diff/{id} reads `archive`."""
    other = tmp_path / "other.db"
    other.write_bytes(two_round_archive.read_bytes())
    conn = sqlite3.connect(other)
    conn.execute("UPDATE articles SET title = 'Only in the other archive' WHERE id = ?", [facts["multi"]["article_id"]])
    conn.commit()
    conn.close()
    both = Datasette(files=[str(two_round_archive), str(other)])
    aid = facts["multi"]["article_id"]
    assert "Only in the other archive" in await page(both, f"/-/article/other/{aid}")
    assert "Only in the other archive" not in await page(both, f"/-/article/archive/{aid}")
    assert f'href="/-/article/other/{aid}/v1"' in await page(both, f"/-/article/other/{aid}")
    other_diff = await page(both, f"/-/diff/other/{aid}")
    assert "Only in the other archive" in other_diff and f'href="/-/article/other/{aid}"' in other_diff
    assert "Only in the other archive" not in await page(both, f"/-/diff/{aid}")
    assert "no database &#39;nope&#39;" in await page(both, f"/-/diff/nope/{aid}", 404)
    assert "has no version 99" in await page(both, f"/-/article/other/{aid}/v99", 404)
    for bad in (f"/-/article/other/{aid}/vx", "/-/article/other/abc", "/-/version/other/abc", "/-/version/other/99999"):
        await page(both, bad, 404)
    # Links made by the SQL functions of a database point into that database.
    sql = "select ha_diff_url(1, 1, 2) as d, ha_article_url(1) as a, ha_version_url(1, 2) as v"
    rows = (await both.client.get("/other.json", params={"sql": sql, "_shape": "array"})).json()
    assert rows == [{"d": "/-/diff/other/1?from=1&to=2", "a": "/-/article/other/1", "v": "/-/article/other/1/v2"}]


ID_COLUMN = re.compile(r'<td class="col-(id|\w+_id|version|capture_ids|revisit_of) type-(int|str|pk)">(.*?)</td>', re.S)


@pytest.mark.parametrize("table", ["versions", "observations", "captures", "articles", "crawls", "schedule_runs"])
async def test_every_id_in_a_table_is_a_link(ds, table):
    html = await page(ds, f"/archive/{table}")
    cells = ID_COLUMN.findall(html)
    assert cells or table == "schedule_runs", table
    for column, _, content in cells:
        content = content.strip()
        assert not content or content == "&nbsp;" or "<a " in content, (table, column, content[:200])


async def test_articles_and_crawls_read_well(ds, facts):
    html = await page(ds, "/archive/articles")
    assert "col-version_count" in html and "col-last_changed" in html
    for facet in ("status", "host"):
        assert f'data-column="{facet}"' in html
    html = await page(ds, "/archive/observations")
    assert 'href="?_facet=outcome"' in html and "col-title" in html
    html = await page(ds, "/archive/observations?_facet=outcome")
    assert 'data-column="outcome"' in html and "facet-results" in html
    html = await page(ds, "/archive/crawls")
    assert '<ul class="ha-kv"><li><b>start_url</b>: <a href="http' in html
    html = await page(ds, f"/archive/articles/{facts['hostile']}")
    assert "version_log" not in html.split("Links from other tables")[-1]
    assert f'href="/-/article/archive/{facts["hostile"]}"' in html
    assert f'href="/archive/versions?article_id={facts["hostile"]}"' in html


async def test_a_published_copy_served_immutable(two_round_archive, tmp_path, facts):
    """`datasette serve -i copy --metadata healtharchive/metadata.yml`, as docs/datasette.md publishes a copy."""
    from archive.backup import backup
    from healtharchive.site import load_metadata

    folder = tmp_path / "public"
    folder.mkdir()
    copy = backup(two_round_archive, folder / "archive.db")["path"]
    public = Datasette(immutables=[str(copy)], metadata=load_metadata())
    v = facts["multi"]
    assert "Page 2" in await page(public, f"/-/article/archive/{v['article_id']}/v{v['version']}")
    assert "search_articles" in await page(public, "/")
    feed = await public.client.get("/archive/changes_feed.atom")
    assert feed.status_code == 200 and b"<author><name>healtharchive</name>" in feed.content
