"""A second generated center, "Heart Health", whose chrome is worded and classed unlike the breast-cancer center's.

Its chrome sits inside the article body and rotates on every crawl round: a "Recommended Related to Heart Health"
box (heading, linked title, a sentence of prose, a "Read the ... article" link), a video teaser written as one
full sentence, and a clip note whose link sits inside its sentence (the shape of a link in the article's own text:
only the site's other pages tell it is chrome), each drawn from the round's share of a pool (``chrome.share``: no item of one round shows up in the
next). Class names are opaque and nothing in the wording matches the other center's ("Video:", "Sponsored:").
Every page also says when it was generated ("Page last updated: 13:42:06"), a time that changes every round, and
every article repeats a medical sentence ("Call 911 ...") that is content, not chrome.

Round 2 adds a sentence to one article; round 3 takes it out again.
"""

from html import escape

from . import generated
from .center import BASE_TIME, Response, not_found
from .chrome import _h, pick

PREFIX = "/heart-health/"
HUB = PREFIX + "index.html"
CALL = "Call 911 if you have chest pain that lasts more than a few minutes, even if you are not sure it is your heart."
EDITED = 1  # the article whose sentence round 2 edits
ADDED = "Ask your doctor how often your blood pressure should be checked at home."

RELATED = [
    ("Cholesterol Numbers Explained", "Your lipid panel has four numbers, and each one says something different."),
    ("Walking for a Stronger Heart", "Thirty minutes of brisk walking most days lowers blood pressure over time."),
    ("Salt and Your Arteries", "Most of the salt people eat comes from bread, soups and restaurant meals."),
    ("Sleep and Heart Rhythm", "People who sleep fewer than six hours a night have more palpitations."),
    ("Stress at Work", "Long hours and little control over the job both raise the risk of a heart attack."),
    ("Reading Food Labels", "The serving size printed on a label is often smaller than what people eat."),
    ("Statins in Plain Words", "These medicines lower cholesterol made by the liver and steady plaque."),
    ("Heart Health After Fifty", "Arteries stiffen with age, which is why pressure tends to creep up later."),
    ("Quitting Tobacco for Good", "The heart begins to recover within a year of the last cigarette smoked."),
]
TEASERS = [
    "In this short film a cardiologist shows how a stent opens a narrowed artery in under an hour.",
    "Watch a cardiac nurse walk a patient through her first week at home after bypass surgery.",
    "A dietitian cooks a low-salt dinner for four in this three-minute clip from our kitchen.",
    "See how an echocardiogram uses sound waves to show the valves of a beating heart.",
    "Two marathon runners with heart failure describe how they trained with their doctors.",
    "Our team films a day in a cardiac rehab gym, from the warm-up to the last stretch.",
    "A pharmacist explains in this clip why blood thinners must be taken at the same hour.",
    "Follow a paramedic crew as they answer a call about crushing chest pain at night.",
    "A sleep specialist demonstrates the mask that treats apnea and protects the heart.",
]


class HeartCenter:
    """The Heart Health center as it is in one round (same interface as ``center.Center``)."""

    hub_path = HUB

    def __init__(self, round, origin, articles=6, seed=0):
        self.round, self.origin, self.count, self.seed = round, origin, articles, seed

    def article(self, slug):
        i = generated.index_of(slug)
        if i is None or i >= self.count:
            return None
        return generated.article(i, 3 if i % 3 == 0 else 1, self.seed)  # one 3-page article in three

    def all_articles(self):
        return [generated.article(i, 3 if i % 3 == 0 else 1, self.seed) for i in range(self.count)]

    def pages(self, art):
        """The article's pages as blocks (tuples of ``content.Block``), with the round's edit."""
        pages = [list(blocks) for blocks in art.pages]
        pages[0].append(generated.Block("p", CALL))
        if self.round == 2 and art.slug == generated.slug(EDITED):
            first = pages[0][0]
            pages[0][0] = generated.Block("p", f"{first.text} {ADDED}")
        return pages

    def urls(self, art):
        return [PREFIX + art.slug + (f"?page={n}" if n > 1 else "") for n in range(1, len(art.pages) + 1)]

    def describe(self):
        return [
            {
                "slug": art.slug,
                "url": self.origin + self.urls(art)[0],
                "title": art.title,
                "page_urls": [self.origin + u for u in self.urls(art)],
                "blocks": [t for page in self.pages(art) for b in page for t in b.plain()],
                "status": 200,
                "pagination": "page-param" if len(art.pages) > 1 else "single",
            }
            for art in self.all_articles()
        ]

    def clutter(self):
        """Every chrome string the round shows (box titles and headings included). The "Page last updated" line is
        not chrome but metadata: the archive may keep it in a version's text, but it never makes a version."""
        out = ["Recommended Related to Heart Health"]
        for art in self.all_articles():
            for page in range(1, len(art.pages) + 1):
                title, sentence = self.related(art.slug, page)
                out += [title, sentence, f"Read the {title} article", self.teaser(art.slug, page)]
                out.append(self.clip(art.slug, page))
        return list(dict.fromkeys(out))

    def scenario(self):
        return {"edited": generated.slug(EDITED), "added_sentence": ADDED}

    def related(self, slug, page):
        return pick(RELATED, self.seed, self.round, "related", slug, page)

    def teaser(self, slug, page):
        return pick(TEASERS, self.seed, self.round, "teaser", slug, page)

    def clip(self, slug, page):
        return pick(TEASERS, self.seed, self.round, "clip", slug, page)

    def updated(self, slug, page):
        seconds = (_h(self.seed, self.round, slug, page) % 86400) if self.round > 1 else 49326 + page
        return f"Page last updated: {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def respond(self, path, query):
        modified = BASE_TIME + (self.round - 1) * 7 * 86400
        if path == "/robots.txt":
            return Response(200, b"User-agent: *\nDisallow:\n", "text/plain; charset=utf-8", modified)
        if path == HUB:
            links = "".join(
                f'<li class="c7"><a href="{self.urls(a)[0]}">{escape(a.title)}</a></li>' for a in self.all_articles()
            )
            return Response(200, _page("Heart Health Center", f"<ul>{links}</ul>").encode(), modified=modified)
        if not path.startswith(PREFIX):
            return not_found()
        art = self.article(path[len(PREFIX) :])
        number = query.removeprefix("page=") if query else "1"
        if art is None or not number.isdigit() or not 1 <= int(number) <= len(art.pages):
            return not_found()
        return Response(200, self.page(art, int(number)).encode(), modified=modified)

    def page(self, art, number):
        urls = self.urls(art)
        blocks = [_block(b) for b in self.pages(art)[number - 1]]
        title, sentence = self.related(art.slug, number)
        href = "/features/" + title.lower().replace(" ", "-")
        box = (
            f'<div class="qz7 t0"><h3 class="qz7h">Recommended Related to Heart Health</h3>'
            f"<h4>{escape(title)}</h4><p>{escape(sentence)}</p>"
            f'<p class="qz7m"><a href="{href}">Read the {escape(title)} article &gt;&gt;</a></p></div>'
        )
        video = f"/video/{_h(self.teaser(art.slug, number)) % 1000}"
        teaser = (
            f'<div class="vv2"><a href="{video}"><img src="/img/play.png" alt=""></a>'
            f"<p>{escape(self.teaser(art.slug, number))}</p></div>"
        )
        clip = self.clip(art.slug, number)
        note = f'<div class="w5r"><p>{escape(clip)} <a href="/video/{_h(clip) % 1000}">Play</a></p></div>'
        blocks.insert(min(3, len(blocks)), note)
        blocks.insert(min(2, len(blocks)), box)
        blocks.insert(1, teaser)
        pager = ""
        if len(urls) > 1:
            pager = " ".join(
                f'<a href="{u}">{n}</a>' if n != number else f"<b>{n}</b>" for n, u in enumerate(urls, start=1)
            )
            if number < len(urls):
                pager += f' <a rel="next" href="{urls[number]}">Next page</a>'
            pager = f'<div class="pp4">{pager}</div>'
        heading = escape(art.title) + (f" (page {number})" if number > 1 else "")
        main = (
            f'<article class="a9x"><h1>{heading}</h1><div class="b2k">{"".join(blocks)}</div>{pager}'
            f'<p class="u3">{self.updated(art.slug, number)}</p></article>'
        )
        return _page(art.title + (f" - page {number}" if number > 1 else ""), main)


def _block(block):
    if block.kind == "ul":
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>"
    tag = "h2" if block.kind.startswith("h") else "p"
    return f"<{tag}>{escape(block.text)}</{tag}>"


def _page(title, main):
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | Heart Health</title>'
        f'</head><body><div class="n0"><a href="/">Home</a> <a href="{HUB}">Heart Health</a></div>'
        f'<main class="m4">{main}</main><div class="f9"><p>Heart Health is a sample site.</p></div></body></html>'
    )
