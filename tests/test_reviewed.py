"""``pipelines/reviewed.py``: the date a page says it was reviewed or last updated, as an ISO date.

Each site's own markup is checked on its saved pages in ``tests/test_site_pages.py``; here, the date forms and the
generic places any other site is searched for, on small pages built around real values (the NHS content API's
``lastReviewed`` pair, WebMD's and CDC's date formats).
"""

import json
from pathlib import Path

import pytest

from pipelines.clean import clean_pages
from pipelines.reviewed import ReviewRules, parse_date, reviewed_on

FILES = Path(__file__).with_name("files")


@pytest.mark.parametrize(
    ("text", "day_first", "iso"),
    [
        ("2024-03-27", False, "2024-03-27"),
        ("2022-08-20T05:00:00.000-05:00", False, "2022-08-20"),  # the date as written, not moved to UTC
        ("09/29/2025 19:00:00", False, "2025-09-29"),  # WebMD's JSON-LD
        ("03/12/2024", False, "2024-03-12"),
        ("03/12/2024", True, "2024-12-03"),
        ("30/08/2014", False, "2014-08-30"),  # cannot be month first
        ("10/9/2024", False, "2024-10-09"),
        ("March 1, 2024", False, "2024-03-01"),
        ("Aug. 6, 2020", False, "2020-08-06"),
        ("Sept. 5, 2020", False, "2020-09-05"),
        ("Aug 20, 2022", False, "2022-08-20"),
        ("2 April 2025", False, "2025-04-02"),
        ("04 June 2026", False, "2026-06-04"),
        (": on September 29, 2025.", False, "2025-09-29"),
        ("February 30, 2024", False, None),
        ("March 2024", False, None),  # no day: not a date
        ("", False, None),
        ("last week", False, None),
    ],
)
def test_date_forms(text, day_first, iso):
    assert parse_date(text, day_first) == iso


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


def jsonld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_nhs_content_api_review_pair():
    """lastReviewed = [last reviewed, next review due] (the NHS content API's acne page): the first is the date."""
    data = json.loads((FILES / "nhs/content-api/conditions-acne-no-params.json").read_text(encoding="utf-8"))
    assert data["lastReviewed"][0].startswith("2023-01-03")
    assert reviewed_on(page(jsonld(data))) == "2023-01-03"


def test_generic_places_in_order():
    modified = '<meta property="article:modified_time" content="2024-05-01T10:00:00Z">'
    published = '<meta property="article:published_time" content="2020-01-01">'
    review_line = "<p>Medically reviewed by Jane Doe, MD on <time>March 1, 2024</time></p>"
    assert reviewed_on(page(modified + published, review_line)) == "2024-03-01", "a review statement first"
    assert reviewed_on(page(jsonld({"@type": "MedicalWebPage", "lastReviewed": "2023-02-02"}), review_line)) == (
        "2023-02-02"
    )
    assert reviewed_on(page(modified + published)) == "2024-05-01"
    assert reviewed_on(page(published, "<p>Last updated: 7 June 2025</p>")) == "2025-06-07"
    assert reviewed_on(page(published)) == "2020-01-01", "only a publication date: the page's own last date"
    graph = {"@graph": [{"@type": "BreadcrumbList"}, {"@type": "WebPage", "dateModified": "2021-09-09"}]}
    assert reviewed_on(page(jsonld(graph))) == "2021-09-09"
    assert reviewed_on(page(body="<p>Reviewed by Dr Who</p><p>Feb. 23, 2015 -- News.</p>")) is None


def test_what_is_not_a_review_date():
    script = "<script>var s = 'Reviewed by X on May 5, 2020';</script>"
    assert reviewed_on(page(script, '<div class="nhsuk-review-date">text</div>')) is None
    assert reviewed_on(page(body="<p>Next review date: 01/01/2030</p>")) is None
    assert reviewed_on(page(body="<p>Next review due: 01/01/2030</p>")) is None
    assert reviewed_on(page('<meta name="reviewer" content="Jane Doe">')) is None
    assert reviewed_on(page(body="<!-- Page last reviewed: 1 May 2001 -->")) is None
    assert reviewed_on("") is None and reviewed_on(b"\xff\xfe not html") is None


def test_site_places_come_first_and_day_first_applies():
    html = page(
        '<meta property="cdc:last_updated" content="February 6, 2024">'
        '<meta property="cdc:last_reviewed" content="March 1, 2024">',
        "<p>Page last updated: 02/03/2024</p>",
    )
    assert reviewed_on(html) == "2024-03-01"  # a meta tag named for a review, before an update line
    assert reviewed_on(html, ReviewRules(("meta:cdc:last_updated",))) == "2024-02-06"
    assert reviewed_on(html, ReviewRules(("text:Page last updated",))) == "2024-02-03"
    assert reviewed_on(html, ReviewRules(("text:Page last updated",), day_first=True)) == "2024-03-02"
    assert reviewed_on(html, ReviewRules(("jsonld:lastReviewed",))) == "2024-03-01", "absent: the generic places"


def test_cleaning_records_the_first_pages_date_in_iso():
    first = page(body="<article><h1>A</h1><p>Medically reviewed by Jane Doe, MD on March 01, 2024</p>"
                 + "<p>" + "Enough words for an article paragraph here. " * 8 + "</p></article>")  # fmt: skip
    second = page('<meta property="article:modified_time" content="2026-01-01">', "<p>More text.</p>")
    cleaned = clean_pages([("https://example.org/a", first), ("https://example.org/a?page=2", second)])
    assert cleaned.meta["reviewed_on"] == "2024-03-01"
    assert "reviewed_on" not in clean_pages([("https://example.org/b", page(body="<p>No date.</p>"))]).meta
