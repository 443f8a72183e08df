"""Per-site spiders and profiles, tested on saved pages.

WebMD, Cleveland Clinic and CDC: real pages saved in ``../shared/fixtures/health-dev/`` (tests skip when
absent). Mayo Clinic, MedlinePlus and NHS: no real page is saved, so ``tests/files/<site>/`` holds hand-made
pages (own text) in each site's public URL and page structure. For each site: the profile loads, the spider
starts from the site's real URLs with the right scope, discovery and pagination/parts rules pick the right
URLs on the page, and the cleaned text has what must be in it and lacks what must not. Two real crawls
run against 127.0.0.1: ``pages`` with ``profile=mayoclinic`` (three tabs merged as one article) and
``nhs`` with sitemap discovery (a sitemap index, a gzipped sitemap, sub-pages that are not articles).
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
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.articles import Assembly
from crawler.profiles import load_profile, profile_names
from crawler.sitemaps import SiteSpider
from crawler.spiders.cdc import CDCSpider
from crawler.spiders.clevelandclinic import ClevelandClinicSpider
from crawler.spiders.mayoclinic import MayoClinicSpider
from crawler.spiders.medlineplus import MedlinePlusSpider
from crawler.spiders.nhs import NHSSpider
from crawler.spiders.webmd import WebMDSpider
from pipelines.clean import clean_article

from .conftest import FIXTURES, run_crawl

FILES = Path(__file__).with_name("files")
TRUTH = FIXTURES / "ground-truth.json"
needs_fixtures = pytest.mark.skipif(not TRUTH.is_file(), reason=f"health fixtures not found at {FIXTURES}")

MAYO = "https://www.mayoclinic.org/diseases-conditions/plantar-fasciitis"
MAYO_TABS = {
    f"{MAYO}/symptoms-causes/syc-20350001": "mayoclinic/plantar-fasciitis/symptoms-causes.html",
    f"{MAYO}/diagnosis-treatment/drc-20350002": "mayoclinic/plantar-fasciitis/diagnosis-treatment.html",
    f"{MAYO}/doctors-departments/ddc-20350003": "mayoclinic/plantar-fasciitis/doctors-departments.html",
}
NHS = "https://www.nhs.uk/conditions"
NHS_PAGES = {
    f"{NHS}/": "nhs/conditions.html",
    f"{NHS}/sciatica/": "nhs/sciatica/index.html",
    f"{NHS}/sciatica/symptoms/": "nhs/sciatica/symptoms.html",
    f"{NHS}/sciatica/treatment/": "nhs/sciatica/treatment.html",
    f"{NHS}/hay-fever/": "nhs/hay-fever/index.html",
}


@cache
def truth() -> dict:
    return json.loads(TRUTH.read_text(encoding="utf-8"))


def fixture(name: str) -> tuple[str, str]:
    """(html, url) of a saved real page."""
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8", errors="replace")
    return html, truth()[name]["url"]


def own(path: str) -> str:
    return (FILES / path).read_text(encoding="utf-8")


def response(url: str, html: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8")


def spider(cls, tmp_path=None, **kwargs):
    db = (tmp_path or Path("/nonexistent")) / "none.db"
    crawler = get_crawler(cls, {"ARTICLE_MAX_PAGES": 30, "ARCHIVE_DB": str(db)})
    return cls.from_crawler(crawler, **kwargs)


def clean(profile: str, pages: list[tuple[str, str]]) -> str:
    """The archived text of an article made of ``pages`` [(html, url)], cleaned with the site's profile."""
    prune = load_profile(profile).prune
    return clean_article([(url, html) for html, url in pages], prune).text


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


def assert_text(text: str, must: list[str], must_not: list[str]):
    flat = " ".join(text.split())
    missing = [s for s in must if " ".join(s.split()) not in flat]
    leaked = [s for s in must_not if s in text]
    assert not missing, f"missing from the text: {missing}"
    assert not leaked, f"clutter in the text: {leaked}"


# --- every site: profile, spider, start URLs, scope ---------------------------------------------

SITES = {
    WebMDSpider: ("webmd", "https://www.webmd.com/breast-cancer/default.htm"),
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
    assert sp.name == profile_name and sp.profile.name == profile_name
    assert profile.description and profile.start_urls
    assert sp.hub_urls == list(profile.start_urls) and sp.hub_urls[0] == first_hub
    assert all(u.startswith("https://") for u in sp.hub_urls)
    assert all(sp.in_scope(u) for u in sp.hub_urls), "every hub is inside the site's scope"
    assert not sp.in_scope("https://www.example.com/conditions/")
    if cls is not WebMDSpider:
        assert isinstance(sp, SiteSpider)
        assert sp.sitemap_urls == profile.sitemap_urls and sp.sitemap_urls


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


def test_site_spider_on_a_mirror_keeps_the_profile_paths():
    sp = spider(NHSSpider, start_url="http://127.0.0.1:8999/conditions/", sitemaps="no")
    assert sp.hub_urls == ["http://127.0.0.1:8999/conditions/"]
    assert sp.in_scope("http://127.0.0.1:8999/conditions/hay-fever/")
    assert not sp.in_scope("http://127.0.0.1:8999/medicines/ibuprofen/")
    assert sp.sitemap_urls == ()


# --- WebMD (saved real page) -----------------------------------------------------------------------

WEBMD = "rdb-webmd-1-peanut-allergy-page1of5"


@needs_fixtures
def test_webmd_next_page_is_page_2_of_the_guide():
    html, url = fixture(WEBMD)
    sp = spider(WebMDSpider)
    asm = Assembly(first_url=url, key=url, requested_urls={url})
    assert sp.next_page(response(url, html), asm, 1) == url + "?page=2"


@needs_fixtures
def test_webmd_clean_text():
    html, url = fixture(WEBMD)
    assert_text(
        clean("webmd", [(html, url)]),
        [
            "Life-threatening peanut allergies have mysteriously been on the rise",
            "A new skin patch called Viaskin allowed people with peanut allergies",
        ],
        ["Today on WebMD", "Font Size", "Next Page", "Recommended Related to", "1 | 2 | 3 | 4 | 5"],
    )


# --- Cleveland Clinic (saved real page: Health Essentials) ----------------------------------------

CLEVELAND = "wcxb-0027-health-clevelandclinic-org"


@needs_fixtures
def test_clevelandclinic_article_is_one_page_and_an_article():
    html, url = fixture(CLEVELAND)
    sp = spider(ClevelandClinicSpider)
    assert sp.next_page(response(url, html), Assembly(first_url=url, key=url, requested_urls={url}), 1) is None
    assert sp.in_scope(url)
    assert sp.article_key(response(url, html)) == url
    # Discovery from the saved page: related Health Essentials articles, nothing else of the site.
    found = [r.url for r in sp.discover(response(url, html))]
    assert found and all(
        u.startswith(("https://health.clevelandclinic.org/", "https://my.clevelandclinic.org/health/")) for u in found
    )
    assert "https://my.clevelandclinic.org/health/articles/17906-meditation" in found  # the Health Library
    assert "https://health.clevelandclinic.org/chakras" in found
    assert not any(
        u.rstrip("/").endswith(("/contact-us", "/living-healthy", "/advertising")) or "/wellness" in u for u in found
    )


@needs_fixtures
def test_clevelandclinic_clean_text():
    html, url = fixture(CLEVELAND)
    case = truth()[CLEVELAND]
    assert_text(
        clean("clevelandclinic", [(html, url)]),
        case["with"],
        case["without"]
        + [
            "Cleveland Clinic is a non-profit academic medical center",
            "Learn more about our editorial process",
            "Breathing, exercise, mindfulness and more can help you unwind",  # related-card teasers
            "Policy",
        ],
    )


# --- CDC (saved real page) ----------------------------------------------------------------------

CDC = "wcxb-0074-cdc-gov"


@needs_fixtures
def test_cdc_page_is_one_page_and_an_article():
    html, url = fixture(CDC)
    sp = spider(CDCSpider)
    assert sp.next_page(response(url, html), Assembly(first_url=url, key=url, requested_urls={url}), 1) is None
    assert sp.sitemap_article(url)
    assert not sp.sitemap_article("https://www.cdc.gov/mmwr/volumes/73/wr/mm7301a1.htm")
    assert not sp.sitemap_article("https://www.cdc.gov/about/organization/index.html")
    assert not sp.sitemap_article("https://www.cdc.gov/nutrition/media/pdfs/tips.pdf")


@needs_fixtures
def test_cdc_clean_text():
    html, url = fixture(CDC)
    case = truth()[CDC]
    assert_text(
        clean("cdc", [(html, url)]),
        case["with"] + ["Bump up fiber"],
        case["without"] + ["On This Page", "Content Source", "Syndicate", "March 1, 2024"],
    )


# --- Mayo Clinic (hand-made pages in the site's structure) -----------------------------------------


def test_mayoclinic_discovery_takes_symptoms_causes_pages_only():
    sp = spider(MayoClinicSpider)
    hub = "https://www.mayoclinic.org/diseases-conditions/index?letter=P"
    found = [r.url for r in sp.discover(response(hub, own("mayoclinic/index-letter-p.html")), hub=True)]
    assert found == [
        f"{MAYO}/symptoms-causes/syc-20350001",
        "https://www.mayoclinic.org/diseases-conditions/plantar-warts/symptoms-causes/syc-20350004?p=1",
        "https://www.mayoclinic.org/diseases-conditions/heel-pain/symptoms-causes/syc-20350009",
    ]


def test_mayoclinic_parts_are_the_tabs_in_order():
    sp = spider(MayoClinicSpider)
    first = f"{MAYO}/symptoms-causes/syc-20350001"
    assert follow(sp, first, lambda u: own(MAYO_TABS[u])) == list(MAYO_TABS)
    assert sp.article_key(response(first, own(MAYO_TABS[first]))) == first


def test_mayoclinic_clean_text_merges_the_tabs():
    text = clean("mayoclinic", [(own(path), url) for url, path in MAYO_TABS.items()])
    assert_text(
        text,
        [
            "Plantar fasciitis is an irritation of the thick band of tissue",
            "Make an appointment if heel pain keeps coming back",
            "Plantar fasciitis is diagnosed from the medical history and a physical exam",
            "Night splints that hold the arch stretched during sleep",
            "Specialists in foot and ankle care",
        ],
        [
            "Request an appointment",
            "Mayo Clinic does not endorse",
            "From Mayo Clinic to your inbox",
            "Sign up for free",
            "Related",
            "Bone spurs",
            "Products & Services",
            "Show references",
            "Author AB",
            "By Mayo Clinic Staff",
            "Advertisement",
            "MFMER",
            "Skip to content",
        ],
    )
    order = [text.index(s) for s in ("Overview", "Risk factors", "Diagnosis", "Treatment", "Doctors who treat")]
    assert order == sorted(order)
    assert text.count("Plantar fasciitis\n") <= 1  # the h1 repeated on each tab is not repeated in the text


# --- NHS (hand-made pages in the NHS.UK design system) -------------------------------------------


def test_nhs_discovery_takes_condition_overviews_only():
    sp = spider(NHSSpider)
    found = [r.url for r in sp.discover(response(f"{NHS}/", own("nhs/conditions.html")), hub=True)]
    assert found == [f"{NHS}/sciatica/"]
    assert sp.sitemap_article(f"{NHS}/hay-fever/")
    assert not sp.sitemap_article(f"{NHS}/sciatica/symptoms/")
    assert not sp.sitemap_article(f"{NHS}/")
    assert not sp.sitemap_article("https://www.nhs.uk/medicines/ibuprofen/")


def test_nhs_parts_are_the_guide_pages_in_order():
    sp = spider(NHSSpider)
    pages = [u for u in NHS_PAGES if "/sciatica/" in u]
    assert follow(sp, pages[0], lambda u: own(NHS_PAGES[u])) == pages
    single = f"{NHS}/hay-fever/"
    assert follow(sp, single, lambda u: own(NHS_PAGES[u])) == [single]


def test_nhs_clean_text_merges_the_guide():
    pages = [(own(path), url) for url, path in NHS_PAGES.items() if "/sciatica/" in url]
    text = clean("nhs", pages)
    assert_text(
        text,
        [
            "Sciatica is pain that travels from the lower back",
            "Ask for an urgent GP appointment or get help from NHS 111 if:",  # care card: content
            "numbness or tingling down the leg",
            "Keep moving as much as you can",
        ],
        [
            "Skip to main content",
            "cookies",
            "Back to Health A to Z",
            "Page last reviewed",
            "Next review due",
            "Crown copyright",
            "Search the NHS website",
            "Previous",
            "Next",
            "Pages in this guide",
        ],
    )
    assert text.index("slipped disc") < text.index("Main symptoms") < text.index("Things you can do yourself")


# --- MedlinePlus (hand-made page) ----------------------------------------------------------------


def test_medlineplus_discovery_takes_health_topics_only():
    sp = spider(MedlinePlusSpider)
    hub = "https://medlineplus.gov/healthtopics_t.html"
    found = [r.url for r in sp.discover(response(hub, own("medlineplus/healthtopics_t.html")), hub=True)]
    assert found == [
        "https://medlineplus.gov/tinnitus.html",
        "https://medlineplus.gov/tonsillitis.html",
        "https://medlineplus.gov/tooth-disorders.html",
    ]


def test_medlineplus_clean_text():
    url = "https://medlineplus.gov/tinnitus.html"
    sp = spider(MedlinePlusSpider)
    html = own("medlineplus/tinnitus.html")
    assert sp.next_page(response(url, html), Assembly(first_url=url, key=url, requested_urls={url}), 1) is None
    assert_text(
        clean("medlineplus", [(html, url)]),
        [
            "Tinnitus is a sound in one or both ears",
            "Most tinnitus is linked to some degree of hearing loss",
            "Tinnitus is not a disease on its own",
        ],
        [
            "Learn how to cite this page",
            "Page last updated",
            "updates by email",
            "What's this?",
            "should not be used as a substitute",
            "Skip navigation",
            "Print",
            "Facebook",
            "Rockville Pike",
        ],
    )


# --- sitemaps ------------------------------------------------------------------------------------

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
    """Serves {path: (content type, bytes)} on 127.0.0.1; 404 for anything else."""

    def __init__(self):
        self.routes: dict[str, tuple[str, bytes]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
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
        """Serve the hand-made page ``path`` at the path of ``real_url``."""
        self.routes[urlsplit(real_url).path] = ("text/html; charset=utf-8", own(path).encode("utf-8"))

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


def test_crawl_mayoclinic_tabs_as_one_article(tmp_path, local_site):
    for url, path in MAYO_TABS.items():
        local_site.page(url, path)
    first = local_site.url + "/diseases-conditions/plantar-fasciitis/symptoms-causes/syc-20350001"
    urls_file = tmp_path / "urls.txt"
    urls_file.write_text(first + "\n")
    db = tmp_path / "archive.db"
    result = run_crawl("pages", db, f"urls_file={urls_file}", "profile=mayoclinic")
    assert result.returncode == 0, result.stderr[-3000:]
    conn = archive(db)
    articles = conn.execute("SELECT * FROM articles").fetchall()
    assert [a["url"] for a in articles] == [first]
    version = conn.execute("SELECT * FROM versions").fetchone()
    assert version["page_count"] == 3
    captures = conn.execute("SELECT url, page_number FROM captures ORDER BY page_number").fetchall()
    assert [(c["url"].split("/", 3)[3], c["page_number"]) for c in captures] == [
        ("diseases-conditions/plantar-fasciitis/symptoms-causes/syc-20350001", 1),
        ("diseases-conditions/plantar-fasciitis/diagnosis-treatment/drc-20350002", 2),
        ("diseases-conditions/plantar-fasciitis/doctors-departments/ddc-20350003", 3),
    ]
    text = version["text"]
    marks = [
        text.index(s)
        for s in (
            "irritation of the thick band",
            "Extra body weight",
            "diagnosed from the medical history",
            "Choose supportive shoes",
            "Specialists in foot and ankle care",
        )
    ]
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
        "SELECT a.url, v.page_count, v.text FROM articles a JOIN versions v ON v.article_id = a.id ORDER BY a.url"
    ).fetchall()
    assert [(r["url"], r["page_count"]) for r in rows] == [
        (f"{base}/conditions/hay-fever/", 1),  # only in the (gzipped) sitemap
        (f"{base}/conditions/sciatica/", 3),  # hub and sitemap: one article, its guide merged
    ]
    sciatica = rows[1]["text"]
    assert sciatica.index("slipped disc") < sciatica.index("Main symptoms") < sciatica.index("Treatment from a GP")
    assert "Page last reviewed" not in sciatica
