"""Review dates in Datasette: the ``reviewed_on`` facet of ``versions`` and the canned query "Changed without a new
review date", on a copy of the two-round sample-center archive (its pages say "Reviewed by ... on March 02, 2026").
"""

import shutil
import sqlite3

import pytest

from healtharchive.site import make_datasette


@pytest.fixture
def archive_copy(two_round_archive, tmp_path):
    path = tmp_path / "archive.db"
    shutil.copy(two_round_archive, path)
    return path


async def rows(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text[:500]
    return response.json()


async def test_crawled_review_dates_are_iso_and_faceted(two_round_archive):
    conn = sqlite3.connect(two_round_archive)
    dates = {r[0] for r in conn.execute("select reviewed_on from versions")}
    assert dates == {"2026-03-02"}, "the sample center's 'Reviewed by ... on March 02, 2026', as an ISO date"
    ds = make_datasette(two_round_archive)
    data = await rows(ds, "/archive/versions.json?_facet=reviewed_on")
    facet = data["facet_results"]
    facet = facet.get("results", facet)["reviewed_on"]["results"]
    assert [(f["value"], f["count"]) for f in facet] == [
        ("2026-03-02", conn.execute("select count(*) from versions").fetchone()[0])
    ]
    page = await ds.client.get("/archive/versions")
    assert "reviewed_on" in page.text and "2026-03-02" in page.text  # the facet shown on the table page


async def test_changed_without_a_new_review_date(archive_copy):
    conn = sqlite3.connect(archive_copy)
    changed = conn.execute("select id, article_id, version from version_log where version > 1 order by id").fetchall()
    assert len(changed) >= 2, "round 2 of the sample center changes articles"
    ds = make_datasette(archive_copy)
    found = await rows(ds, "/archive/changed_without_new_review_date.json?_shape=array")
    assert {(r["article_id"], r["to_version"]) for r in found} == {(a, v) for _, a, v in changed}
    assert all(r["reviewed_before"] == r["reviewed_now"] == "2026-03-02" for r in found)
    hit = found[0]
    assert hit["diff"].startswith("/-/diff/")
    assert hit["diff"].endswith(f"/{hit['article_id']}?from={hit['from_version']}&to={hit['to_version']}")

    # A page that moved its review date forward, or named one for the first time, made a reviewed change.
    (first_id, first_article, _), (second_id, second_article, _) = changed[:2]
    conn.execute("update version_log set reviewed_on = '2026-06-01' where id = ?", [first_id])
    conn.execute("update version_log set reviewed_on = null where article_id = ?", [second_article])
    conn.execute("update version_log set reviewed_on = '2026-07-01' where id = ?", [second_id])
    conn.commit()
    found = await rows(make_datasette(archive_copy), "/archive/changed_without_new_review_date.json?_shape=array")
    assert {r["article_id"] for r in found} == {a for _, a, _ in changed[2:]}
    # Dropping the date, or going back to an older one, is no new review.
    conn.execute("update version_log set reviewed_on = null where id = ?", [first_id])
    conn.execute("update version_log set reviewed_on = '2026-03-02' where article_id = ?", [second_article])
    conn.execute("update version_log set reviewed_on = '2025-01-01' where id = ?", [second_id])
    conn.commit()
    found = await rows(make_datasette(archive_copy), "/archive/changed_without_new_review_date.json?_shape=array")
    assert {first_article, second_article} <= {r["article_id"] for r in found}
    page = await make_datasette(archive_copy).client.get("/archive/changed_without_new_review_date")
    assert page.status_code == 200 and "Changed without a new review date" in page.text
