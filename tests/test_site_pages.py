"""The six supported sites' saved pages, cleaned as the crawl archives them (after trafilatura's realworld tests).

For every page in ``tests/files/<site>/`` (and the two real pages of these sites in ``../shared/fixtures/health-dev/``):
the sentences that must be in the archived text, the site's chrome that must not be (each verified to be on the page,
so the check can fail), and ``reviewed_on``, the ISO date the page says it was reviewed or last updated. The text is
``pipelines.clean.clean_article`` with the site profile's prune rules and review-date places, which is what the
crawl stores. Where each page comes from: ``tests/files/SOURCES.md``; hand-made pages say so in their names.
"""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from lxml import html as lxml_html

from archive.text import normalize_text
from crawler.profiles import load_profile
from pipelines.clean import clean_article
from pipelines.reviewed import ReviewRules

from .conftest import FIXTURES

FILES = Path(__file__).with_name("files")


@dataclass(frozen=True)
class Case:
    site: str
    page: Path
    url: str
    must: tuple[str, ...]
    must_not: tuple[str, ...] = ()
    reviewed_on: str | None = None
    pages: tuple[tuple[Path, str], ...] = field(default=())  # further pages of the article, in order


CASES = [
    # --- WebMD: classic template (2015 news, page 1 of 5 and page 1 of 3) and current template (2025) -------------
    Case(
        "webmd",
        FIXTURES / "rdb-webmd-1-peanut-allergy-page1of5.html",
        "https://www.webmd.com/allergies/news/20150220/child-peanut-allergy-findings",
        (
            "Life-threatening peanut allergies have mysteriously been on the rise in the past decade, with little hope"
            " for a cure.",
            "Parents have been told for years to avoid giving foods containing peanuts to babies for fear of"
            " triggering an allergy.",
            "Those at high risk were already allergic to egg, they had the skin condition eczema, or both.",
        ),
        (
            "Today on WebMD",
            "12 Natural Ways to Defeat Allergies",
            "Font Size",
            "Top Picks",
            "Next Page",
            "Health Solutions From Our Sponsors",
        ),
        None,  # "Reviewed by Hansa D. Bhargava, MD" with no date; the dateline is the story's date
    ),
    Case(
        "webmd",
        FILES / "webmd/readability-webmd-2-superbugs-news-2015.html",
        "https://www.webmd.com/a-to-z-guides/news/20150417/superbugs-what-they-are",
        (
            "Every year, about 2 million people get sick from a superbug, according to the CDC.",
            "The White House recently released a comprehensive plan outlining steps to combat drug-resistant bacteria.",
            "It's a term coined by the media to describe bacteria that cannot be killed using multiple antibiotics.",
        ),
        ("Which sex is the worst about washing up?", "Font Size", "Health Solutions From Our Sponsors", "Next Page"),
        None,
    ),
    Case(
        "webmd",
        FILES / "webmd/dlrl-diet-health-benefits-green-tea-2025.html",
        "https://www.webmd.com/diet/health-benefits-green-tea",
        (
            "There are less than 3 calories in 8 fluid ounces of green tea and no measurable amounts of protein, fat,"
            " carbohydrates, fiber, or sugar.",
            "Green tea leaves are heated and dried right away.",
            "Green tea, whether caffeinated or decaf, can reduce iron absorption.",
            "Most people can drink green tea safely, but high-dose extracts may cause problems.",
            "Think of green tea as a healthy choice, but not a cure-all.",
        ),
        (
            "More on Diet & Weight Management",
            "Update History",
            "View Full Guide",
            "Popular Diet Plans",
            "Advertise with Us",
            "Written by Keri Wiginton",
            "8 min read",
        ),
        "2025-09-29",  # JSON-LD lastReviewed "09/29/2025 19:00:00"
    ),
    # --- Mayo Clinic: old template (diabetes) and new template (shingles), symptoms-causes tabs --------------------
    Case(
        "mayoclinic",
        FILES / "mayoclinic/dlrl-diabetes-symptoms-causes-syc-20371444.html",
        "https://www.mayoclinic.org/diseases-conditions/diabetes/symptoms-causes/syc-20371444",
        (
            "Diabetes mellitus refers to a group of diseases that affect how the body uses blood sugar (glucose).",
            "Diabetes symptoms depend on how high your blood sugar is.",
            "Type 1 diabetes can start at any age.",
            "Gestational diabetes happens during pregnancy.",
        ),
        (
            "Request an appointment",
            "Mayo Clinic does not endorse companies or products",
            "From Mayo Clinic to your inbox",
            "Thank you for subscribing",
            "Show references",
            "By Mayo Clinic Staff",
            "A Book: The Essential Diabetes Book",
            "Diabetes care at Mayo Clinic",
            "March 27, 2024",
        ),
        "2024-03-27",  # <meta name="PublishDate" content="2024-03-27">, shown as "March 27, 2024"
    ),
    Case(
        "mayoclinic",
        FILES / "mayoclinic/kunalpaliwal13-shingles-symptoms-causes-syc-20353054.html",
        "https://www.mayoclinic.org/diseases-conditions/shingles/symptoms-causes/syc-20353054",
        (
            "Shingles is a viral infection that causes a painful rash.",
            "Pain is usually the first symptom of shingles.",
            "Shingrix is a nonliving vaccine made of a virus component.",
            "The shingles vaccine is used only as a way to prevent shingles.",
        ),
        (
            "Request an appointment",
            "From Mayo Clinic to your inbox",
            "Show References",
            "A Book: Mayo Clinic Guide to Home Remedies",
            "Show more related content",
            "Mayo Clinic does not endorse companies or products",
            "By Mayo Clinic Staff",
            "Aug 20, 2022",
            "CON-20309658",
        ),
        "2022-08-20",  # PublishDate 2022-08-20T05:00:00.000-05:00
    ),
    Case(  # the diabetes article as one document: the real first tab, then hand-made later tabs
        "mayoclinic",
        FILES / "mayoclinic/dlrl-diabetes-symptoms-causes-syc-20371444.html",
        "https://www.mayoclinic.org/diseases-conditions/diabetes/symptoms-causes/syc-20371444",
        (
            "Diabetes mellitus refers to a group of diseases that affect how the body uses blood sugar (glucose).",
            "A second test on another day confirms the result before treatment starts.",
            "Checks during treatment",
            "endocrinologists, dietitians and diabetes educators work together",
            "a care team reviews blood sugar records",
        ),
        (
            "Request an appointment",
            "From Mayo Clinic to your inbox",
            "Show references",
            "By Mayo Clinic Staff",
            "Mayo Clinic does not endorse",
            "A reference the hand-made page cites",
            "March 27, 2024",
        ),
        "2024-03-27",
        (
            (
                FILES / "mayoclinic/handmade-diabetes-diagnosis-treatment-drc-20371451.html",
                "https://www.mayoclinic.org/diseases-conditions/diabetes/diagnosis-treatment/drc-20371451",
            ),
            (
                FILES / "mayoclinic/handmade-diabetes-doctors-departments-ddc-20371453.html",
                "https://www.mayoclinic.org/diseases-conditions/diabetes/doctors-departments/ddc-20371453",
            ),
            (
                FILES / "mayoclinic/handmade-diabetes-care-at-mayo-clinic-mac-20371457.html",
                "https://www.mayoclinic.org/diseases-conditions/diabetes/care-at-mayo-clinic/mac-20371457",
            ),
        ),
    ),
    # --- MedlinePlus: hand-made topic page (the real topic XML's summary) ---------------------------------------
    Case(
        "medlineplus",
        FILES / "medlineplus/handmade-abdominalpain.html",
        "https://medlineplus.gov/abdominalpain.html",
        (
            "Your abdomen extends from below your chest to your groin.",
            "Severe pain doesn't always mean a serious problem.",
            "You have abdominal pain that is sudden and sharp",
        ),
        (
            "Learn how to cite this page",
            "updates by email",
            "What's this?",
            "should not be used as a substitute",
            "Rockville Pike",
        ),
        "2024-10-09",  # <meta name="DC.Date.Modified" content="2024-10-09">
    ),
    # --- NHS: hand-made guide (nhsuk-frontend markup) and the retired NHS Choices site's real pages (2016) -------
    Case(
        "nhs",
        FILES / "nhs/handmade-sciatica.html",
        "https://www.nhs.uk/conditions/sciatica/",
        (
            "Sciatica is pain that travels from the lower back",
            "Ask for an urgent GP appointment or get help from NHS 111 if:",  # a care card is content
            "numbness or tingling down the leg",
            "Keep moving as much as you can",
        ),
        (
            "Skip to main content",
            "Cookies on the NHS website",
            "Back to Health A to Z",
            "Page last reviewed",
            "Next review due",
            "Crown copyright",
            "Search the NHS website",
        ),
        "2026-06-04",  # "Page last reviewed: 04 June 2026"
        (
            (FILES / "nhs/handmade-sciatica-symptoms.html", "https://www.nhs.uk/conditions/sciatica/symptoms/"),
            (FILES / "nhs/handmade-sciatica-treatment.html", "https://www.nhs.uk/conditions/sciatica/treatment/"),
        ),
    ),
    Case(
        "nhs",
        FILES / "nhs/nhs-choices-2016/cs4r-AbdominalAorticAneurysm.html",
        "http://www.nhs.uk/conditions/Repairofabdominalaneurysm/Pages/Introduction.aspx",
        (
            "The abdominal aorta is the largest blood vessel in the body and is usually around 2cm wide",
            "AAAs are most common in men aged over 65.",
            "Large aneurysms are rare, but can be very serious.",
        ),
        ("Page last reviewed: 30/08/2014", "Next review due: 30/08/2017"),
        "2014-08-30",  # day first
    ),
    Case(
        "nhs",
        FILES / "nhs/nhs-choices-2016/cs4r-ZikaVirus.html",
        "http://www.nhs.uk/conditions/zika-virus/Pages/Introduction.aspx",
        (
            "Zika virus disease is mainly spread by mosquitoes.",
            "Zika does not naturally occur in the UK.",
            "People travelling to affected areas should seek travel health advice before their trip.",
        ),
        ("Page last reviewed: 12/02/2016", "Next review due: 12/02/2018"),
        "2016-02-12",  # 12/02/2016, day first: not December
    ),
    Case(
        "nhs",
        FILES / "nhs/nhs-choices-2016/cs4r-LabialFusion.html",
        "http://www.nhs.uk/conditions/labial-fusion/Pages/Introduction.aspx",
        (
            "Labial fusion, or labial adhesion, is when the small inner lips around the entrance to the vagina become"
            " sealed together.",
            "In most cases, a fusion corrects itself during puberty.",
        ),
        ("Page last reviewed: 20/06/2016", "Next review due: 20/06/2018"),
        "2016-06-20",
    ),
    # --- Cleveland Clinic: a real Health Essentials article and a hand-made Health Library page -----------------
    Case(
        "clevelandclinic",
        FIXTURES / "wcxb-0027-health-clevelandclinic-org.html",
        "https://health.clevelandclinic.org/how-to-meditate-and-top-benefits",
        (
            "Tending to your mental health is just as important as taking care of your physical health",
            "At its core, meditation helps you calm your mind and develop the ability to stay in the present moment",
            "But as little as eight weeks of daily practice gives you long-lasting benefits.",
        ),
        (
            "Advertisement",
            "Free Health eNewsletters",
            "Cleveland Clinic is a non-profit academic medical center",
            "Learn more about our editorial process",
            "Breathing, exercise, mindfulness and more can help you unwind",
        ),
        "2025-11-28",  # its only date: JSON-LD datePublished, shown above the title
    ),
    Case(
        "clevelandclinic",
        FILES / "clevelandclinic/handmade-health-library-17906-meditation.html",
        "https://my.clevelandclinic.org/health/articles/17906-meditation",
        (
            "Meditation is the practice of resting attention on one thing",
            "Studies link a steady meditation habit with lower stress",
            "It can slow a racing heart before a stressful event.",
            "Set a timer for five minutes",
        ),
        (
            "Medically Reviewed",
            "Last updated on",
            "Advertisement",
            "Cleveland Clinic is a non-profit",
            "Learn more about our editorial process",
            "Care at Cleveland Clinic",
            "Related Articles",
            "Euclid Avenue",
        ),
        "2024-03-12",  # "Medically Reviewed. Last updated on 03/12/2024." (month first)
    ),
    # --- CDC: the 2024 template and the 2020 template -----------------------------------------------------------
    Case(
        "cdc",
        FIXTURES / "wcxb-0074-cdc-gov.html",
        "https://www.cdc.gov/nutrition/features/healthy-eating-tips.html",
        (
            "Most people in the United States need to increase their intake of dietary fiber, calcium, vitamin D, and"
            " potassium.",
            "Fiber helps maintain digestive health and helps us feel fuller longer.",
            "Replacing saturated fat with healthier unsaturated fats can help protect your heart.",
        ),
        (
            "An official website of the United States government",
            "On This Page",
            "Content Source:",
            "Syndicate",
            "Sign up for Email Updates",
            "March 1, 2024",
        ),
        "2024-03-01",  # cdc:last_reviewed "March 1, 2024"
    ),
    Case(
        "cdc",
        FILES / "cdc/edgi-2020-covid-after-travel-precautions-japanese.html",
        "https://www.cdc.gov/coronavirus/2019-ncov/travelers/after-travel-precautions-japanese.html",
        (
            "米国内および世界中の旅行先で新規コロナウイルスの感染が進行中です。",
            "結婚式、葬式、またはパーティーなど大規模な社会的集会に参加。",
        ),
        (
            "Last Updated Aug. 28, 2020",
            "Updated Aug. 28, 2020",
            "Syndicate",
            "Download English version",
            "Related Pages",
            "Content source:",
            "العربية",
        ),
        "2020-08-06",  # cdc:last_reviewed "Aug. 6, 2020" (the footer shows the update, Aug. 28)
    ),
]


def case_id(case: Case) -> str:
    return f"{case.site}-{case.page.stem}" + (f"+{len(case.pages)}" if case.pages else "")


@cache
def page_text(path: Path) -> str:
    """The page's visible text (scripts and styles left out), whitespace collapsed."""
    tree = lxml_html.fromstring(path.read_bytes())
    for node in tree.xpath("//script|//style|//noscript"):
        node.drop_tree()
    return " ".join(tree.text_content().split())


@cache
def archived(case: Case):
    profile = load_profile(case.site)
    pages = [(case.url, case.page.read_bytes().decode("utf-8", "replace"))]
    pages += [(url, path.read_text(encoding="utf-8")) for path, url in case.pages]
    return clean_article(pages, profile.prune, review=ReviewRules.of(profile))


def squash(text: str) -> str:
    return " ".join(normalize_text(text).split())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_archived_text(case):
    if not case.page.is_file():
        pytest.skip(f"saved page not found: {case.page}")
    visible = page_text(case.page) + " ".join(page_text(path) for path, _ in case.pages)
    unseen = [s for s in case.must_not if s not in visible]
    assert not unseen, f"chrome listed for this page is not on it (the check could not fail): {unseen}"
    text = squash(archived(case).text)
    missing = [s for s in case.must if squash(s) not in text]
    assert not missing, f"missing from the archived text: {missing}"
    leaked = [s for s in case.must_not if squash(s) in text]
    assert not leaked, f"chrome in the archived text: {leaked}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_reviewed_on(case):
    if not case.page.is_file():
        pytest.skip(f"saved page not found: {case.page}")
    assert archived(case).meta.get("reviewed_on") == case.reviewed_on


def test_merged_tabs_keep_their_order():
    case = next(c for c in CASES if c.site == "mayoclinic" and c.pages)
    text = archived(case).text
    marks = [text.index(s) for s in ("Gestational diabetes happens", "Diagnosis", "Doctors who treat", "Why choose")]
    assert marks == sorted(marks)


@pytest.mark.parametrize("site", sorted({c.site for c in CASES}))
def test_every_prune_rule_matches_a_saved_page(site):
    """No dead rules: each of the profile's prune XPaths removes something on one of the site's saved pages."""
    pages = {c.page for c in CASES if c.site == site and c.page.is_file()}
    pages |= {path for c in CASES if c.site == site for path, _ in c.pages}
    trees = [lxml_html.fromstring(path.read_bytes()) for path in sorted(pages)]
    dead = [xpath for xpath in load_profile(site).prune if not any(tree.xpath(xpath) for tree in trees)]
    assert not dead, f"prune rules that match nothing on {len(trees)} saved page(s): {dead}"
