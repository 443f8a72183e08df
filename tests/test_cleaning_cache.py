"""The cleaning cache (issue 17): a page whose body is the one the archive last cleaned for its URL is not cleaned
again. Real `scrapy crawl healthcenter` processes against the Heart Health center, every page sent in full (no 304),
so the recrawl gets byte-identical bodies."""

import re
import sqlite3

from samplesite import SampleSite
from tests.conftest import crawl_center, outcomes


def stat(result, name: str) -> int:
    found = re.search(rf"'healtharchive/{re.escape(name)}': (\d+)", result.stderr)
    return int(found[1]) if found else 0


def test_an_unchanged_recrawl_cleans_nothing_and_another_extractor_misses(tmp_path):
    db = tmp_path / "archive.db"
    with SampleSite(center="heart", conditional=False) as site:
        first = crawl_center(site, db)
        pages = stat(first, "cleaning_cache/misses")
        assert pages == 10 and stat(first, "cleaning_cache/hits") == 0
        assert stat(first, "pages_extracted") == pages

        again = crawl_center(site, db)
        assert stat(again, "cleaning_cache/hits") == pages and stat(again, "cleaning_cache/misses") == 0
        assert stat(again, "pages_extracted") == 0  # no page cleaned: no cleaning CPU spent
        assert set(outcomes(db).values()) == {("unchanged", 1)}

        conn = sqlite3.connect(db)
        with conn:  # as an older extractor would have left them
            conn.execute("UPDATE page_cache SET recipe = 'older-extractor/' || recipe")
        conn.close()
        bumped = crawl_center(site, db)
        assert stat(bumped, "cleaning_cache/misses") == pages and stat(bumped, "pages_extracted") == pages
        assert set(outcomes(db).values()) == {("unchanged", 1)}

        site.set_round(2)  # new chrome on every page: every body differs
        changed = crawl_center(site, db)
        assert stat(changed, "cleaning_cache/misses") == pages
        assert sorted(o for o, _ in outcomes(db).values()) == ["changed"] + ["unchanged"] * 5
