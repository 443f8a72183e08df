"""Per-site spiders and profiles: where articles are found and how an article continues, on real material.

What the archived text of each saved page holds is in ``tests/test_site_pages.py``; this file checks the crawl side
with the same pages (``tests/files/<site>/``, ``../shared/fixtures/health-dev/``; sources in ``tests/files/SOURCES.md``)
and with real URL lists and feeds: MedlinePlus's and CDC's sitemap URLs (December 2024), MedlinePlus's topic XML, the
NHS website content API's sample responses, robots.txt files (2019). For each site: the profile loads, the spider
starts from the site's real URLs with the right scope, discovery takes the articles and nothing else, the next page
or the parts are the right URLs in order. Real ``scrapy crawl`` processes run against 127.0.0.1: a Mayo Clinic
disease entered at a later tab, an NHS crawl with sitemap discovery, the NHS content API, MedlinePlus's topic XML.
"""

import gzip
import json
import re
import sqlite3
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree
from protego import Protego
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import sitemap_urls_from_robots
from scrapy.utils.test import get_crawler

from archive.urls import UrlSet, canonical_url, page_number, path_page
from crawler import articles as article_spider
from crawler import profiles
from crawler.articles import NEXT_LINKS, Assembly, next_hrefs
from crawler.feeds import api_links, latest_topics_file, topic_urls
from crawler.profiles import UnknownProfile, load_profile, profile_names
from crawler.sitemaps import SiteSpider
from crawler.spiders.cdc import CDCSpider
from crawler.spiders.clevelandclinic import ClevelandClinicSpider
from crawler.spiders.mayoclinic import MayoClinicSpider
from crawler.spiders.medlineplus import MedlinePlusSpider
from crawler.spiders.nhs import NHSSpider
from crawler.spiders.webmd import WebMDSpider

from .conftest import FIXTURES, run_crawl

FILES = Path(__file__).with_name("files")
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"health fixtures not found at {FIXTURES}")

MAYO = "https://www.mayoclinic.org/diseases-conditions/diabetes"
MAYO_TABS = {
    f"{MAYO}/symptoms-causes/syc-20371444": "mayoclinic/dlrl-diabetes-symptoms-causes-syc-20371444.html",
    f"{MAYO}/diagnosis-treatment/drc-20371451": "mayoclinic/handmade-diabetes-diagnosis-treatment-drc-20371451.html",
    f"{MAYO}/doctors-departments/ddc-20371453": "mayoclinic/handmade-diabetes-doctors-departments-ddc-20371453.html",
    f"{MAYO}/care-at-mayo-clinic/mac-20371457": "mayoclinic/handmade-diabetes-care-at-mayo-clinic-mac-20371457.html",
}
SHINGLES = "https://www.mayoclinic.org/diseases-conditions/shingles"
NHS = "https://www.nhs.uk/conditions"
NHS_PAGES = {
    f"{NHS}/": "nhs/handmade-conditions.html",
    f"{NHS}/sciatica/": "nhs/handmade-sciatica.html",
    f"{NHS}/sciatica/symptoms/": "nhs/handmade-sciatica-symptoms.html",
    f"{NHS}/sciatica/treatment/": "nhs/handmade-sciatica-treatment.html",
    f"{NHS}/hay-fever/": "nhs/handmade-hay-fever.html",
}
API = "https://api.service.nhs.uk/nhs-website-content"


def own(path: str) -> str:
    return (FILES / path).read_text(encoding="utf-8", errors="replace")


def response(url: str, html: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8")


def spider(cls, tmp_path=None, settings=None, **kwargs):
    db = (tmp_path or Path("/nonexistent")) / "none.db"
    crawler = get_crawler(cls, {"ARTICLE_MAX_PAGES": 30, "ARCHIVE_DB": str(db), **(settings or {})})
    return cls.from_crawler(crawler, **kwargs)


def follow(sp, url: str, html_for) -> list[str]:
    """The URLs of an article's pages, in order, as the spider's next_page/parts rules find them."""
    asm = Assembly(first_url=url, key=url)
    asm.requested_urls.add(url)
    urls, number = [url], 1
    while True:
        nxt = sp.next_page(response(urls[-1], html_for(urls[-1])), asm, number)
        if not nxt or nxt in asm.requested_urls or number > 10:
            return urls
        asm.requested_urls.add(nxt)
        urls.append(nxt)
        number += 1


def found(sp, url: str, html: str, hub: bool = False) -> list[str]:
    """The articles discovery takes from a page, in order: they wait in the spider's frontier, none is requested yet."""
    before = len(sp.frontier)
    assert list(sp.discover(response(url, html), hub=hub)) == []
    return list(sp.frontier.waiting)[before:]


def articles(sp, urls) -> list[str]:
    return [u for u in urls if sp.sitemap_article(u)]


# --- every site: profile, spider, start URLs, scope ---------------------------------------------

SITES = {
    WebMDSpider: ("webmd", "https://www.webmd.com/a-to-z-guides/health-topics?pg=a"),
    MayoClinicSpider: ("mayoclinic", "https://www.mayoclinic.org/diseases-conditions/index?letter=A"),
    MedlinePlusSpider: ("medlineplus", "https://medlineplus.gov/healthtopics_a.html"),
    NHSSpider: ("nhs", "https://www.nhs.uk/conditions/"),
    ClevelandClinicSpider: ("clevelandclinic", "https://my.clevelandclinic.org/health/diseases"),
    CDCSpider: ("cdc", "https://www.cdc.gov/health-topics.html"),
}


@pytest.mark.parametrize("cls", list(SITES), ids=[c.name for c in SITES])
def test_site_spider_starts_from_the_real_site(cls):
    profile_name, first_hub = SITES[cls]
    profile = load_profile(profile_name)
    sp = spider(cls)
    assert isinstance(sp, SiteSpider)
    assert sp.name == profile_name and sp.profile.name == profile_name
    assert profile.description and profile.start_urls
    assert sp.hub_urls == list(profile.start_urls) and sp.hub_urls[0] == first_hub
    assert all(u.startswith("https://") for u in sp.hub_urls)
    assert all(sp.in_scope(u) for u in sp.hub_urls), "every hub is inside the site's scope"
    assert not sp.in_scope("https://www.example.com/conditions/")
    assert sp.discovery == profile.discovery and "hubs" in sp.discovery
    assert sp.sitemap_urls == (profile.sitemap_urls if "sitemaps" in profile.discovery else ())


@pytest.mark.parametrize("name", profile_names())
def test_profile_rules_compile(name):
    """Every profile's XPaths and regexes are valid (a typo would only show up mid-crawl)."""
    profile = load_profile(name)
    for xpath in (profile.article_links, profile.next_page, profile.parts, *profile.prune):
        if xpath:
            etree.XPath(xpath)
    for pattern in (*profile.article_allow, *profile.article_deny, *profile.sitemap_follow):
        re.compile(pattern)
    assert all(u.startswith(("http://", "https://")) for u in profile.start_urls + profile.sitemap_urls)


def test_profile_mistakes_are_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    (tmp_path / "a.toml").write_text('discovery = ["hubs", "rss"]\n')
    (tmp_path / "b.toml").write_text('review_date = ["css:.date"]\n')
    with pytest.raises(UnknownProfile, match="unknown discovery source 'rss'"):
        load_profile("a")
    with pytest.raises(UnknownProfile, match="must start with one of meta:, jsonld:, text:"):
        load_profile("b")


def test_site_spider_on_a_mirror_keeps_the_profile_paths():
    sp = spider(NHSSpider, start_url="http://127.0.0.1:8999/conditions/", sitemaps="no")
    assert sp.hub_urls == ["http://127.0.0.1:8999/conditions/"]
    assert sp.in_scope("http://127.0.0.1:8999/conditions/hay-fever/")
    assert not sp.in_scope("http://127.0.0.1:8999/medicines/ibuprofen/")
    assert sp.sitemap_urls == () and "sitemaps" not in sp.discovery


def test_discovery_is_chosen_per_crawl():
    sp = spider(MedlinePlusSpider, discovery="sitemaps, topics")
    assert sp.discovery == ("sitemaps", "topics") and sp.sitemap_urls == ("https://medlineplus.gov/sitemap.xml",)
    with pytest.raises(ValueError, match="unknown discovery source 'feeds'"):
        spider(NHSSpider, discovery="hubs,feeds")


# --- WebMD: both templates -----------------------------------------------------------------------------------

WEBMD_1 = FIXTURES / "rdb-webmd-1-peanut-allergy-page1of5.html"
WEBMD_1_URL = "https://www.webmd.com/allergies/news/20150220/child-peanut-allergy-findings"
WEBMD_2_URL = "https://www.webmd.com/a-to-z-guides/news/20150417/superbugs-what-they-are"
GREEN_TEA = "https://www.webmd.com/diet/health-benefits-green-tea"


def next_of(sp, url: str, html: str) -> str | None:
    return sp.next_page(response(url, html), Assembly(first_url=url, key=url, requested_urls={url}), 1)


@needs_fixtures
def test_webmd_classic_article_continues_on_page_2():
    sp = spider(WebMDSpider)
    assert next_of(sp, WEBMD_1_URL, WEBMD_1.read_text(encoding="utf-8")) == WEBMD_1_URL + "?page=2"
    html = own("webmd/readability-webmd-2-superbugs-news-2015.html")
    assert next_of(sp, WEBMD_2_URL, html) == WEBMD_2_URL + "?page=2"
    assert sp.sitemap_article(WEBMD_1_URL) and sp.sitemap_article(WEBMD_2_URL)


def test_webmd_current_article_is_one_page_and_links_to_articles():
    sp = spider(WebMDSpider)
    html = own("webmd/dlrl-diet-health-benefits-green-tea-2025.html")
    assert next_of(sp, GREEN_TEA, html) is None  # every section of the article is in this one file
    assert sp.article_key(response(GREEN_TEA, html)) == GREEN_TEA
    links = found(sp, GREEN_TEA, html)
    assert "https://www.webmd.com/diet/what-to-know-about-carbs" in links
    assert "https://www.webmd.com/diabetes/news/20080128/caffeine-risks-may-rattle-diabetics" in links
    assert "https://www.webmd.com/women/endometriosis/endometriosis-causes-symptoms-treatment" in links
    unwanted = ("/default.htm", "/bio/", "/ss/", "/quiz/", "/video/", "/about-webmd-policies/", "health-topics")
    assert not [u for u in links if any(w in u for w in unwanted)], "hubs, bios, slideshows, policies are not articles"


def test_webmd_hubs_and_no_sitemap():
    profile = load_profile("webmd")
    letters = [u for u in profile.start_urls if "/a-to-z-guides/health-topics?pg=" in u]
    assert [u[-1] for u in letters] == list("abcdefghijklmnopqrstuvwxyz")
    robots = (FILES / "webmd/robots-2019-protego-www.webmd.com.txt").read_bytes()
    assert list(sitemap_urls_from_robots(robots)) == [] and profile.discovery == ("hubs",)
    sp = spider(WebMDSpider)
    assert not sp.sitemap_article("https://www.webmd.com/a-to-z-guides/health-topics?pg=b")
    assert not sp.sitemap_article("https://www.webmd.com/kelli-miller"), "an author's page"


# --- Mayo Clinic: four tabs, entered at any of them -----------------------------------------------------------


def mayo_page(url: str) -> str:
    return own(MAYO_TABS[url.split("?")[0]])


def test_mayoclinic_parts_are_the_tab_bar_in_order():
    sp = spider(MayoClinicSpider)
    first = f"{MAYO}/symptoms-causes/syc-20371444"
    assert follow(sp, first, mayo_page) == list(MAYO_TABS)  # the real tab bar links all four tabs
    html = own("mayoclinic/kunalpaliwal13-shingles-symptoms-causes-syc-20353054.html")
    url = f"{SHINGLES}/symptoms-causes/syc-20353054"
    assert sp.part_urls(response(url, html)) == [url, f"{SHINGLES}/diagnosis-treatment/drc-20353060"]
    assert sp.first_part(response(url, html)) is None and sp.article_key(response(url, html)) == url


def test_mayoclinic_later_tab_hands_over_to_the_first():
    sp = spider(MayoClinicSpider)
    for url in list(MAYO_TABS)[1:]:
        assert sp.first_part(response(url, mayo_page(url))) == f"{MAYO}/symptoms-causes/syc-20371444"
    first = f"{MAYO}/symptoms-causes/syc-20371444"
    assert sp.first_part(response(first, mayo_page(first))) is None


def test_mayoclinic_discovery_takes_first_tabs_and_drc_entries():
    sp = spider(MayoClinicSpider)
    hub = "https://www.mayoclinic.org/diseases-conditions/index?letter=D"
    assert found(sp, hub, own("mayoclinic/handmade-index-letter-d.html"), hub=True) == [
        f"{MAYO}/symptoms-causes/syc-20371444",
        f"{MAYO}/diagnosis-treatment/drc-20371451",  # handed over to syc- when fetched
        "https://www.mayoclinic.org/diseases-conditions/gestational-diabetes/symptoms-causes/syc-20355339",
        "https://www.mayoclinic.org/diseases-conditions/type-2-diabetes/symptoms-causes/syc-20351193",
    ]
    url = f"{MAYO}/symptoms-causes/syc-20371444"
    links = found(spider(MayoClinicSpider), url, mayo_page(url))
    assert "https://www.mayoclinic.org/diseases-conditions/prediabetes/symptoms-causes/syc-20355278" in links
    assert not [u for u in links if "p=1" in u or "/doctors-departments/" in u], "print views and later tabs"


def test_remembered_link_verdicts_are_the_ones_computed(monkeypatch):
    """Discovery remembers each link's verdicts (the extractor's filter; in scope and not a hub): a link remembered,
    forgotten (the memory full) or new gets the verdict Scrapy's extractor and the scope test give it."""
    monkeypatch.setattr(article_spider, "LINKS_REMEMBERED", 3)
    sp = spider(MayoClinicSpider)
    hub = "https://www.mayoclinic.org/diseases-conditions/index?letter=D"
    url = f"{MAYO}/symptoms-causes/syc-20371444"
    for page, on_hub in (
        (response(hub, own("mayoclinic/handmade-index-letter-d.html")), True),
        (response(url, mayo_page(url)), False),
    ):
        ours = sp.link_extractors[on_hub]
        plain = LinkExtractor(allow=ours.allow_res, deny=ours.deny_res, restrict_xpaths=ours.restrict_xpaths)
        expected = [link.url for link in plain.extract_links(page)]
        assert len(expected) > 3
        for _ in range(3):
            assert [link.url for link in ours.extract_links(page)] == expected
            verdicts = [sp.in_scope(u) and canonical_url(u) not in sp.hubs for u in expected]
            assert [sp.article_link(u) for u in expected] == verdicts
            assert any(verdicts) and not all(verdicts)


def test_next_links_found_in_one_pass_are_the_xpaths():
    """``next_hrefs`` finds what the ``NEXT_LINKS`` XPath finds, in the same order: on the real pages of the tests and
    on a hand-made page of the cases the XPath decides (case, XML-only whitespace, comments, signs, rel tokens)."""
    made = (
        '<html><head><link rel="prev next" href="/h1"><link rel="nextpage" href="/no1"></head><body>'
        '<a href="/a1"> NEXT <b>page</b></a><a href="/no2">\u00a0next</a><a href="/a2">Con<!-- x -->tinue\t</a>'
        '<a href="/no3">NÉXT</a><a href="/a3"> \u203a </a><a href="/a4">&gt;</a><a href="/no4">&gt;&gt;</a>'
        '<a rel=" next\n" href="/a5">2</a><a rel="NEXT" href="/no5">3</a><a>next</a><a href="">Next</a>'
        '<a href="/a6">\u00bb</a><a href="/no6">Previous</a><a href="/a7"><span> </span>\n<b>Next</b></a>'
        '<a href="/no7"><i>x</i>next</a><a href="/a8"> \n<!-- y -->cONTINUE reading</a></body></html>'
    )
    pages = [made] + [path.read_text(encoding="utf-8", errors="replace") for path in sorted(FILES.rglob("*.html"))]
    pages += [path.read_text(encoding="utf-8", errors="replace") for path in sorted(FIXTURES.glob("*.html"))]
    found = 0
    for html in pages:
        page = response("https://example.org/a", html)
        expected = page.xpath(NEXT_LINKS).getall()
        assert next_hrefs(page.selector.root) == expected
        found += bool(expected)
    assert next_hrefs(response("https://example.org/a", made).selector.root) == [
        "/h1",
        "/a1",
        "/a2",
        "/a3",
        "/a4",
        "/a5",
        "",
        "/a6",
        "/a7",
        "/a8",
    ]
    assert found >= 3


def names_page(url: str, first: str, number: int) -> bool:
    """``url`` is page ``number`` of the article whose first page is ``first`` (by a page parameter or a marker)."""
    if canonical_url(url) == canonical_url(first):
        return page_number(url) == number
    return path_page(url, first) == number


def test_numbered_pager_links_are_all_considered():
    """The numbered-pager fallback of ``next_page`` skips the hrefs that cannot name the page it wants
    (``may_name_page``): none it skips names it, wherever the href sits, on the tests' real pages and on hrefs that take
    their path or query from the page they are on; the pager's link is followed however it is written."""
    bases = [
        ("https://example.org/guide", "https://example.org/guide?page=2"),
        ("https://example.org/guide", "https://example.org/guide/3/x"),
        ("https://example.org/guide?x=1", "https://example.org/guide/3"),
        ("https://example.org/a/b", "https://example.org/a/b/page/2/"),
    ]
    tricky = [
        "",
        "#top",
        "?x=1",
        "?page=3",
        "?PAGE=03",
        ".",
        "./",
        "..",
        "../3",
        "3",
        "3/",
        "page/3",
        "x/..",
        "x/../",
        "%33",
        "guide?page=%E0%A5%A9",
        "guide?page=\uff13",
        "/guide/%33",
        "?page=%33",
        "\u0663",
        "http:",
        "//example.org/guide/3",
        " ?page=3 ",
        "\t",
        "./.?x=1",
    ]
    hrefs = set(tricky)
    for path in sorted(FILES.rglob("*.html"))[:40]:
        hrefs.update(
            response("https://example.org/a", path.read_text(encoding="utf-8", errors="replace"))
            .xpath("//a/@href")
            .getall()
        )
    named = 0
    for first, base in bases:
        for href in hrefs:
            url = response(base, "<html></html>").urljoin(href)
            for number in (2, 3, 4, 12):
                if names_page(url, first, number):
                    named += 1
                    assert article_spider.may_name_page(href, str(number)), (first, base, href, number)
    assert named >= 10
    first = "https://example.org/guide/basics"
    for href, page_2 in [
        ("?page=2", first + "?page=2"),
        ("basics/2", first + "/2"),
        ("/guide/basics/page/2", first + "/page/2"),
        ("basics?utm_source=x&page=%32", first + "?utm_source=x&page=%32"),
    ]:
        html = f'<html><body><p>One</p><a href="/guide/other">Other</a><a href="{href}">2</a><a href="?page=3">3</a></body></html>'
        asm = Assembly(first_url=first, key=first, requested_urls={first})
        assert article_spider.next_page(response(first, html), load_profile("generic"), asm, 1) == page_2


def test_mayoclinic_sitemaps_from_robots_follow_the_conditions_only():
    sp = spider(MayoClinicSpider)
    robots = (FILES / "mayoclinic/robots-2019-protego-www.mayoclinic.org.txt").read_bytes()
    requests = list(sp.parse_sitemap(TextResponse("https://www.mayoclinic.org/robots.txt", body=robots)))
    assert [r.url for r in requests] == ["https://www.mayoclinic.org/condition_consolidated_concepts.xml"]


# --- MedlinePlus: topics from the A-Z, the sitemap and the topic XML --------------------------------------------

TOPICS_XML = FILES / "medlineplus/gsa-mplus_topics_2012-07-21.xml"
NOT_TOPICS = {
    "accessibility", "appendixa", "appendixb", "ashpdisclaimer", "disclaimers", "druginformation", "encyclopedia",
    "magazine", "mymplusnewsletter", "plugins", "rss", "testmicrosite", "xml", "xmldescription",
    "digestivesystem", "symptoms",  # group pages, as the topic XML names them
}  # fmt: skip


def test_medlineplus_topics_among_the_sitemaps_root_pages():
    """The root pages MedlinePlus's sitemap listed in December 2024: topics are taken, lists and tools are not."""
    urls = (FILES / "medlineplus/eot2024-sitemap-root-pages.txt").read_text().split()
    sp = spider(MedlinePlusSpider)
    taken = {u.rsplit("/", 1)[1].removesuffix(".html") for u in articles(sp, urls)}
    names = {u.rsplit("/", 1)[1].removesuffix(".html") for u in urls}
    lists = {n for n in names if "_" in n}  # healthtopics_a ... healthtopics_xyz, all_healthtopics, all_easytoread
    assert len(urls) == 1112 and len(lists) == 26
    assert taken == names - lists - NOT_TOPICS
    assert {"a1c", "abdominalpain", "covid19coronavirusdisease2019", "myalgicencephalomyelitischronicfatiguesyndrome"}
    assert len(taken) == 1070


def test_medlineplus_a_to_z_discovery():
    sp = spider(MedlinePlusSpider)
    hub = "https://medlineplus.gov/healthtopics_a.html"
    assert found(sp, hub, own("medlineplus/handmade-healthtopics_a.html"), hub=True) == [
        "https://medlineplus.gov/a1c.html",
        "https://medlineplus.gov/abdominalpain.html",
        "https://medlineplus.gov/abortion.html",
        "https://medlineplus.gov/acne.html",
    ]


def test_medlineplus_topic_xml():
    urls = topic_urls(TOPICS_XML.read_bytes())
    assert urls == [
        "https://www.nlm.nih.gov/medlineplus/abdominalpain.html",
        "https://www.nlm.nih.gov/medlineplus/spanish/abdominalpain.html",
    ]
    assert (
        latest_topics_file(
            [
                "https://medlineplus.gov/xml/mplus_topics_2024-10-05.xml",
                "https://medlineplus.gov/xml/mplus_topics_compressed_2024-10-12.zip",
                "https://medlineplus.gov/xml/mplus_topics_2024-10-12.xml",
                "https://medlineplus.gov/xml/mplus_topic_groups_2024-10-12.xml",
            ]
        )
        == "https://medlineplus.gov/xml/mplus_topics_2024-10-12.xml"
    )


def test_medlineplus_topic_xml_file(tmp_path):
    """``-a topics_file``: a downloaded copy of the XML (in 2012 the topics lived under www.nlm.nih.gov/medlineplus/;
    the copy here names medlineplus.gov, as today's files do)."""
    copy = tmp_path / "mplus_topics.xml"
    copy.write_bytes(
        TOPICS_XML.read_bytes().replace(b"https://www.nlm.nih.gov/medlineplus/", b"https://medlineplus.gov/")
    )
    sp = spider(MedlinePlusSpider, tmp_path, topics_file=str(copy))
    assert [r.url for r in sp.topics_requests()] == ["https://medlineplus.gov/abdominalpain.html"]  # not /spanish/
    with pytest.raises(ValueError, match="cannot read topics_file"):
        list(spider(MedlinePlusSpider, tmp_path, topics_file=str(tmp_path / "missing.xml")).topics_requests())


def test_medlineplus_robots_disallow_the_topic_xml():
    robots = Protego.parse((FILES / "medlineplus/robots-2019-protego-medlineplus.gov.txt").read_text())
    assert not robots.can_fetch("https://medlineplus.gov/xml/mplus_topics_2024-10-12.xml", "healtharchive")
    assert robots.can_fetch("https://medlineplus.gov/xml.html", "healtharchive")
    assert robots.can_fetch("https://medlineplus.gov/abdominalpain.html", "healtharchive")


# --- NHS: scope, guides, the content API ------------------------------------------------------------------------


def test_nhs_discovery_takes_first_pages_of_conditions_and_mental_health_conditions():
    sp = spider(NHSSpider)
    assert found(sp, f"{NHS}/", own("nhs/handmade-conditions.html"), hub=True) == [
        f"{NHS}/acne/",
        "https://www.nhs.uk/mental-health/conditions/agoraphobia/",
        "https://www.nhs.uk/mental-health/conditions/anorexia/overview/",
        f"{NHS}/sciatica/",
    ]
    assert not sp.sitemap_article(f"{NHS}/acne/causes/") and not sp.sitemap_article(f"{NHS}/")
    assert not sp.sitemap_article("https://www.nhs.uk/mental-health/conditions/bipolar-disorder/symptoms/")
    assert not sp.sitemap_article("https://www.nhs.uk/medicines/ibuprofen/")
    assert not sp.sitemap_article("http://www.nhs.uk/conditions/zika-virus/Pages/Introduction.aspx"), "NHS Choices"


def test_nhs_parts_are_the_guide_pages_in_order():
    sp = spider(NHSSpider)
    pages = [u for u in NHS_PAGES if "/sciatica/" in u]
    assert follow(sp, pages[0], lambda u: own(NHS_PAGES[u])) == pages
    single = f"{NHS}/hay-fever/"
    assert follow(sp, single, lambda u: own(NHS_PAGES[u])) == [single]


@cache
def api_json(name: str) -> dict:
    return json.loads((FILES / "nhs/content-api" / name).read_text(encoding="utf-8"))


def test_nhs_content_api_listings():
    links, following = api_links(api_json("conditions-root-page-1.json"))
    assert len(links) == 25 and links[0] == f"{API}/conditions/acanthosis-nigricans/"
    assert following == f"{API}/conditions/?page=2"
    assert api_links(api_json("conditions-root-page-29.json"))[1] is None  # the last page
    links, _ = api_links(api_json("spec-example-SymptomsAToZ.json"))
    assert f"{API}/conditions/chest-pain/" in links  # symptoms are condition pages (2025)
    links, _ = api_links(api_json("mental-health-conditions-no-params.json"))
    assert f"{API}/mental-health/conditions/depression/" in links


def test_nhs_content_api_answers_become_article_requests():
    sp = spider(NHSSpider, settings={"NHS_API_KEY": "k"})
    root = f"{API}/"
    assert [r.url for r in sp.api_requests()] == [
        f"{API}/conditions/",
        f"{API}/symptoms/",
        f"{API}/tests-and-treatments/",
        f"{API}/mental-health/conditions/",
    ]
    body = (FILES / "nhs/content-api/conditions-root-category-a.json").read_bytes()
    requests = list(sp.parse_api(TextResponse(f"{API}/conditions/?category=a", body=body), root, "k"))
    urls = [r.url for r in requests]
    assert len(urls) == 62 and f"{NHS}/acne/" in urls  # of the letter's 64 entries
    assert "https://www.nhs.uk/mental-health/conditions/agoraphobia/" in urls
    assert not [u for u in urls if "/children-and-young-adults/" in u], "outside the health A to Z"
    assert f"{NHS}/foot-pain/ankle-pain/" not in urls, "an entry naming a page of the foot pain guide: one of its parts"
    assert all(r.callback == sp.parse_page for r in requests)
    assert list(spider(NHSSpider).api_requests()) == [], "no key, no API"


# --- Cleveland Clinic (real Health Essentials page, hand-made Health Library page) ---------------------------

CLEVELAND = FIXTURES / "wcxb-0027-health-clevelandclinic-org.html"
CLEVELAND_URL = "https://health.clevelandclinic.org/how-to-meditate-and-top-benefits"


@needs_fixtures
def test_clevelandclinic_article_is_one_page_and_an_article():
    html = CLEVELAND.read_text(encoding="utf-8")
    sp = spider(ClevelandClinicSpider)
    assert next_of(sp, CLEVELAND_URL, html) is None
    assert sp.in_scope(CLEVELAND_URL) and sp.article_key(response(CLEVELAND_URL, html)) == CLEVELAND_URL
    links = found(sp, CLEVELAND_URL, html)
    assert links and all(
        u.startswith(("https://health.clevelandclinic.org/", "https://my.clevelandclinic.org/health/")) for u in links
    )
    assert "https://my.clevelandclinic.org/health/articles/17906-meditation" in links  # the Health Library
    assert "https://health.clevelandclinic.org/chakras" in links
    assert not [u for u in links if u.rstrip("/").endswith(("/contact-us", "/living-healthy", "/advertising"))]
    assert not [u for u in links if "/wellness" in u]


def test_clevelandclinic_health_library_page_is_an_article():
    url = "https://my.clevelandclinic.org/health/articles/17906-meditation"
    sp = spider(ClevelandClinicSpider)
    html = own("clevelandclinic/handmade-health-library-17906-meditation.html")
    assert sp.sitemap_article(url) and next_of(sp, url, html) is None


# --- CDC: the sitemap's URLs ------------------------------------------------------------------------------------


def test_cdc_articles_among_the_sitemaps_urls():
    """A sample of the 46,044 URLs CDC's sitemaps listed in December 2024."""
    urls = (FILES / "cdc/eot2024-sitemap-urls-sample.txt").read_text().split()
    sp = spider(CDCSpider)
    taken = articles(sp, urls)
    assert len(urls) > 2500 and len(taken) > 1500
    assert not [u for u in taken if "/es/" in u or "/spanish/" in u], "Spanish pages, also under /<topic>/es/"
    assert not [u for u in taken if u.endswith("/site.html") or "/mmwr/" in u or "/php/" in u]
    assert [u for u in taken if u.endswith(".htm")], "legacy .htm pages are still listed and taken"
    assert (
        "https://www.cdc.gov/adhd/es/articles/que-es-el-trastorno-por-deficit-de-atencion-e-hiperactividad-tdah.html"
        in urls
    )
    assert sp.sitemap_article("https://www.cdc.gov/asthma/acbs.htm")
    assert sp.sitemap_article("https://www.cdc.gov/nutrition/features/healthy-eating-tips.html")
    assert not sp.sitemap_article("https://www.cdc.gov/nutrition/media/pdfs/tips.pdf")


def test_cdc_reads_its_sitemap_index():
    sp = spider(CDCSpider)
    assert sp.sitemap_urls == ("https://www.cdc.gov/wcms-auto-sitemap-index.xml",)
    body = index(
        ["https://www.cdc.gov/nutrition/wcms-auto-sitemap.xml", "https://www.cdc.gov/adhd/wcms-auto-sitemap.xml"]
    )
    requests = list(sp.parse_sitemap(XmlResponse(sp.sitemap_urls[0], body=body.encode())))
    assert [r.callback for r in requests] == [sp.parse_sitemap] * 2


@needs_fixtures
def test_cdc_page_is_one_page():
    url = "https://www.cdc.gov/nutrition/features/healthy-eating-tips.html"
    html = (FIXTURES / "wcxb-0074-cdc-gov.html").read_text(encoding="utf-8")
    assert next_of(spider(CDCSpider), url, html) is None


# --- sitemaps ------------------------------------------------------------------------------------------------

URLSET = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{}
</urlset>"""
INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{}
</sitemapindex>"""


def urlset(urls):
    return URLSET.format("\n".join(f"<url><loc>{u}</loc><lastmod>2026-01-01</lastmod></url>" for u in urls))


def index(urls):
    return INDEX.format("\n".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls))


def test_sitemap_entries_become_article_requests(tmp_path):
    sp = spider(NHSSpider, tmp_path)
    body = urlset(
        [
            f"{NHS}/sciatica/",
            f"{NHS}/sciatica/symptoms/",
            f"{NHS}/hay-fever/",
            f"{NHS}/hay-fever/",
            f"{NHS}/",
            "https://www.nhs.uk/medicines/ibuprofen/",
            "https://www.example.com/conditions/x/",
        ]
    )
    requests = list(sp.parse_sitemap(XmlResponse("https://www.nhs.uk/sitemap-1.xml", body=body.encode())))
    assert [r.url for r in requests] == [f"{NHS}/sciatica/", f"{NHS}/hay-fever/"]
    assert all(r.callback == sp.parse_page for r in requests)  # followed through all pages like any article
    # Gzipped sitemaps, sitemap indexes and robots.txt are read as Scrapy's SitemapSpider reads them.
    gz = gzip.compress(urlset([f"{NHS}/chickenpox/"]).encode())
    requests = list(sp.parse_sitemap(TextResponse("https://www.nhs.uk/sitemap-2.xml.gz", body=gz)))
    assert [r.url for r in requests] == [f"{NHS}/chickenpox/"]
    requests = list(
        sp.parse_sitemap(
            XmlResponse("https://www.nhs.uk/sitemap.xml", body=index(["https://www.nhs.uk/sitemap-3.xml"]).encode())
        )
    )
    assert [(r.url, r.callback) for r in requests] == [("https://www.nhs.uk/sitemap-3.xml", sp.parse_sitemap)]
    robots = b"User-agent: *\nDisallow: /search/\nSitemap: https://www.nhs.uk/sitemap.xml\n"
    requests = list(sp.parse_sitemap(TextResponse("https://www.nhs.uk/robots.txt", body=robots)))
    assert [r.url for r in requests] == ["https://www.nhs.uk/sitemap.xml"]
    assert list(sp.parse_sitemap(HtmlResponse("https://www.nhs.uk/sitemap.html", body=b"<html>no</html>"))) == []
    assert list(sp.parse_sitemap(XmlResponse("https://www.nhs.uk/gone.xml", status=404, body=body.encode()))) == []


def test_sitemap_limit_and_off_switch(tmp_path):
    sp = spider(NHSSpider, tmp_path, sitemap_limit="1")
    list(sp.sitemap_requests())
    body = urlset([f"{NHS}/a-one/", f"{NHS}/a-two/"])
    assert len(list(sp.parse_sitemap(XmlResponse("https://www.nhs.uk/s.xml", body=body.encode())))) == 1
    assert list(spider(NHSSpider, tmp_path, sitemaps="no").sitemap_requests()) == []


# --- real crawls on 127.0.0.1 --------------------------------------------------------------------


class Site:
    """Serves {path (with query): (content type, bytes)} on 127.0.0.1; 404 for anything else. Records each request's
    path and its ``apikey`` header."""

    def __init__(self):
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, self.headers.get("apikey")))
                found = site.routes.get(self.path)
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", found[0] if found else "text/plain")
                body = found[1] if found else b"not found"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, real_url: str, path: str):
        """Serve the saved page ``path`` at the path of ``real_url``."""
        self.routes[urlsplit(real_url).path] = ("text/html; charset=utf-8", (FILES / path).read_bytes())

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_site():
    site = Site()
    yield site
    site.close()


def archive(db: Path):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


def test_crawl_mayoclinic_entered_at_a_later_tab(tmp_path, local_site):
    """A URL list naming the diagnosis-treatment tab: the article is the disease, from its first tab, four tabs."""
    for url, path in MAYO_TABS.items():
        local_site.page(url, path)
    base = local_site.url + "/diseases-conditions/diabetes"
    urls_file = tmp_path / "urls.txt"
    urls_file.write_text(f"{base}/diagnosis-treatment/drc-20371451\n")
    db = tmp_path / "archive.db"
    result = run_crawl("pages", db, f"urls_file={urls_file}", "profile=mayoclinic")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "healtharchive/skipped/later_part" in result.stderr
    conn = archive(db)
    assert [a["url"] for a in conn.execute("SELECT * FROM articles")] == [f"{base}/symptoms-causes/syc-20371444"]
    version = conn.execute("SELECT * FROM versions").fetchone()
    assert version["page_count"] == 4 and version["reviewed_on"] == "2024-03-27"
    captures = conn.execute("SELECT url, page_number FROM captures WHERE article_id IS NOT NULL ORDER BY id").fetchall()
    assert [(c["url"].split("/diabetes/")[1], c["page_number"]) for c in captures] == [
        ("symptoms-causes/syc-20371444", 1),
        ("diagnosis-treatment/drc-20371451", 2),
        ("doctors-departments/ddc-20371453", 3),
        ("care-at-mayo-clinic/mac-20371457", 4),
    ]
    text = version["text"]
    marks = [text.index(s) for s in ("blood sugar (glucose)", "A second test", "Doctors who treat", "Why choose")]
    assert marks == sorted(marks)
    assert "Request an appointment" not in text and "From Mayo Clinic to your inbox" not in text


def test_crawl_nhs_with_sitemap_discovery(tmp_path, local_site):
    for url, path in NHS_PAGES.items():
        local_site.page(url, path)
    base = local_site.url
    local_site.routes["/sitemap.xml"] = (
        "application/xml",
        index([f"{base}/sitemap-conditions.xml", f"{base}/sitemap-more.xml.gz"]).encode(),
    )
    local_site.routes["/sitemap-conditions.xml"] = (
        "application/xml",
        urlset(
            [
                f"{base}/conditions/sciatica/",
                f"{base}/conditions/sciatica/symptoms/",
                f"{base}/conditions/sciatica/treatment/",
                f"{base}/medicines/ibuprofen/",
            ]
        ).encode(),
    )
    local_site.routes["/sitemap-more.xml.gz"] = (
        "application/octet-stream",
        gzip.compress(urlset([f"{base}/conditions/hay-fever/", f"{base}/conditions/"]).encode()),
    )
    db = tmp_path / "archive.db"
    result = run_crawl("nhs", db, f"start_url={base}/conditions/", f"sitemap_url={base}/sitemap.xml")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "healtharchive/sitemap_articles" in result.stderr
    conn = archive(db)
    rows = conn.execute(
        "SELECT a.url, v.page_count, v.text, v.reviewed_on FROM articles a JOIN versions v ON v.article_id = a.id"
        " ORDER BY a.url"
    ).fetchall()
    assert [(r["url"], r["page_count"], r["reviewed_on"]) for r in rows] == [
        (f"{base}/conditions/hay-fever/", 1, "2026-05-11"),  # only in the (gzipped) sitemap
        (f"{base}/conditions/sciatica/", 3, "2026-06-04"),  # hub and sitemap: one article, its guide merged
    ]
    sciatica = rows[1]["text"]
    assert sciatica.index("slipped disc") < sciatica.index("Main symptoms") < sciatica.index("Treatment from a GP")
    assert "Page last reviewed" not in sciatica


def test_crawl_nhs_from_the_content_api(tmp_path, local_site):
    """The API's saved answers, served with their addresses turned to 127.0.0.1: the A-Z is walked page by page with
    the key, and the pages it names are crawled (each served the hand-made hay fever page)."""
    base = local_site.url

    def serve_api(path: str, name: str):
        body = (FILES / "nhs/content-api" / name).read_text(encoding="utf-8")
        body = body.replace("https://api.service.nhs.uk", base).replace("https://www.nhs.uk", base)
        local_site.routes[f"/nhs-website-content/{path}"] = ("application/json", body.encode())

    serve_api("conditions/", "conditions-root-no-params.json")
    serve_api("conditions/?page=2", "conditions-root-page-2.json")  # its Next Page (3) is not saved: 404
    serve_api("mental-health/conditions/", "mental-health-conditions-no-params.json")
    listed = set()
    for name in ("conditions-root-no-params.json", "conditions-root-page-2.json"):
        listed |= {u.split("nhs-website-content")[1] for u in api_links(api_json(name))[0]}
    for path in listed | {"/mental-health/conditions/depression/", "/mental-health/conditions/anxiety/"}:
        local_site.page(base + path, "nhs/handmade-hay-fever.html")
    db = tmp_path / "archive.db"
    result = run_crawl(
        "nhs",
        db,
        "discovery=content_api",
        f"api_url={base}/nhs-website-content/",
        f"start_url={base}/conditions/",
        settings={"NHS_API_KEY": "test-key"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    api_calls = [(p, k) for p, k in local_site.requests if p.startswith("/nhs-website-content/")]
    assert {p for p, _ in api_calls} >= {"/nhs-website-content/conditions/", "/nhs-website-content/conditions/?page=2"}
    assert "/nhs-website-content/conditions/?page=3" in {p for p, _ in api_calls}
    assert all(k == "test-key" for _, k in api_calls), "every API request carries the key"
    page_requests = {p for p, _ in local_site.requests if not p.startswith("/nhs-website-content/")}
    assert "/conditions/" not in page_requests, "discovery=content_api: the hubs are not read"
    urls = {r["url"].removeprefix(base) for r in archive(db).execute("SELECT url FROM articles")}
    assert urls >= listed and len(listed) == 49  # 25 a page, "boils" on both
    assert "/mental-health/conditions/depression/" in urls
    assert "/conditions/acanthosis-nigricans/" in urls


def test_crawl_medlineplus_topic_xml(tmp_path, local_site):
    """The topic XML as MedlinePlus publishes it, with its real robots.txt (2019): /xml/ is disallowed, so the file is
    refused with a hint; a downloaded copy (-a topics_file) is read instead."""
    base = local_site.url
    xml = TOPICS_XML.read_bytes().replace(b"https://www.nlm.nih.gov/medlineplus/", f"{base}/".encode())
    local_site.routes["/robots.txt"] = (
        "text/plain",
        (FILES / "medlineplus/robots-2019-protego-medlineplus.gov.txt").read_bytes(),
    )
    local_site.routes["/xml.html"] = (
        "text/html",
        b'<html><body><a href="xml/mplus_topics_2012-07-21.xml">Health topics</a></body></html>',
    )
    local_site.routes["/xml/mplus_topics_2012-07-21.xml"] = ("application/xml", xml)
    local_site.page(f"{base}/abdominalpain.html", "medlineplus/handmade-abdominalpain.html")
    db = tmp_path / "archive.db"
    common = ("discovery=topics", f"start_url={base}/healthtopics_a.html")
    result = run_crawl("medlineplus", db, *common, f"topics_url={base}/xml.html", settings={"ROBOTSTXT_OBEY": "True"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "robots.txt disallows /xml/" in result.stderr and "healtharchive/feed_failed" in result.stderr
    assert archive(db).execute("SELECT count(*) FROM articles").fetchone()[0] == 0

    copy = tmp_path / "mplus_topics.xml"
    copy.write_bytes(xml)
    result = run_crawl("medlineplus", db, *common, f"topics_file={copy}", settings={"ROBOTSTXT_OBEY": "True"})
    assert result.returncode == 0, result.stderr[-3000:]
    rows = archive(db).execute("SELECT a.url, v.reviewed_on FROM articles a JOIN versions v ON v.article_id = a.id")
    assert [(r["url"], r["reviewed_on"]) for r in rows] == [(f"{base}/abdominalpain.html", "2024-10-09")]


def test_urlset_holds_what_was_added_across_merges():
    """``UrlSet`` (what the archive's look-ups are filtered by) finds every URL added, through its merges into the
    sorted array and a merge with another set, and nothing that was never added (at these sizes)."""
    urls = [f"https://example.org/health/article-{i}?page={i % 3}" for i in range(3 * UrlSet.MERGE + 17)]
    known = UrlSet(urls[:500])
    met = UrlSet()
    for url in urls[250:]:  # overlaps what the set started with; crosses MERGE three times
        met.add(url)
    met.add(urls[300])  # a URL added twice is kept once
    known.update(met)
    assert all(url in known for url in urls)
    assert all(url in met for url in urls[250:])
    assert not any(f"https://example.org/other-{i}" in known for i in range(2000))
    assert list(known.sorted) == sorted({hash(url) for url in urls})  # sorted, each once
