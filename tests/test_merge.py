"""Merging multi-page articles, cross-article template blocks, text normalisation."""

from archive.text import content_hash, normalize_text
from pipelines.chrome import SiteChrome
from pipelines.clean import blocks_to_text, extract_one
from pipelines.extract import extract_page
from pipelines.merge import merge_pages

URL = "https://www.example-health.com/allergies/news/peanut-study"
TITLE = "Babies Who Eat Peanuts Early May Avoid Allergy"
TEASER = "Video: what happens during an allergy test, and how to prepare your child for it."

# Paragraphs per page, long enough to read as article text.
BODY = [
    [
        "Life-threatening peanut allergies have been on the rise in the past decade, "
        "with little hope for a cure, doctors say in a new report on young children.",
        "Parents have been told for years to avoid giving foods containing peanuts to "
        "babies for fear of triggering an allergy, but new research shows the opposite.",
    ],
    [
        "In the study, children at high risk who ate peanut snacks by 11 months of age "
        "cut their chances of becoming allergic by more than 80 percent overall.",
        "Experts say the research should change the guidance that doctors give to parents "
        "of infants who already have eczema or an egg allergy at a young age.",
    ],
    [
        "A skin patch allowed people with peanut allergies to eat tiny amounts of peanuts "
        "after they wore it for a year, a second study presented at the meeting found.",
        "Researchers cautioned that families should not try this at home without the "
        "supervision of an allergist, because reactions can still be very severe.",
    ],
]


def webmd_page(n: int, pages: int = 3) -> str:
    """Page ``n`` (1-based) in the style of WebMD's classic health-center template."""
    pager = " | ".join(f'<a href="?page={i}">{i}</a>' if i != n else str(i) for i in range(1, pages + 1))
    heading = TITLE if n == 1 else "A Change in Guidelines? continued..."
    paras = "".join(f"<p>{p}</p>" for p in BODY[n - 1])
    promo = (
        """<div class="box"><h3>Recommended Related to Allergies</h3>
        <h2><a href="/a/1">Peanut Allergy Basics</a></h2>
        <p>Peanut allergy is one of the most common food allergies in children.</p>
        <a href="/a/1">Read the Peanut Allergy Basics article &gt; &gt;</a></div>"""
        if n == 1
        else ""
    )
    return f"""<html><head><title>Allergies Health Center - Page {n}</title></head><body>
      <header><a href="#main">Skip to content</a><nav><ul><li><a href="/">Home</a></li>
        <li><a href="/a">Allergies</a></li><li><a href="/b">Asthma</a></li></ul></nav></header>
      <div id="content"><div class="col-main"><div class="article">
        <div class="teaser"><p>{TEASER}</p></div>
        <h1>{TITLE}</h1>
        <div class="tools"><div>Font Size</div><a href="#">A</a> <a href="#">A</a> <a href="#">A</a></div>
        <h2>{heading}</h2>{paras}{promo}
        <div class="pagination"><div>{pager}</div><div><a href="?page={n + 1}">Next Page &gt;</a></div></div>
      </div></div>
      <div class="col-right"><h2>Today on WebMD</h2><ul>
        <li><a href="/x/1">12 Natural Ways to Defeat Allergies</a></li>
        <li><a href="/x/2">Need Nasal Allergy Relief?</a></li></ul></div></div>
      <footer><p>Copyright Example Health. All rights reserved.</p></footer></body></html>"""


def test_synthetic_webmd_article():
    pages = [extract_page(webmd_page(n), f"{URL}?page={n}") for n in (1, 2, 3)]
    merged = merge_pages(pages)
    text = blocks_to_text(merged["blocks"])
    paras = [p for page in BODY for p in page]
    positions = [text.find(p) for p in paras]
    assert -1 not in positions and positions == sorted(positions)  # all kept, in order
    assert text.count(TITLE) <= 1
    for junk in (
        "continued",
        "Next Page",
        "1 | 2 | 3",
        "Font Size",
        "Skip to content",
        "Today on WebMD",
        "Recommended Related to",
        "article > >",
        TEASER,
        "one of the most common food allergies",
        "12 Natural Ways",
    ):
        assert junk not in text, junk


def _page(*blocks, **meta):
    return {"title": meta.pop("title", None), "blocks": list(blocks), **meta}


def test_merge_drops_repeats_pager_and_continued():
    teaser = ("p", "Video teaser shown on every page")
    pages = [
        _page(
            teaser,
            ("h", "Peanut Allergy"),
            ("h", "Overview"),
            ("p", "First page text."),
            ("p", "1 | 2 | 3"),
            ("p", "Next Page >"),
            title="Peanut Allergy",
            author="A. Writer",
        ),
        _page(
            teaser,
            ("h", "Peanut Allergy"),
            ("h", "Overview"),
            ("h", "Treatment (continued)"),
            ("li", "Second page item"),
            ("p", "Page 2 of 3"),
            reviewed_by="Dr. R",
        ),
        _page(teaser, ("h", "Outlook"), ("p", "Third page text."), ("p", "< Previous Page")),
    ]
    merged = merge_pages(pages)
    assert merged["blocks"] == [
        ("h", "Overview"),
        ("p", "First page text."),
        ("li", "Second page item"),
        ("h", "Outlook"),
        ("p", "Third page text."),
    ]
    assert merged["title"] == "Peanut Allergy"
    assert merged["author"] == "A. Writer" and merged["reviewed_by"] == "Dr. R"
    assert merged["date"] is None


def test_merge_keeps_a_sentence_the_article_repeats():
    """A warning said on pages 1 and 3 among their own paragraphs is the article's text, twice; the teaser at the top
    of every page and a callout box repeated inside every page's text are the pages' template."""
    warning = "Call 911 right away if your child has trouble breathing or swelling of the face after eating."
    box = '<div class="callout"><p>Our allergy experts answer your questions in a weekly live chat.</p></div>'

    def page(n):
        html = webmd_page(n)
        first, second = BODY[n - 1]
        middle = f"<p>{warning}</p>" if n != 2 else ""
        return html.replace(f"<p>{second}</p>", f"{box}{middle}<p>{second}</p>")

    pages = [extract_one(f"{URL}?page={n}", page(n), first=n == 1) for n in (1, 2, 3)]
    text = blocks_to_text(merge_pages(pages)["blocks"])
    assert text.count(warning) == 2
    assert TEASER not in text and "live chat" not in text
    assert all(p in text for page in BODY for p in page)


def test_single_page_keeps_everything_but_pager():
    page = _page(("h", "Title"), ("p", "Same line."), ("p", "Same line."), ("p", "1 | 2"))
    assert merge_pages([page])["blocks"] == [("h", "Title"), ("p", "Same line."), ("p", "Same line.")]


def test_blocks_to_text():
    text = blocks_to_text([("h", "Title"), ("p", "Para."), ("li", "one"), ("li", "two")])
    assert text == "Title\n\nPara.\n\n- one\n\n- two"


def test_review_statement_becomes_metadata():
    html = f"""<html><body><article><h1>{TITLE}</h1>
      <p>{BODY[0][0]}</p><p>{BODY[0][1]}</p>
      <p>WebMD Medical Reference Reviewed by Jane Doe, MD on March 01, 2024</p>
      <p>{BODY[1][0]}</p></article></body></html>"""
    page = extract_page(html, URL)
    assert page["reviewed_by"] == "Jane Doe, MD"
    assert page["reviewed_on"] == "March 01, 2024"
    assert not any("Reviewed by" in t for _, t in page["blocks"])


def test_template_blocks():
    """A block repeated across articles is chrome when its structure agrees (here: outside the main container)."""
    tb = SiteChrome(min_articles=3)
    promo = ("p", "Sign up for our  free health newsletter!")
    outside = ["~p.x", 9, True, True, 0.0, 0.0, 0.01]
    for i in range(3):
        tb.learn("example.com", f"a{i}", [("h", "Symptoms"), promo, ("p", f"Body {i}.")], [None, outside, None])
    tb.learn("example.com", "a0", [promo])  # same article again
    assert tb.is_chrome("example.com", "p", "Sign up for our free health newsletter!")
    assert not tb.is_chrome("other.org", *promo)  # per host
    assert not tb.is_chrome("example.com", "h", "Symptoms")  # repeated, but nothing structural says chrome
    assert not tb.is_chrome("example.com", "p", "Body 1.")
    blocks = [("h", "Symptoms"), promo, ("p", "Body 9.")]
    assert tb.strip("example.com", blocks) == [("h", "Symptoms"), ("p", "Body 9.")]


def test_template_needs_distinct_articles_and_is_bounded():
    tb = SiteChrome(min_articles=2, max_entries=10)
    tb.learn("h", "a", [("p", "x")])
    tb.learn("h", "a", [("p", "x")])
    assert not tb.is_chrome("h", "p", "x")
    for i in range(50):
        tb.learn("h", f"b{i}", [("p", f"unique {i}")])
    assert len(tb) == 10


def test_chrome_found_gives_its_texts_and_forgets_evicted_ones():
    tb = SiteChrome(min_articles=2, max_entries=4)
    outside = ["~div", 0, True, True, 0.0, 0.0, 0.1]  # outside the article's main container: structure agrees
    for article in ("a", "b"):
        blocks = [("p", "Sign up  for our Newsletter"), ("- li", "- Share this page"), ("p", article)]
        tb.learn("h", article, blocks, [outside, outside, None])
    assert sorted(tb.found()["h"]) == ["share this page", "sign up for our newsletter"]
    for i in range(10):  # unique blocks push the chrome out of the bounded memory: it is forgotten, texts included
        tb.learn("h", f"c{i}", [("p", f"unique {i}")])
    assert tb.found() == {} and not tb.is_chrome("h", "p", "Sign up for our newsletter")
    assert len(tb._texts) == 0


def test_normalize_and_hash_are_stable():
    curly = "\u201cPeanuts\u201d aren\u2019t nuts \u2014 they\u2019re legumes.  \n\n\n\nNext para. "
    straight = "\"Peanuts\" aren't nuts - they're legumes.\n\nNext para."
    assert normalize_text(curly) == straight
    assert content_hash(curly) == content_hash(straight)
    assert content_hash(straight).startswith("sha256:") and len(content_hash("")) == 71
    assert normalize_text("e\u0301") == "\u00e9"  # NFC
    assert content_hash("a b") != content_hash("a\n\nb")  # paragraphs matter


def test_clutter_cue_never_takes_the_article():
    short = ["Peanut snacks helped.", "Fewer kids got allergies.", "Doctors agree now."]
    html = f"""<html><body><nav><a href="/">Home</a> <a href="/n">News</a></nav>
      <div class="story"><h1>{TITLE}</h1><p>{short[0]}</p><div>Advertisement</div>
      <p>{short[1]}</p><div class="share">Share</div><p>{short[2]}</p></div>
      <div class="newsletter"><p>Get our weekly health tips in your inbox.</p>
      <a href="/signup">Subscribe</a></div></body></html>"""
    text = blocks_to_text(extract_page(html, URL)["blocks"])
    assert all(s in text for s in short)
    assert "Advertisement" not in text and "weekly health tips" not in text


def _modern_page(body: str, title: str = TITLE) -> str:
    """A page in a Next.js health-essentials style: opaque class names, in-body ads."""
    ad = (
        '<div class="q5"><div class="q5a"><p>Advertisement</p><div class="r9">Sponsored: Compare '
        'hearing aids near you before the sale ends.</div><div class="t4"><p>Example Health is a '
        "non-profit medical center. Advertising on our site helps support our mission. We do not "
        'endorse non-Example products or services. <a href="/ad-policy">Policy</a></p></div></div></div>'
    )
    cards = "".join(
        f'<div class="c2"><h5><a href="/f/{i}">Feature {i}</a></h5><p>A short teaser for feature number {i}.</p></div>'
        for i in range(6)
    )
    legal = (
        "Example Health does not provide medical advice, diagnosis or treatment. Any content "
        "on this site is for information only. " * 3
    )
    return f"""<html><head><title>{title} – Example Health</title></head><body>
      <div class="m3" role="dialog"><p>Cookies help us run the site and measure traffic. Our cookie
        policy was updated on May 20. <a href="/privacy">Privacy Policy</a></p><button>Accept</button></div>
      <header><h1>Allergy Health Center</h1></header>
      <main><div class="w3"><h2>{title}</h2><div class="a4">By Jane Q. Doe, MD</div>
        <div class="p4">Updated 12 minutes ago</div></div>
      <div class="w4"><div class="rt">
        <div class="v7"><a href="/video/1"><img src="/p.png" alt=""> Video: Allergy shots explained</a>
          <p>An allergist shows what happens at a first appointment, step by step.</p></div>
        {body.replace("<!--ad-->", ad)}
        <form class="n1"><p>Sign up for our free Allergy newsletter with expert tips and stories.</p>
          <button>Subscribe</button></form></div>
        <p class="e0">Learn more about our editorial process.</p></div>
      <section class="g4"><h3>Related Articles</h3>{cards}</section></main>
      <footer><p>{legal}</p></footer></body></html>"""


def test_ads_policy_notes_cookies_bylines_and_teasers_go():
    body = (
        f"<p>{BODY[0][0]}</p><!--ad--><h3>Who is at risk?</h3><p>{BODY[0][1]}</p>"
        f"<p>{BODY[1][0]}</p><!--ad--><p>{BODY[1][1]}</p>"
    )
    page = extract_page(_modern_page(body), URL)
    assert page["blocks"] == [
        ("p", BODY[0][0]),
        ("h", "Who is at risk?"),
        ("p", BODY[0][1]),
        ("p", BODY[1][0]),
        ("p", BODY[1][1]),
    ]
    assert page["title"] == TITLE  # the <title>'s heading, not the center's <h1>


def test_widget_cue_never_takes_a_short_page():
    """On a short page the article text is smaller than a newsletter box's budget: a heading
    plus one paragraph, or two paragraphs, are article body, never part of the widget."""
    for body in (f"<h3>Who is at risk?</h3><p>{BODY[2][0]}</p>", f"<p>{BODY[2][0]}</p><p>{BODY[2][1]}</p>"):
        text = blocks_to_text(extract_page(_modern_page(body), URL)["blocks"])
        assert BODY[2][0] in text, body
        assert "newsletter" not in text and "Sponsored" not in text


def test_merge_and_chrome_keep_the_page_of_each_block():
    from pipelines.clean import Cleaned, without_chrome

    pages = [
        {"title": "T", "blocks": [("h", "T"), ("p", "one a"), ("p", "teaser")]},
        {"title": "T", "blocks": [("p", "teaser"), ("p", "two a"), ("li", "two b")]},
        {},
        {"title": "T", "blocks": [("p", "four a")]},
    ]
    merged = merge_pages(pages)
    assert merged["blocks"] == [("p", "one a"), ("p", "two a"), ("li", "two b"), ("p", "four a")]
    assert merged["pages"] == [1, 2, 2, 4]
    article = Cleaned("T", merged["blocks"], {}, merged["pages"])
    assert article.page_starts(4) == [0, 1, 3, 3]  # page 3 kept nothing: it starts where page 4 does

    class Chrome:
        def is_chrome(self, host, kind, text, slot=None):
            return text == "two a"

    stripped = without_chrome(article, Chrome(), "h.example")
    assert stripped.pages == [1, 2, 4] and stripped.page_starts(4) == [0, 1, 2, 2]
    assert Cleaned("T", merged["blocks"], {}).page_starts(4) is None  # pages unknown
