"""A site's chrome told by structure (pipelines/structure.py, pipelines/chrome.py) and metadata lines that never
make a version (pipelines/volatile.py), on small pages written for the rule each test checks (hand-made pages:
the crawl tests in tests/test_rotating_chrome.py run the generated centers)."""

from pipelines.chrome import SiteChrome
from pipelines.clean import Cleaned, clean_pages, without_chrome
from pipelines.structure import locate
from pipelines.volatile import only_volatile, volatile_pair

CALL = "Call 911 if you have chest pain that lasts more than a few minutes, even at night."
PARAS = [
    "Angina is chest pain that happens when the heart muscle does not get enough oxygen-rich blood.",
    "It often feels like pressure or squeezing and may spread to the shoulders, arms, neck or jaw.",
    "Stable angina follows a pattern, usually during exertion, and goes away with rest or medicine.",
    "Unstable angina is a medical emergency because it can be a sign that a heart attack is near.",
]
PROMOS = [
    (
        "Salt and Your Arteries",
        "Most of the salt people eat comes from bread, soups and restaurant meals, not the shaker.",
    ),
    ("Sleep and Rhythm", "People who sleep fewer than six hours a night report more palpitations than those who rest."),
]


def page(i: int, promo: int, key_points: str, box_links: bool = True) -> str:
    title, sentence = PROMOS[promo]
    link = f'<a href="/f/{promo}"><img src="/i/{promo}.png" alt=""></a>' if box_links else ""
    paras = [f"<p>{p} (Article {i}.)</p>" for p in PARAS]
    return (
        f"<html><head><title>Article {i}</title></head><body><nav><a href='/'>Home</a></nav><main class='zz'>"
        f"<h1>Article {i}</h1>{paras[0]}{paras[1]}<div class='k1 q'>{link}<h3>Picked by our editors</h3>"
        f"<h4>{title}</h4><p>{sentence}</p></div>{paras[2]}<p>{CALL}</p><div class='kp'><h3>Key points</h3>"
        f"<p>{key_points}</p></div>{paras[3]}</main></body></html>"
    )


def articles(box_links=True):
    out = []
    for i in range(6):
        url = f"https://h.example/a{i}"
        out.append(
            (url, clean_pages([(url, page(i, i % 2, f"Point {i}: angina in article {i} is explained.", box_links))]))
        )
    return out


def test_rotating_box_is_chrome_with_its_headings_and_repeated_medical_text_stays():
    chrome = SiteChrome(min_articles=3)
    found = articles()
    for url, cleaned in found:
        chrome.learn("h.example", url, cleaned.blocks, cleaned.slots, cleaned.pages)
    for _, cleaned in found:
        text = without_chrome(cleaned, chrome, "h.example").text
        assert not any(
            s in text
            for s in (
                "Picked by our editors",
                "Salt and Your",
                "Sleep and Rhythm",
                "fewer than six hours",
                "restaurant meals",
            )
        ), text
        assert CALL in text and "Key points" in text and "Point " in text and PARAS[3] in text
    assert chrome.found_slots() == {"h.example": ["main.zz>div.k1.q>*"]}


def test_a_box_that_points_nowhere_is_not_chrome_by_rotation():
    """Two standard texts in one place of the template, each on several articles, with no link: content."""
    chrome = SiteChrome(min_articles=3)
    found = articles(box_links=False)
    for url, cleaned in found:
        chrome.learn("h.example", url, cleaned.blocks, cleaned.slots, cleaned.pages)
    assert not chrome.found_slots()
    assert all("restaurant meals" in without_chrome(c, chrome, "h.example").text for _, c in found[::2])


def test_lines_that_only_say_when_are_volatile():
    assert volatile_pair("Page last updated: 13:42:06", "Page last updated: 10:07:03")
    assert volatile_pair("Visitors: 12,345", "Visitors: 12,401")
    assert volatile_pair("Updated March 2, 2026", "Updated March 9, 2026")
    for old, new in [
        ("Take 1000 mg daily", "Take 2000 mg daily"),
        ("Normal blood pressure: 120/80", "Normal blood pressure: 130/85"),
        ("Dose: 500 mg", "Dose: 250 mg"),
        (
            "A long sentence of the article that mentions 13:42 and goes on and on about clinic hours",
            "A long sentence of the article that mentions 14:42 and goes on and on about clinic hours",
        ),
    ]:
        assert not volatile_pair(old, new), old
    text = "Angina.\n\nPage last updated: 13:42:06"
    assert only_volatile(text, "Angina.\n\nPage last updated: 13:42:07")
    assert not only_volatile(text, "Angina, edited.\n\nPage last updated: 13:42:07")
    assert only_volatile("Angina.", text) and only_volatile(text, "Angina.")
    assert not only_volatile(text, text)


def test_a_repeated_block_is_chrome_only_where_most_of_its_places_agree():
    """A section heading inside the article's text on most articles, found outside the main container on one page
    whose container was misjudged, stays everywhere; a block outside the container on most articles goes, but only
    where it is outside."""
    chrome = SiteChrome(min_articles=3)
    inside = ["div.t>h2", 1, True, False, 0.0, 0.0, 0.02]
    outside = ["~div.n", 0, True, True, 0.0, 0.0, 0.02]
    heading, promo = ("h2", "Treatment Choices"), ("p", "Sign up for our newsletter.")
    for i in range(8):
        where = outside if i < 3 else inside
        chrome.learn("h", f"a{i}", [heading, promo], [where, outside if i else inside])
    assert not chrome.is_chrome("h", *heading, outside) and not chrome.is_chrome("h", *heading, inside)
    assert chrome.is_chrome("h", *promo, outside) and not chrome.is_chrome("h", *promo, inside)


def test_chrome_learned_later_takes_nothing_from_the_current_version():
    """What the article's current version kept stays (as many times as it holds it): the same pages, cleaned with
    more chrome known, give the same text; a block not in the version that is chrome still goes."""

    class Chrome:
        def is_chrome(self, host, kind, text, slot=None):
            return text.startswith("Chrome")

    blocks = [("h2", "Chrome A"), ("p", "Body."), ("p", "Chrome B"), ("h2", "Chrome A"), ("li", "Chrome C")]
    article = Cleaned("T", blocks, pages=[1, 1, 1, 2, 2])
    version = "Chrome A\n\nBody.\n\n- Chrome C"
    kept = without_chrome(article, Chrome(), "h", version)
    assert kept.text == version and kept.pages == [1, 1, 2]
    assert without_chrome(article, Chrome(), "h").text == "Body."


def test_a_block_is_found_by_all_the_text_under_its_element():
    """Inline elements, the text after a comment and entities are the element's text as the extraction reads it;
    the link text inside is the block's link share (8 of its 27 characters that are not whitespace)."""
    html = (
        "<html><body><main class='m'><p>Angina <!-- ad slot --> is <b>chest</b> pain &amp; "
        "<a href='/p'>pressure</a>.</p><p>Rest helps.</p></main></body></html>"
    )
    first, second = locate(html, [("p", "Angina is chest pain & pressure."), ("p", "Rest helps.")])
    assert first[:5] == ["main.m>p", 0, True, False, 8 / 27] and second[:2] == ["main.m>p", 1]
