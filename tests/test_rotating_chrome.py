"""Chrome that rotates on every crawl, inside the article body, on a center whose chrome wording and class names are
its own (``samplesite/heart.py``): three rounds of real `scrapy crawl healthcenter` processes. No chrome block
(box titles and headings included) reaches a version, no version is made by chrome or by the page's "last updated"
line, the repeated medical sentence stays, and an article reverted to its first text gets its version 1 hash back.
The generated center: the same pages sent again, and its chrome rotated, make no version, and the section headings
its articles share stay.
"""

import pytest

from samplesite import SampleSite, generated
from samplesite.heart import CALL
from tests.conftest import crawl_center, outcomes, rows

GENERATED = 45  # articles of the generated center: more than CHROME_LEARN_ARTICLES (20)


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


@pytest.fixture(scope="module")
def generated_center(tmp_path_factory):
    """The generated center (more articles than CHROME_LEARN_ARTICLES): round 1, the same pages sent again in full,
    then round 2 (every ad, teaser and time rotates; no article text changes)."""
    db = tmp_path_factory.mktemp("generated") / "archive.db"
    with SampleSite(generated=GENERATED) as site:
        crawl_center(site, db)
        crawl_center(site, db, CONDITIONAL_REQUESTS="False")
        site.set_round(2)
        crawl_center(site, db)
        yield {"db": db, "articles": site.articles(), "origin": site.url}


def test_a_recrawl_of_the_same_or_rechromed_pages_makes_no_version(generated_center):
    for crawl in (2, 3):
        found = outcomes(generated_center["db"], crawl)
        assert len(found) == GENERATED
        assert {path: o for path, o in found.items() if o != ("unchanged", 1)} == {}, crawl


def test_section_headings_repeated_across_articles_stay(generated_center):
    """The generated articles share eight section headings ("Treatment Choices" ...): content, never chrome."""
    texts = dict(
        rows(
            generated_center["db"],
            "SELECT a.url, t.text FROM articles a JOIN version_log v ON v.id = a.current_version_id "
            "JOIN texts t ON t.id = v.text_id",
        )
    )
    assert set(texts) == {a["url"] for a in generated_center["articles"]}
    headings = 0
    for i in range(GENERATED):
        art = generated.article(i, 3)
        url = f"{generated_center['origin']}/breast-cancer/{art.slug}"
        headings += sum(b.kind == "h2" for page in art.pages for b in page)
        # every heading and paragraph the site says the article has (a paragraph on two of its pages is dropped by
        # the merge as the article's own repeated chrome; list items are the extractor's to keep)
        blocks = [b for page in art.pages for b in page if b.kind in ("h2", "p")]
        once = [b.text for b in blocks if b.kind == "h2" or [c.text for c in blocks].count(b.text) == 1]
        missing = [text for text in once if text not in texts[url]]
        assert not missing, (url, missing)
    assert headings == 3 * GENERATED
