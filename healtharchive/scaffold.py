"""``healtharchive genspider NAME URL``: scaffold a spider for a new site (as city-scrapers' genspider does).

From one article page of the site it writes, under the repository root:

- ``crawler/profiles/NAME.toml``: the site's profile (start URL, scope, article rule, sitemaps from
  robots.txt, an empty prune list), with comments on what to fill in;
- ``crawler/spiders/NAME.py``: the spider, ``scrapy crawl NAME``;
- ``tests/files/NAME/<page>.html``: the page as fetched (with the project's User-Agent), or as read from a
  local file for offline use (``URL`` may be a path; ``--url`` then gives the page's real address, else
  its rel=canonical is used);
- ``tests/test_spider_NAME.py``: tests built from that page in the style of the supported sites' tests
  (``tests/test_site_pages.py``): the profile loads, the spider starts, the pagination rules find what they found at
  scaffold time, the archived text holds openings of the article's paragraphs (``MUST_HAVE``) and none of the page's
  chrome (``MUST_NOT``: lines of its header, navigation, footer and asides that cleaning leaves out, each checked to be
  on the page), and ``reviewed_on`` is the date the page gave at scaffold time;
- a section in ``tests/files/SOURCES.md``: where the saved page came from and when (its licence is a TODO).

See docs/adding-a-site.md.
"""

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from posixpath import dirname
from urllib.parse import urljoin, urlsplit

import click

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
RESERVED = {"generic", "healthcenter", "pages", "sitemaps", "articles", "test"}
MAX_BYTES = 10 * 1024 * 1024


class ScaffoldError(click.ClickException):
    pass


def fetch(url: str, timeout: float = 30.0) -> tuple[bytes, str]:
    """(body, final URL) of an http(s) page, fetched with the project's User-Agent."""
    import urllib.request

    from crawler.settings import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            final = response.geturl()
    except OSError as exc:
        raise ScaffoldError(f"cannot fetch {url}: {exc}") from exc
    if len(body) > MAX_BYTES:
        raise ScaffoldError(f"{url} is larger than {MAX_BYTES // 1024 // 1024} MB")
    return body, final


def page_address(body: bytes, given: str | None, source: str) -> str:
    """The page's real URL: ``--url``, else its rel=canonical or og:url."""
    if given:
        return given
    from scrapy.http import HtmlResponse

    response = HtmlResponse(url="http://localhost/", body=body)
    href = (
        response.xpath("//link[@rel='canonical']/@href").get()
        or response.xpath("//meta[@property='og:url']/@content").get()
    )
    if href and href.strip().startswith(("http://", "https://")):
        return href.strip()
    raise ScaffoldError(f"{source} is a local file with no rel=canonical: give its real address with --url URL")


def file_name(url: str) -> str:
    """``tests/files/NAME/<this>``: the page's last path segment, as a safe ``.html`` name."""
    path = urlsplit(url).path.rstrip("/")
    stem = path.rsplit("/", 1)[-1] if path else "index"
    stem = re.sub(r"\.(s?html?|php|aspx?|jsp)$", "", stem, flags=re.I)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "index"
    return f"{stem[:80]}.html"


def folder_of(url: str) -> str:
    """The folder holding the page: ``/conditions/`` for ``/conditions/asthma/`` and ``/conditions/asthma``."""
    return dirname(urlsplit(url).path.rstrip("/")).rstrip("/") + "/"


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Spider"


def snippets(blocks, count: int = 3, words: int = 10) -> list[str]:
    """Short openings of a few long paragraphs (first, middle, last) of the cleaned text."""
    paragraphs = [text for kind, text in blocks if kind in ("p", "li", "quote") and len(text) >= 80]
    if not paragraphs:
        paragraphs = [text for _, text in blocks if len(text) >= 20]
    picks = sorted({0, len(paragraphs) // 2, len(paragraphs) - 1}) if paragraphs else []
    out = []
    for i in picks[:count]:
        out.append(" ".join(paragraphs[i].split()[:words]))
    return out


CHROME_AREAS = (
    "//header | //nav | //footer | //aside | //*[@role='navigation' or @role='banner' or @role='contentinfo']"
)


def chrome_lines(body: bytes, text: str, count: int = 5) -> list[str]:
    """Lines of the page's header, navigation, footer and asides that the cleaned ``text`` leaves out: the page's own
    chrome, as MUST_NOT candidates (short, with letters, each once)."""
    import lxml.html

    tree = lxml.html.fromstring(body)
    for node in tree.xpath("//script | //style | //noscript | //template"):
        node.drop_tree()
    flat = " ".join(text.split())
    found: list[str] = []
    for area in tree.xpath(CHROME_AREAS):
        for piece in area.xpath(".//text()"):
            line = " ".join(piece.split())
            if 12 <= len(line) <= 80 and any(c.isalpha() for c in line) and line not in flat and line not in found:
                found.append(line)
                if len(found) == count:
                    return found
    return found


def analyse(body: bytes, url: str, name: str) -> dict:
    """What the pipeline and the generic rules make of the page today."""
    from scrapy.http import HtmlResponse

    from crawler.articles import ArticleSpider, Assembly
    from pipelines.clean import clean_article

    response = HtmlResponse(url=url, body=body)
    spider = ArticleSpider(name=f"genspider-{name}")
    asm = Assembly(first_url=url, key=url)
    asm.requested_urls.add(url)
    next_url = spider.next_page(response, asm, 1)
    article = clean_article([(url, response.text)])
    return {
        "next_page": next_url,
        "title": article.title,
        "blocks": article.blocks,
        "canonical": spider.article_key(response),
        "chrome": chrome_lines(body, article.text),
        "reviewed_on": article.meta.get("reviewed_on"),
    }


def toml_str(value: str) -> str:
    """A TOML literal string when possible (regexes read as written), else a basic string."""
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_profile(name: str, url: str, hub: str, info: dict, saved: str) -> str:
    parts = urlsplit(url)
    folder = folder_of(url)
    allow = re.escape(folder) + r"[^/]+/?$"
    robots = f"{parts.scheme}://{parts.netloc}/robots.txt"
    next_note = (
        f"# At scaffold time the generic rules found a next page: {info['next_page']}"
        if info["next_page"]
        else "# At scaffold time the generic rules found no next page on the saved page."
    )
    return textwrap.dedent(f"""\
        # {name}: scaffolded by `healtharchive genspider` on {saved} from {url}
        # Saved page: tests/files/{name}/{file_name(url)}. Fill in the TODOs, then run
        # `.venv/bin/python -m pytest tests/test_spider_{name}.py`. Keys: see crawler/profiles.py and docs/adding-a-site.md.
        description = {toml_str(f"{parts.netloc} articles (scaffolded; TODO: describe the site)")}
        # TODO: the site's hub pages (A-Z index, topic index) that link to its articles.
        start_urls = [{toml_str(hub)}]
        scope_hosts = [{toml_str(parts.netloc)}]
        scope_paths = [{toml_str(folder)}]
        # Article URLs: regexes searched in the absolute URL (TODO: check against a few more articles).
        article_allow = [{toml_str(allow)}]
        article_deny = []
        {next_note}
        # If the site paginates differently, set next_page (XPath of the next page's link) or, for an article
        # split into parts/tabs, parts (XPath of the links to its other parts, in order):
        # next_page = "//a[@rel='next']/@href"
        # parts = "//nav[@class='tabs']//a/@href"
        # TODO: XPaths of clutter that survives cleaning (see the MUST_NOT list of the test). Prefer structure (ids,
        # data- attributes, design-system classes, DOM position) to text, e.g. "//div[@data-module='related']".
        prune = []
        # Where the page says when it was reviewed or updated, searched before the generic places (crawler/profiles.py):
        # "meta:NAME", "jsonld:KEY", "text:PREFIX". At scaffold time the page gave: {info["reviewed_on"] or "no date"}.
        review_date = []
        # Where the spider finds articles: the hubs above, the sitemaps below.
        discovery = ["hubs", "sitemaps"]
        # Sitemaps: those robots.txt lists (entries are taken when they match the article rules above).
        sitemap_urls = [{toml_str(robots)}]
        """)


def render_spider(name: str, url: str, saved: str) -> str:
    return textwrap.dedent(f'''\
        """``scrapy crawl {name}``: {urlsplit(url).netloc}, with the ``{name}`` profile.

        Scaffolded by ``healtharchive genspider`` on {saved} from {url}.
        Checked against a saved page: ``tests/files/{name}/{file_name(url)}`` (that page only; TODO: say here
        what else was checked, and what was not).
        """

        from crawler.sitemaps import SiteSpider


        class {class_name(name)}(SiteSpider):
            name = "{name}"
            profile_name = "{name}"
        ''')


def render_test(name: str, url: str, info: dict, saved: str, origin: str) -> str:
    must = "".join(f"    {s!r},\n" for s in snippets(info["blocks"]))
    must_not = "".join(f"    {s!r},\n" for s in info["chrome"])
    return textwrap.dedent('''\
        """The {name} spider, tested on its saved page in the style of the supported sites' tests.

        Scaffolded by ``healtharchive genspider`` on {saved}. The saved page ``tests/files/{name}/{page}`` is
        {url}, {origin} (recorded in tests/files/SOURCES.md).
        MUST_HAVE holds openings of the article's paragraphs as the pipeline cleaned them then; MUST_NOT holds lines of
        the page's header, navigation, footer and asides that cleaning left out; REVIEWED_ON is the date the page gave.
        Check them against the page: add the sentences that must be archived and the chrome that must not (menus,
        "Related" boxes, promos, newsletter and cookie boxes, share bars, date lines), then prune XPaths to the profile
        until the test passes.
        """

        from pathlib import Path

        import pytest
        from lxml import html as lxml_html
        from scrapy.http import HtmlResponse

        from crawler.articles import Assembly
        from crawler.profiles import load_profile
        from crawler.spiders.{name} import {cls}
        from pipelines.clean import clean_article
        from pipelines.reviewed import ReviewRules

        PAGE = Path(__file__).with_name("files") / "{name}" / "{page}"
        URL = {url!r}
        NEXT_PAGE = {next_page!r}  # what the pagination rules found on this page at scaffold time

        MUST_HAVE = [
        {must}]
        MUST_NOT = [
        {must_not}]
        REVIEWED_ON = {reviewed_on!r}


        def response() -> HtmlResponse:
            return HtmlResponse(url=URL, body=PAGE.read_bytes())


        def archived():
            """The article as the crawl archives it: the profile's prune rules and review-date places."""
            profile = load_profile("{name}")
            return clean_article([(URL, response().text)], profile.prune, review=ReviewRules.of(profile))


        def squash(text: str) -> str:
            return " ".join(text.split())


        def test_profile_and_spider():
            profile = load_profile("{name}")
            spider = {cls}()
            assert spider.name == "{name}" and spider.profile.name == "{name}"
            assert spider.hub_urls == list(profile.start_urls)
            assert spider.in_scope(URL)
            assert spider.sitemap_article(URL), "the saved page is an article under the profile's rules"


        def test_next_page():
            spider = {cls}()
            asm = Assembly(first_url=URL, key=URL, requested_urls={{URL}})
            assert spider.next_page(response(), asm, 1) == NEXT_PAGE


        def test_text_has_the_article():
            text = squash(archived().text)
            missing = [s for s in MUST_HAVE if squash(s) not in text]
            assert not missing, f"missing from the archived text: {{missing}}"


        def test_text_has_no_chrome():
            if not MUST_NOT:
                pytest.skip("TODO: list in MUST_NOT the chrome that must not be in the text")
            tree = lxml_html.fromstring(PAGE.read_bytes())
            for node in tree.xpath("//script | //style | //noscript"):
                node.drop_tree()
            visible = squash(tree.text_content())
            unseen = [s for s in MUST_NOT if s not in visible]
            assert not unseen, f"not on the page, so the check could not fail: {{unseen}}"
            text = squash(archived().text)
            leaked = [s for s in MUST_NOT if squash(s) in text]
            assert not leaked, f"chrome in the archived text: {{leaked}}"


        def test_reviewed_on():
            assert archived().meta.get("reviewed_on") == REVIEWED_ON
        ''').format(
        name=name,
        cls=class_name(name),
        page=file_name(url),
        url=url,
        next_page=info["next_page"],
        must=must,
        must_not=must_not,
        reviewed_on=info["reviewed_on"],
        saved=saved,
        origin=origin,
    )


def record_source(path: Path, name: str, url: str, captured: str, origin: str) -> None:
    """The saved page's section of ``tests/files/SOURCES.md`` (replaced when the site is scaffolded again)."""
    heading = f"## {name}/ (scaffolded by `healtharchive genspider`)"
    section = (
        f"{heading}\n\n| file | page | captured | source | licence |\n|---|---|---|---|---|\n"
        f"| `{file_name(url)}` | {url} | {captured} | {origin} | TODO: the page's content is its publisher's; "
        "say under which terms it is kept here as a test fixture |\n"
    )
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Where the saved pages come from\n"
    start = text.find(heading)
    if start >= 0:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def scaffold(
    name: str, source: str, root: Path, real_url: str | None = None, hub: str | None = None, force: bool = False
) -> dict[str, Path]:
    """Write the profile, spider, saved page and test of a new site; returns {kind: path}."""
    if not NAME.match(name) or name in RESERVED:
        raise ScaffoldError(
            f"bad spider name {name!r}: lowercase letters, digits and _, starting with a letter"
            f" (not one of {', '.join(sorted(RESERVED))})"
        )
    root = Path(root)
    if not (root / "crawler" / "profiles").is_dir() or not (root / "crawler" / "spiders").is_dir():
        raise ScaffoldError(
            f"{root} is not a healtharchive checkout (no crawler/profiles, crawler/spiders): "
            "run from the repository root or pass --root"
        )
    local = Path(source[7:] if source.startswith("file://") else source)
    if source.startswith(("http://", "https://")):
        body, final = fetch(source)
        url = real_url or final
        origin, captured = f"fetched from {final} by `healtharchive genspider`", None
    elif local.is_file():
        body = local.read_bytes()
        url = page_address(body, real_url, source)
        origin, captured = f"read from the local file {local.name} by `healtharchive genspider`", "unknown"
    else:
        raise ScaffoldError(f"{source} is neither an http(s) URL nor a file")
    if not url.startswith(("http://", "https://")):
        raise ScaffoldError(f"--url must be an http(s) URL, not {url}")
    paths = {
        "profile": root / "crawler" / "profiles" / f"{name}.toml",
        "spider": root / "crawler" / "spiders" / f"{name}.py",
        "page": root / "tests" / "files" / name / file_name(url),
        "test": root / "tests" / f"test_spider_{name}.py",
        "sources": root / "tests" / "files" / "SOURCES.md",
    }
    existing = [str(p) for kind, p in paths.items() if kind != "sources" and p.exists()]
    if existing and not force:
        raise ScaffoldError(f"already there: {', '.join(existing)} (--force overwrites)")
    info = analyse(body, url, name)
    saved = datetime.now(UTC).strftime("%Y-%m-%d")
    hub = hub or urljoin(url, folder_of(url))
    paths["page"].parent.mkdir(parents=True, exist_ok=True)
    paths["page"].write_bytes(body)
    paths["profile"].write_text(render_profile(name, url, hub, info, saved), encoding="utf-8")
    paths["spider"].write_text(render_spider(name, url, saved), encoding="utf-8")
    paths["test"].write_text(render_test(name, url, info, saved, origin), encoding="utf-8")
    record_source(paths["sources"], name, url, captured or saved, origin)
    return paths


@click.command(name="genspider")
@click.argument("name")
@click.argument("url")
@click.option("--url", "real_url", help="The page's real address, when URL is a local file without rel=canonical.")
@click.option("--hub", help="The site's hub page for start_urls (default: the page's folder).")
@click.option(
    "--root",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The repository root to write into.",
)
@click.option("--force", is_flag=True, help="Overwrite the files if they exist.")
def genspider_command(name, url, real_url, hub, root, force):
    """Scaffold a spider for a new site from one of its article pages.

    Writes crawler/profiles/NAME.toml, crawler/spiders/NAME.py, the page as
    tests/files/NAME/<page>.html, tests/test_spider_NAME.py and the page's source in
    tests/files/SOURCES.md. URL may be a local file (offline); its address is then
    --url or its rel=canonical.

    Example: healtharchive genspider mysite https://www.example.org/health/asthma
    """
    paths = scaffold(name, url, Path(root), real_url=real_url, hub=hub, force=force)
    for kind, path in paths.items():
        click.echo(f"wrote {kind:<7} {path}")
    click.echo(
        f"next: fill the TODOs in {paths['profile'].name} and {paths['test'].name}, then run "
        f".venv/bin/python -m pytest {paths['test']} and scrapy crawl {name}"
    )
