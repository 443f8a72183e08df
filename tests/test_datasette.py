"""Datasette on a real two-round crawl of the sample center: search, canned queries, feed, diff page, safety.

Every request goes through Datasette's own test client (``ds.client``); the archive is the session's
``two_round_archive`` (round 1 and round 2 of the sample center, hostile article included).
"""

import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from healtharchive import diff as differ
from healtharchive.plugins.chart import chart_svg
from healtharchive.plugins.common import MARK_OPEN
from healtharchive.site import load_metadata, make_datasette

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC = ("crawls", "articles", "versions", "observations", "captures")
QUERIES = (
    "changes_since",
    "article_timeline",
    "articles_gone",
    "articles_never_changed",
    "crawls_outcomes",
    "search_articles",
    "search_as_of",
    "changes_feed",
)


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(two_round_archive):
    """Facts about the crawled archive, read with plain sqlite3 to check Datasette's answers against."""
    conn = sqlite3.connect(f"file:{two_round_archive}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    hostile = conn.execute(
        "select * from articles where id = (select article_id from versions "
        "where text like '%onerror=alert(1)%' group by article_id)"
    ).fetchone()
    assert hostile is not None, "the hostile article was not archived"
    texts = {
        r["version"]: r
        for r in conn.execute("select * from versions where article_id = ? order by version", [hostile["id"]])
    }
    assert len(texts) >= 2, "the hostile article did not change in round 2"
    last, before = max(texts), max(texts) - 1
    added = _only_in(texts[last]["text"], texts[before]["text"])
    removed = _only_in(texts[before]["text"], texts[last]["text"])
    facts = {
        "path": two_round_archive,
        "conn": conn,
        "hostile": dict(hostile),
        "versions": {n: dict(r) for n, r in texts.items()},
        "last": last,
        "before": before,
        "added_word": added,
        "removed_word": removed,
        "ops": differ.diff(texts[before]["text"], texts[last]["text"]),
    }
    yield facts
    conn.close()


def _only_in(a: str, b: str) -> str | None:
    """A plain word of text a that text b does not have (nor any word of b starts with it)."""
    words_b = set(re.findall(r"[a-z]+", b.lower()))
    for word in re.findall(r"[a-z]+", a.lower()):
        if len(word) >= 5 and not any(w.startswith(word[:5]) for w in words_b):
            return word
    return None


@pytest.fixture
def ds(two_round_archive):
    return make_datasette(two_round_archive)


async def get_json(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:1000])
    return response.json()


# --- the site, metadata, plugins --------------------------------------------------------------------


async def test_plugins_and_database_name(ds):
    plugins = await get_json(ds, "/-/plugins.json")
    assert {p["name"] for p in plugins} == {"healtharchive"}  # the Atom feed is ours (plugins/feed.py)
    ours = [set(p["hooks"]) for p in plugins if p["name"] == "healtharchive"]
    assert len(ours) == 11  # one small plugin per job (healtharchive/plugins/)
    assert set().union(*ours) == {
        "prepare_connection",
        "render_cell",
        "extra_template_vars",
        "register_routes",
        "register_output_renderer",
        "asgi_wrapper",
        "extra_css_urls",
        "startup",
    }
    databases = await get_json(ds, "/-/databases.json")
    assert [d["name"] for d in databases] == ["archive"]


async def test_index_explains_the_archive(ds):
    response = await ds.client.get("/")
    assert response.status_code == 200
    page = response.text
    assert "<h1>healtharchive</h1>" in page
    assert "versioned archive of health websites" in page
    assert "Data license:" in page and "Data source:" in page
    for query in QUERIES:
        assert f"/archive/{query}" in page, query
    css = await ds.client.get("/-/healtharchive/healtharchive.css")
    assert css.status_code == 200 and ".ha-diff ins" in css.text


def test_metadata_matches_the_schema_both_ways(two_round_archive):
    """Every table and column of the archive is documented, and every documented one exists."""
    tables = load_metadata()["databases"]["archive"]["tables"]
    conn = sqlite3.connect(two_round_archive)
    names = {
        r[0]
        for r in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') "
            "and name not like 'sqlite_%' and name not like 'versions_fts%'"
        )
    }
    assert set(PUBLIC) <= names
    assert names == set(tables), f"undocumented: {names - set(tables)}, documented but absent: {set(tables) - names}"
    for table in names:
        meta = tables[table]
        assert meta.get("description"), table
        columns = [r[1] for r in conn.execute(f"pragma table_info({table})")]
        documented = meta.get("columns", {})
        missing = [c for c in columns if not documented.get(c)]
        assert not missing, f"{table}: no description for {missing}"
        stale = [c for c in documented if c not in columns]
        assert not stale, f"{table}: documented columns that do not exist: {stale}"


async def test_every_table_page_shows_descriptions(ds):
    for table in PUBLIC:
        response = await ds.client.get(f"/archive/{table}")
        assert response.status_code == 200, table
        assert load_metadata()["databases"]["archive"]["tables"][table]["description"].split(".")[0][
            :40
        ] in response.text.replace("\n", " ").replace("&#39;", "'")


def test_settings_keep_a_time_limit(ds):
    assert ds.setting("sql_time_limit_ms") == 1000
    assert ds.setting("allow_download") is False
    assert make_datasette(ds.files[0], settings={"sql_time_limit_ms": 200}).setting("sql_time_limit_ms") == 200


def test_serve_binds_loopback_by_default():
    from healtharchive.cli import serve

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_database_named_after_its_file(tmp_path, two_round_archive):
    other = tmp_path / "centre.db"
    other.write_bytes(two_round_archive.read_bytes())
    ds = make_datasette(other)
    assert ds.metadata("description", database="centre")
    assert 'href="/centre/changes_since"' in ds.metadata("description_html")


# --- full-text search -------------------------------------------------------------------------------


async def test_search_versions_table(ds, archive):
    word = archive["added_word"]
    assert word, "no word was added to the hostile article in round 2"
    rows = await get_json(ds, f"/archive/versions.json?_search={word}&_shape=array&_col=article_id&_col=version")
    assert {"article_id": archive["hostile"]["id"], "version": archive["last"]} in rows
    assert {"article_id": archive["hostile"]["id"], "version": archive["before"]} not in rows
    page = (await ds.client.get(f"/archive/versions?_search={word}")).text
    assert "where search matches" in page


async def test_search_handles_any_input(ds):
    for q in ['"unbalanced', "AND OR NOT", "metformin*", "500 mg", HOSTILE]:
        response = await ds.client.get("/archive/search_articles.json", params={"q": q, "_shape": "array"})
        assert response.status_code == 200, (q, response.text[:300])


async def test_search_across_articles(ds, archive):
    word = archive["added_word"]
    rows = await get_json(ds, f"/archive/search_articles.json?q={word}&_shape=array")
    hit = next(r for r in rows if r["article_id"] == archive["hostile"]["id"])
    assert hit["matching_versions"] == str(archive["last"]) and hit["best_version"] == archive["last"]
    assert word in hit["best_match"].lower()
    assert MARK_OPEN not in hit["best_match"]  # markers are for HTML only
    # A word in every version of the article: all versions match, one row per article.
    common = "pathology"
    rows = await get_json(ds, f"/archive/search_articles.json?q={common}&_shape=array")
    hit = [r for r in rows if r["article_id"] == archive["hostile"]["id"]]
    assert len(hit) == 1 and hit[0]["matching_versions"] == ", ".join(map(str, sorted(archive["versions"])))
    page = (await ds.client.get(f"/archive/search_articles?q={word}")).text
    assert "<mark>" in page and MARK_OPEN not in page


async def test_search_as_of_a_date(ds, archive):
    v_before = archive["versions"][archive["before"]]
    added, removed = archive["added_word"], archive["removed_word"]
    then = v_before["crawled_at"]  # the text as it stood right after the earlier version was crawled
    aid = archive["hostile"]["id"]

    now_rows = await get_json(ds, f"/archive/search_as_of.json?q={added}&_shape=array")
    assert [r["version"] for r in now_rows if r["article_id"] == aid] == [archive["last"]]
    then_rows = await get_json(ds, f"/archive/search_as_of.json?q={added}&date={then}&_shape=array")
    assert aid not in [r["article_id"] for r in then_rows]
    if removed:
        then_rows = await get_json(ds, f"/archive/search_as_of.json?q={removed}&date={then}&_shape=array")
        assert [r["version"] for r in then_rows if r["article_id"] == aid] == [archive["before"]]
        now_rows = await get_json(ds, f"/archive/search_as_of.json?q={removed}&_shape=array")
        assert aid not in [r["article_id"] for r in now_rows]
    # A day before the archive began: nothing stood yet.
    rows = await get_json(ds, "/archive/search_as_of.json?q=pathology&date=2000-01-01&_shape=array")
    assert rows == []
    # Gone articles are left out after they went, found before.
    gone = (
        archive["conn"]
        .execute(
            "select a.id, v.text, v.crawled_at from articles a join versions v on v.article_id = a.id "
            "where a.status = 'gone' order by v.version desc"
        )
        .fetchone()
    )
    if gone:
        word = max(re.findall(r"[A-Za-z]{6,}", gone["text"]), key=len)
        found = await get_json(ds, f"/archive/search_as_of.json?q={word}&date={gone['crawled_at']}&_shape=array")
        assert gone["id"] in [r["article_id"] for r in found]
        found = await get_json(ds, f"/archive/search_as_of.json?q={word}&_shape=array")
        assert gone["id"] not in [r["article_id"] for r in found]


# --- canned queries ---------------------------------------------------------------------------------


async def test_every_canned_query_page_renders(ds):
    for query in QUERIES:
        response = await ds.client.get(f"/archive/{query}")
        assert response.status_code == 200, (query, response.text[:500])
        assert "<img src=x" not in response.text


async def test_changes_since(ds, archive):
    rows = await get_json(ds, "/archive/changes_since.json?_shape=array")
    conn = archive["conn"]
    versions = conn.execute("select count(*) from versions").fetchone()[0]
    gone = conn.execute("select count(*) from articles where status = 'gone'").fetchone()[0]
    assert len(rows) == versions + gone and gone > 0
    assert {r["outcome"] for r in rows} == {"new", "changed", "gone"}
    assert [r["at"] for r in rows] == sorted((r["at"] for r in rows), reverse=True)
    assert all(r["preview"] and "\n" not in r["preview"] and len(r["preview"]) <= 160 for r in rows)
    new = [r for r in rows if r["outcome"] == "new"]
    assert all(r["preview"].startswith("First version: ") and r["diff"].endswith("?to=1") for r in new)
    for r in rows:
        if r["outcome"] == "gone":
            assert r["diff"] == f"/-/article/archive/{r['article_id']}" and r["words_added"] is None
    expected = conn.execute("select count(*) from versions where version > 1").fetchone()[0]
    rows = [r for r in rows if r["outcome"] == "changed"]
    assert len(rows) == expected > 0
    hit = next(r for r in rows if r["article_id"] == archive["hostile"]["id"])
    assert hit["preview"].startswith(("Edited: ", "Added: ", "Removed: "))
    stats = differ.stats(archive["ops"])
    assert hit["to_version"] == archive["last"] and hit["from_version"] == archive["before"]
    assert (hit["words_added"], hit["words_removed"]) == (stats["words_added"], stats["words_removed"])
    assert hit["diff"] == f"/-/diff/archive/{hit['article_id']}?from={archive['before']}&to={archive['last']}"
    crawled = archive["versions"][archive["last"]]["crawled_at"]
    assert await get_json(ds, "/archive/changes_since.json?since=2999-01-01&_shape=array") == []
    same_day = await get_json(ds, f"/archive/changes_since.json?since={crawled[:10]}&_shape=array")
    assert len([r for r in same_day if r["outcome"] == "changed"]) == expected
    page = (await ds.client.get("/archive/changes_since")).text
    assert f'href="/-/diff/archive/{hit["article_id"]}?from={archive["before"]}&amp;to={archive["last"]}"' in page


async def test_article_timeline(ds, archive):
    aid = archive["hostile"]["id"]
    by_id = await get_json(ds, f"/archive/article_timeline.json?article={aid}&_shape=array")
    by_url = await get_json(
        ds,
        "/archive/article_timeline.json?_shape=array&article="
        + archive["hostile"]["url"].replace(":", "%3A").replace("/", "%2F"),
    )
    assert by_id == by_url
    observations = (
        archive["conn"]
        .execute("select outcome from observations where article_id = ? order by observed_at, id", [aid])
        .fetchall()
    )
    assert [r["outcome"] for r in by_id] == [r["outcome"] for r in observations]
    assert by_id[0]["outcome"] == "new" and by_id[0]["diff"] == f"/-/diff/archive/{aid}?to=1"
    changed = [r for r in by_id if r["outcome"] == "changed"]
    assert changed and changed[-1]["words_added"] == differ.stats(archive["ops"])["words_added"]
    page = (await ds.client.get(f"/archive/article_timeline?article={aid}")).text
    assert '<svg class="ha-chart"' in page
    assert 'class="ha-badge ha-o-changed"' in page
    assert "<img src=x" not in page


async def test_articles_gone(ds, archive):
    rows = await get_json(ds, "/archive/articles_gone.json?_shape=array")
    gone = {r[0] for r in archive["conn"].execute("select id from articles where status = 'gone'")}
    assert gone, "round 2 of the sample center removes an article"
    assert {r["article_id"] for r in rows} == gone
    assert all(r["gone_since"] for r in rows)
    assert all(r["timeline"].endswith(f"/article_timeline?article={r['article_id']}") for r in rows)


async def test_articles_never_changed(ds, archive):
    rows = await get_json(ds, "/archive/articles_never_changed.json?_shape=array")
    conn = archive["conn"]
    expected = {
        r[0]
        for r in conn.execute(
            "select a.id from articles a where a.status = 'live' "
            "and (select count(*) from versions v where v.article_id = a.id) = 1 "
            "and exists (select 1 from observations o where o.article_id = a.id and o.outcome = 'unchanged')"
        )
    }
    assert expected, "round 2 of the sample center leaves some articles unchanged"
    assert {r["article_id"] for r in rows} == expected
    assert archive["hostile"]["id"] not in expected
    assert all(r["times_unchanged"] >= 1 for r in rows)


async def test_crawls_outcomes(ds, archive):
    rows = await get_json(ds, "/archive/crawls_outcomes.json?_shape=array")
    conn = archive["conn"]
    assert [r["crawl_id"] for r in rows] == [r[0] for r in conn.execute("select id from crawls order by id desc")]
    for row in rows:
        for outcome in ("new", "changed", "unchanged", "incomplete", "gone", "blocked"):
            count = conn.execute(
                "select count(*) from observations where crawl_id = ? and outcome = ?", [row["crawl_id"], outcome]
            ).fetchone()[0]
            assert row[outcome] == count, (row["crawl_id"], outcome)
    first, second = rows[-1], rows[-2]
    assert first["new"] > 0 and first["changed"] == 0
    assert second["changed"] > 0 and second["gone"] > 0


# --- the feed ---------------------------------------------------------------------------------------


async def test_change_feed(ds, archive):
    response = await ds.client.get("/archive/changes_feed.atom")
    assert response.status_code == 200, response.text[:1000]
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.findtext(f"{ATOM}title") == "Feed: new and changed articles (healtharchive)"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == min(100, archive["conn"].execute("select count(*) from versions").fetchone()[0])
    url = archive["hostile"]["url"]
    entry = next(e for e in entries if e.findtext(f"{ATOM}id").endswith(f"{url}#v{archive['last']}"))
    assert entry.findtext(f"{ATOM}title").startswith("Changed: ")
    link = entry.find(f"{ATOM}link").get("href")
    assert (
        link
        == f"http://localhost/-/diff/archive/{archive['hostile']['id']}?from={archive['before']}&to={archive['last']}"
    )
    first = next(e for e in entries if e.findtext(f"{ATOM}id").endswith(f"{url}#v1"))
    assert first.findtext(f"{ATOM}title").startswith("New: ")
    content = first.findtext(f"{ATOM}content")  # the HTML, once XML-decoded
    assert ESCAPED in content and "<img" not in content
    assert "<img" not in response.text and "&lt;img" not in response.text  # double-escaped in the XML
    changed = entry.findtext(f"{ATOM}content")
    assert "<strong>" in changed and "words" in changed


async def test_change_feed_of_one_center(ds, archive):
    url = archive["hostile"]["url"]
    center = url.rsplit("/", 1)[0] + "/"
    entries = ET.fromstring(
        (await ds.client.get("/archive/changes_feed.atom", params={"center": url})).content
    ).findall(f"{ATOM}entry")
    assert len(entries) == len(archive["versions"])
    entries = ET.fromstring(
        (await ds.client.get("/archive/changes_feed.atom", params={"center": center})).content
    ).findall(f"{ATOM}entry")
    assert len(entries) > len(archive["versions"])
    entries = ET.fromstring(
        (await ds.client.get("/archive/changes_feed.atom", params={"center": "https://nowhere.example/"})).content
    ).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["No article archived under https://nowhere.example/"]


# --- the diff page ----------------------------------------------------------------------------------


async def test_diff_page_escapes_and_highlights(ds, archive):
    aid = archive["hostile"]["id"]
    response = await ds.client.get(f"/-/diff/{aid}")
    assert response.status_code == 200
    page = response.text
    assert ESCAPED in page
    assert "<img src=x" not in page and "<img" not in page
    assert 'class="ha-diff ha-sbs"' in page
    assert re.search(r"<ins>[^<]+</ins>", page) and re.search(r"<del>[^<]+</del>", page)
    assert f"v{archive['before']} → v{archive['last']}" in page
    stats = differ.stats(archive["ops"])
    assert f"+{stats['words_added']} word" in page and f"−{stats['words_removed']} word" in page
    assert 'class="ha-legend"' in page
    inline = (await ds.client.get(f"/-/diff/{aid}?from={archive['before']}&to={archive['last']}&view=inline")).text
    assert 'class="ha-diff ha-inline"' in inline and ESCAPED in inline and "<img" not in inline


async def test_diff_page_navigation(ds, archive):
    aid, before, last = archive["hostile"]["id"], archive["before"], archive["last"]
    page = (await ds.client.get(f"/-/diff/{aid}?from={before}&to={last}")).text
    assert 'class="ha-prev"' in page and "no later change" in page
    first = (await ds.client.get(f"/-/diff/{aid}?to=1")).text
    assert "first archived version" in first and ESCAPED in first
    assert f'href="/-/diff/archive/{aid}?from=1&amp;to=2"' in first  # next change
    same = (await ds.client.get(f"/-/diff/{aid}?from={last}&to={last}")).text
    assert "No change in the text" in same


async def test_diff_page_errors(ds, archive):
    aid = archive["hostile"]["id"]
    assert (await ds.client.get("/-/diff/999999")).status_code == 404
    assert (await ds.client.get("/-/diff/abc")).status_code == 404
    assert (await ds.client.get(f"/-/diff/{aid}?from=1&to=99")).status_code == 404
    bad = await ds.client.get(f"/-/diff/{aid}?from=%3Cscript%3E")
    assert bad.status_code == 404 and "&lt;script&gt;" in bad.text and "'<script>'" not in bad.text


async def test_version_rows_link_to_their_diff(ds, archive):
    aid = archive["hostile"]["id"]
    page = (await ds.client.get(f"/archive/versions?article_id={aid}")).text
    assert f'href="/-/diff/archive/{aid}?from={archive["before"]}&amp;to={archive["last"]}"' in page
    assert f'href="/-/diff/archive/{aid}?to=1"' in page
    assert "<img" not in page


async def test_table_cells_escape_archived_text(two_round_archive, archive):
    ds = make_datasette(two_round_archive, settings={"truncate_cells_html": 0})  # whole texts in the cells
    for path in [f"/archive/versions?article_id={archive['hostile']['id']}", "/archive/texts"]:
        page = (await ds.client.get(path)).text
        assert ESCAPED in page and "<img" not in page, path


async def test_article_page_has_its_chart(ds, archive):
    aid = archive["hostile"]["id"]
    page = (await ds.client.get(f"/archive/articles/{aid}")).text
    assert '<svg class="ha-chart"' in page and f"/-/diff/archive/{aid}" in page


def test_chart_escapes_its_labels():
    history = {
        "versions": [
            {"version": 1, "words": 10, "crawl_id": 1, "crawled_at": "<b>x</b>"},
            {"version": 2, "words": 12, "crawl_id": 2, "crawled_at": "2026"},
        ],
        "observations": [
            {"crawl_id": "<script>", "observed_at": "<script>alert(1)</script>", "outcome": "new", "version": 1},
            {"crawl_id": 2, "observed_at": "2026-01-02T00:00:00Z", "outcome": "changed", "version": 2},
        ],
        "deltas": {2: (3, 1)},
    }
    svg = chart_svg(history, lambda a, b: f'/-/diff/1?from={a}&to={b}"><script>')
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert svg.startswith("<svg") and svg.endswith("</svg>")


# --- read-only and safe -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "delete from articles",
        "update articles set status = 'gone'",
        "insert into crawls (spider) values ('x')",
        "drop table articles",
        "create table x (y)",
        "attach database ':memory:' as x",
        "pragma user_version = 99",
        "select 1; delete from articles",
    ],
)
async def test_write_sql_is_refused(ds, archive, sql):
    response = await ds.client.get("/archive.json", params={"sql": sql})
    assert response.status_code >= 400
    assert response.json()["ok"] is False
    conn = sqlite3.connect(archive["path"])
    assert (
        conn.execute("select count(*) from articles where status = 'gone'").fetchone()[0]
        < conn.execute("select count(*) from articles").fetchone()[0]
    )
    assert conn.execute("pragma user_version").fetchone()[0] != 99


async def test_writes_refused_even_by_sqlite(ds):
    """Below Datasette's own check: the archive's connections deny every write, even via execute_write."""
    db = ds.get_database("archive")
    with pytest.raises(Exception, match="not authorized"):
        await db.execute_write("delete from articles")
    assert (await db.execute("select count(*) from articles")).first()[0] > 0


async def test_sql_time_limit_stays(ds):
    slow = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000000) select count(*) from c"
    response = await ds.client.get("/archive.json", params={"sql": slow})
    assert response.status_code == 400
    assert "time limit" in response.text.lower() or "interrupted" in response.text.lower()


async def test_archived_text_is_never_raw_html(ds, archive):
    aid = archive["hostile"]["id"]
    for path in [
        f"/archive/versions?article_id={aid}",
        "/archive/versions?_search=onerror",
        "/archive/texts",
        "/archive/search_articles?q=onerror",
        "/archive/search_as_of?q=onerror",
        f"/archive/article_timeline?article={aid}",
        f"/-/diff/{aid}",
        f"/-/diff/{aid}?view=inline",
        f"/-/diff/{aid}?to=1",
    ]:
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        assert "<img" not in response.text, path


async def test_new_crawls_show_up_without_restart(ds, archive, tmp_path):
    """The archive is opened in normal (not immutable) mode: a later write is seen by the next request."""
    copy = tmp_path / "archive.db"
    copy.write_bytes(archive["path"].read_bytes())
    live = make_datasette(copy)
    before = await get_json(live, "/archive/crawls.json?_shape=array")
    conn = sqlite3.connect(copy)
    conn.execute("insert into crawls (spider, started_at) values ('healthcenter', '2099-01-01T00:00:00Z')")
    conn.commit()
    conn.close()
    after = await get_json(live, "/archive/crawls.json?_shape=array")
    assert len(after) == len(before) + 1


async def test_plugin_works_under_plain_datasette(two_round_archive, archive):
    """`datasette archive.db` loads the plugin by its entry point: diff page, chart, CSS, read-only guard."""
    from datasette.app import Datasette

    plain = Datasette(files=[str(two_round_archive)])
    aid = archive["hostile"]["id"]
    page = await plain.client.get(f"/-/diff/{aid}")
    assert page.status_code == 200 and ESCAPED in page.text and "<img" not in page.text
    assert '<svg class="ha-chart"' in (await plain.client.get(f"/archive/articles/{aid}")).text
    with pytest.raises(Exception, match="not authorized"):
        await plain.get_database("archive").execute_write("delete from articles")


async def test_custom_sql_cannot_inject_markup_through_the_plugin(ds):
    """Cells the plugin renders (links, snippets, feed HTML) stay safe whatever a custom query returns."""
    sql = (
        "select '<img src=x onerror=alert(1)>' as atom_content_html, "
        "'//evil.example/-/diff/1' as diff, 'javascript:alert(1)//-/diff/1' as d2, "
        "char(57344) || '<img src=x>' || char(57345) as snippet, '<b>x</b>' as outcome"
    )
    page = (await ds.client.get("/archive", params={"sql": sql})).text
    assert "<img" not in page and "<b>x</b>" not in page
    assert 'href="//evil' not in page and 'href="javascript' not in page
    assert "<mark>&lt;img src=x&gt;</mark>" in page


async def test_feed_query_page_shows_the_change_summaries(ds):
    page = (await ds.client.get("/archive/changes_feed")).text
    assert "<strong>+" in page and "&lt;strong&gt;" not in page
    assert "<img" not in page
