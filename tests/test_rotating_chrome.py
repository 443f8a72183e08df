"""Chrome that rotates on every crawl, inside the article body, on a center whose chrome wording and class names are
its own (``samplesite/heart.py``): three rounds of real `scrapy crawl healthcenter` processes. No chrome block
(box titles and headings included) reaches a version, no version is made by chrome or by the page's "last updated"
line, the repeated medical sentence stays, and an article reverted to its first text gets its version 1 hash back.
"""

import pytest

from samplesite import SampleSite
from samplesite.heart import CALL
from tests.conftest import crawl_center, rows


@pytest.fixture(scope="module")
def heart(tmp_path_factory):
    db = tmp_path_factory.mktemp("heart") / "archive.db"
    rounds = []
    with SampleSite(center="heart") as site:
        for round_ in (1, 2, 3):
            site.set_round(round_)
            result = crawl_center(site, db)
            rounds.append({"clutter": site.clutter(), "articles": site.articles(), "stderr": result.stderr})
        yield {"db": db, "rounds": rounds, "scenario": site.scenario}


def test_no_chrome_block_in_any_version(heart):
    texts = rows(heart["db"], "SELECT a.url, v.version, v.text FROM versions v JOIN articles a ON a.id = v.article_id")
    assert len({url for url, _, _ in texts}) == 6
    for round_ in heart["rounds"]:
        for url, version, text in texts:
            leaked = [c for c in round_["clutter"] if c in text]
            assert not leaked, (url, version, leaked)
    for url, _, text in texts:
        assert CALL in text, url  # repeated in every article, and content


def test_only_the_edit_and_its_revert_make_versions(heart):
    edited = heart["scenario"]["edited"]
    outcomes = rows(
        heart["db"],
        "SELECT o.crawl_id, a.url, o.outcome, v.version FROM observations o JOIN articles a ON a.id = o.article_id "
        "LEFT JOIN versions v ON v.id = o.version_id ORDER BY o.crawl_id, a.url",
    )
    for crawl, url, outcome, version in outcomes:
        if crawl == 1:
            assert (outcome, version) == ("new", 1), url
        elif url.endswith(edited):
            assert (outcome, version) == ("changed", crawl), url
        else:
            assert (outcome, version) == ("unchanged", 1), (crawl, url)
    hashes = rows(
        heart["db"],
        "SELECT v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id "
        "WHERE a.url LIKE ? ORDER BY v.version",
        f"%{edited}",
    )
    assert [v for v, _ in hashes] == [1, 2, 3]
    assert hashes[2][1] == hashes[0][1] != hashes[1][1]


def test_the_chrome_is_remembered_per_host(heart):
    slots = rows(heart["db"], "SELECT host, slot FROM chrome_slots")
    assert slots and all(host.startswith("127.0.0.1") for host, _ in slots)
