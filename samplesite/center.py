"""What the site serves in one round: its articles, their URLs and every response.

A Center is immutable; the server swaps in a new one when the round changes, so a
request always sees one consistent round.
"""

import hashlib
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate
from types import SimpleNamespace
from urllib.parse import parse_qs

from . import generated, templates
from .chrome import LABELS, Chrome
from .content import HOSTILE, SCENARIO, articles_for, removed_for
from .pdf import make_pdf

PREFIX = "/breast-cancer/"
PARAM = {"page-param": "page", "link-next": "pg", "a-next": "part"}
BASE_TIME = 1772438400  # 2026-03-02 08:00 UTC; each round is published a week later
ROBOTS = "User-agent: *\nDisallow: /breast-cancer/print/\nDisallow: /search/\n"
PDF = make_pdf(
    [
        "Breast Cancer Treatment Guide",
        "Surgery, radiation and drug treatments explained.",
        "Talk with your care team about which options fit you.",
    ]
)
DIABETES = {
    "/diabetes/type-2-diabetes-basics": "Type 2 Diabetes Basics",
    "/diabetes/blood-sugar-testing": "Testing Your Blood Sugar",
}


@dataclass
class Response:
    status: int
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    modified: int = 0  # Last-Modified as a Unix time; 0 for error pages
    headers: dict = field(default_factory=dict)

    @property
    def etag(self):
        return f'"{hashlib.md5(self.body).hexdigest()}"'

    @property
    def last_modified(self):
        return formatdate(self.modified, usegmt=True)


def page_path(art, n):
    """Path (with query) of page n of an article."""
    base = PREFIX + art.slug
    if n == 1:
        return base
    if art.pagination == "path":
        return f"{base}/{n}"
    return f"{base}?{PARAM[art.pagination]}={n}"


def not_found():
    return Response(
        404,
        b"<!DOCTYPE html><html><head><title>Page Not Found</title></head>"
        b"<body><h1>Page Not Found</h1><p>We could not find that page.</p></body></html>",
    )


class Center:
    """The breast-cancer center (or the generated benchmark center) as it is in one round."""

    def __init__(self, round, origin, hostile=False, seed=0, generated=0, pages_per_article=3):
        self.round, self.origin, self.hostile = round, origin, hostile
        self.generated, self.pages_per_article, self.seed = generated, pages_per_article, seed
        self.chrome = Chrome(seed, round)
        if generated:
            self._arts, self._removed = {}, {}
        else:
            self._arts = {a.slug: a for a in articles_for(round, hostile)}
            self._removed = {a.slug: a for a in removed_for(round)}
        self._hub = None

    # --- model -----------------------------------------------------------------------------

    def article(self, slug):
        """The live article with this slug, or None."""
        if not self.generated:
            return self._arts.get(slug)
        i = generated.index_of(slug)
        if i is None or i >= self.generated:
            return None
        return generated.article(i, self.pages_per_article, self.seed)

    def listing(self):
        """Hub entries (slug, title, summary) in hub order, without building generated articles."""
        if not self.generated:
            return list(self._arts.values())
        return [
            SimpleNamespace(slug=generated.slug(i), title=generated.title(i), summary=generated.summary(i))
            for i in range(self.generated)
        ]

    def all_articles(self):
        if not self.generated:
            return list(self._arts.values())
        return [generated.article(i, self.pages_per_article, self.seed) for i in range(self.generated)]

    def describe(self):
        """site.articles(): live articles, then removed ones (status 404)."""
        out = []
        for status, arts in ((200, self.all_articles()), (404, self._removed.values())):
            for art in arts:
                urls = [self.origin + page_path(art, n) for n in range(1, len(art.pages) + 1)]
                out.append(
                    {
                        "slug": art.slug,
                        "url": urls[0],
                        "title": art.title,
                        "page_urls": urls,
                        "blocks": art.blocks(),
                        "status": status,
                        "pagination": art.pagination,
                    }
                )
        return out

    def clutter(self):
        slugs = [a.slug for a in self.listing()] + list(self._removed)
        pages = (
            self.pages_per_article
            if self.generated
            else max(len(a.pages) for a in [*self._arts.values(), *self._removed.values()])
        )
        return LABELS + self.chrome.strings(slugs, pages)

    def scenario(self):
        if self.generated:
            return {}
        out = dict(SCENARIO)
        if self.hostile:
            out["hostile"] = HOSTILE.slug
        return out

    # --- responses -------------------------------------------------------------------------

    def modified(self, key):
        """Last-Modified: fixed per page and round, later in every round."""
        return BASE_TIME + (self.round - 1) * 7 * 86400 + zlib.crc32(key.encode()) % (5 * 86400)

    def ok(self, key, body, ctype="text/html; charset=utf-8"):
        if isinstance(body, str):
            body = body.encode()
        return Response(200, body, ctype, self.modified(key))

    def respond(self, path, query):
        """The response for a GET of path?query."""
        if path == "/robots.txt":
            return self.ok(path, ROBOTS, "text/plain; charset=utf-8")
        if path == "/":
            return self.ok(
                path,
                templates.plain_page(
                    "HealthCenter",
                    [(templates.HUB, templates.CENTER), ("/diabetes/default.htm", "Diabetes Health Center")],
                ),
            )
        if path == "/diabetes/default.htm":
            return self.ok(path, templates.plain_page("Diabetes Health Center", [(p, t) for p, t in DIABETES.items()]))
        if path in DIABETES:
            return self.ok(path, templates.plain_page(DIABETES[path], [("/diabetes/default.htm", "Back")]))
        if not path.startswith(PREFIX):
            return not_found()
        rest = path[len(PREFIX) :]
        if rest == "":
            return Response(301, headers={"Location": templates.HUB})
        if rest == "default.htm":
            return self.ok(path, self.hub())
        if rest == "treatment-guide.pdf":
            return self.ok(path, PDF, "application/pdf")
        if rest.startswith("print/"):
            art = self.article(rest[6:])
            return self.ok(path, templates.print_page(art)) if art else not_found()
        return self.article_response(rest, query)

    def article_response(self, rest, query):
        slug, _, num = rest.partition("/")
        art = self.article(slug)
        if art is None:
            return not_found()
        n = len(art.pages)
        if num:
            if art.pagination != "path" or not num.isdigit() or not 2 <= int(num) <= n:
                return not_found()
            page = int(num)
        elif art.pagination in PARAM:
            value = parse_qs(query).get(PARAM[art.pagination], ["1"])[-1]
            if not value.isdigit() or not 1 <= int(value) <= n:
                return not_found()
            page = int(value)
        else:
            page = 1
        if self.round == 2 and not self.generated and slug == SCENARIO["failing"] and page == SCENARIO["failing_page"]:
            return Response(
                503, b"<html><body><h1>Service Unavailable</h1></body></html>", headers={"Retry-After": "120"}
            )
        urls = [page_path(art, i) for i in range(1, n + 1)]
        html = templates.article_page(art, page, urls, self.chrome, self.origin)
        return self.ok(f"{slug}/{page}", html)

    def hub(self):
        # Benign race: two threads may both render it once.
        if self._hub is None:
            entries = self.listing()
            urls = {e.slug: PREFIX + e.slug for e in entries}
            extra = templates.tools_box(entries[0].slug, entries[0].title) if entries else ""
            self._hub = templates.hub_page(entries, urls, self.chrome, extra=extra)
        return self._hub
