"""Site profiles: what a spider needs to know about a site, as data.

A profile is a TOML file in ``crawler/profiles/`` (``generic.toml`` is the default). Every key is optional:

```toml
start_urls = ["https://www.webmd.com/breast-cancer/default.htm"]
scope_hosts = ["www.webmd.com"]      # hosts a center crawl may visit (default: the hub's)
scope_paths = ["/breast-cancer/"]    # path prefixes (default: the hub's folder)
article_links = "//main//a"          # XPath of the hub areas holding article links (default: the whole page)
article_allow = ['/breast-cancer/']  # regexes an article URL must match (default: anything in scope)
article_deny = ['/default\\.htm$']   # regexes that exclude URLs from being articles
next_page = "//a[@class='next']"     # XPath of the next-page link (default: rel=next, pager links, "Next")
parts = "//nav[@class='tabs']//a"    # XPath of links to the other parts of a multi-part article, in order
prune = ["//div[@class='promo']"]    # extra XPaths removed before extraction
review_date = ["meta:cdc:last_reviewed", "jsonld:lastReviewed", "text:Page last reviewed:"]
day_first = true                     # numeric dates are DD/MM/YYYY (default MM/DD/YYYY)
discovery = ["hubs", "sitemaps"]     # where a site spider finds articles (also "topics", "content_api")
sitemap_urls = ["https://.../sitemap.xml"]
sitemap_follow = ['/conditions']     # regexes: the sub-sitemaps of an index to read (default: all)
topics_index = "https://medlineplus.gov/xml.html"   # "topics": the page linking MedlinePlus's topic XML
content_api = "https://api.service.nhs.uk/nhs-website-content/"   # "content_api": NHS website content API
```

``review_date`` names where a page says when it was last reviewed or updated, first match wins, before the generic
places every page is searched for (``pipelines/reviewed.py``): ``meta:NAME`` (a meta tag's name, property or
itemprop), ``jsonld:KEY`` (a schema.org JSON-LD property), ``text:PREFIX`` (a visible line starting with PREFIX,
followed by the date).
"""

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipelines.reviewed import check_source

PROFILE_DIR = Path(__file__).with_name("profiles")
# Where a site spider finds articles (crawler/sitemaps.py, crawler/feeds.py).
DISCOVERY = ("hubs", "sitemaps", "topics", "content_api")


@dataclass(frozen=True)
class Profile:
    name: str = "generic"
    description: str = ""
    start_urls: tuple[str, ...] = ()
    scope_hosts: tuple[str, ...] = ()
    scope_paths: tuple[str, ...] = ()
    article_links: str | None = None
    article_allow: tuple[str, ...] = ()
    article_deny: tuple[str, ...] = ()
    next_page: str | None = None
    parts: str | None = None
    prune: tuple[str, ...] = ()
    review_date: tuple[str, ...] = ()
    day_first: bool = False
    discovery: tuple[str, ...] = ("hubs", "sitemaps")
    sitemap_urls: tuple[str, ...] = ()
    sitemap_follow: tuple[str, ...] = field(default=())
    topics_index: str | None = None
    content_api: str | None = None


class UnknownProfile(ValueError):
    pass


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load_profile(name: str | None) -> Profile:
    """The profile called ``name`` (``generic`` when None); a clear error for an unknown name. Only a profile of
    ``crawler/profiles/`` is ever read, by its name (``-a profile=../../x`` is an unknown profile, not a path)."""
    name = name or "generic"
    path = PROFILE_DIR / f"{name}.toml"
    if name not in profile_names() or not path.is_file():
        raise UnknownProfile(f"unknown profile {name!r}; known profiles: {', '.join(profile_names())}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in fields(Profile)}
    unknown = set(data) - known
    if unknown:
        raise UnknownProfile(f"profile {name!r} has unknown keys: {', '.join(sorted(unknown))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    problems = [f"unknown discovery source {d!r}" for d in values.get("discovery", ()) if d not in DISCOVERY]
    problems += [p for p in map(check_source, values.get("review_date", ())) if p]
    if problems:
        raise UnknownProfile(f"profile {name!r}: {problems[0]}")
    return Profile(name=name, **values)
