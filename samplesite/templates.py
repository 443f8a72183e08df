"""HTML of the sample site, modelled on two real layouts.

"classic" follows WebMD's health-center template (skip link, font-size widget,
"Recommended Related to ..." box inside the article text, "1 | 2 | 3 Next Page >"
pager, "Today on WebMD" promos). "modern" follows Cleveland Clinic's Health
Essentials pages (data-identity attributes, billboard ads with an ad-policy note
between paragraphs, share buttons under the headline, "Related Articles" cards).
Clutter boxes carry opaque class names and ids (as minified real sites do) so that
class-name rules cannot find them; only the article container keeps WebMD's "textArea".
"""

from html import escape

from .content import LINK

CENTER = "Breast Cancer Health Center"
HUB = "/breast-cancer/default.htm"
FOOTER = (
    "&copy; 2026 HealthCenter Media. All rights reserved. This site does not provide medical advice, "
    'diagnosis or treatment. <a href="/about/privacy">Privacy Policy</a> | '
    '<a href="/about/sponsors">Our Sponsors</a>'
)


def inline(text):
    """Escape text and turn [text](href) into links."""
    return LINK.sub(r'<a href="\2" class="Article">\1</a>', escape(text, quote=False))


def block_html(block, modern=False):
    ident = ' data-identity="paragraph-element"' if modern else ""
    if block.kind == "ul":
        items = "".join(f"<li>{inline(i)}</li>" for i in block.items)
        attr = ' data-identity="unordered-list"' if modern else ""
        return f"<ul{attr}>{items}</ul>"
    if block.kind in ("h2", "h3"):
        head = ' data-identity="headline"' if modern else ""
        return f"<{block.kind}{head}>{inline(block.text)}</{block.kind}>"
    return f"<p{ident}>{inline(block.text)}</p>"


# --- clutter boxes -----------------------------------------------------------------------


def video_box(chrome, slug):
    title, text = chrome.video(slug)
    return (
        f'<div class="v7c r2"><div class="v7c-i"><a href="/video/{slug}-{chrome.round}" class="e1">'
        f'<img src="/img/play.png" alt=""> {escape(title)}</a><p>{escape(text)}</p></div></div>'
    )


def recommended_box(chrome, slug, page):
    title, text = chrome.recommended(slug, page)
    href = "/cancer/features/" + title.lower().replace(" ", "-").replace(":", "")
    return (
        f'<div class="x7f2 k19"><h3>Recommended Related to Breast Cancer</h3>'
        f'<h4><a href="{href}">{escape(title)}</a></h4><p>{escape(text)}</p>'
        f'<p><a href="{href}">Read the {escape(title)} article &gt; &gt;</a></p></div>'
    )


def ad_box(chrome, slot, modern=False):
    if modern:
        return (
            f'<div data-identity="c81" class="q5 w0"><div class="q5a"><p class="l1">Advertisement</p>'
            f'<div id="billboard_{slot}" class="r9">{escape(chrome.ad(slot))}</div>'
            '<div data-identity="c82" class="t44"><p>HealthCenter is a non-profit academic medical '
            "center. Advertising on our site helps support our mission. We do not endorse products or "
            'services. <a href="/about/advertising">Policy</a></p></div></div></div>'
        )
    return (
        f'<div class="q5 w0"><p class="l1">Advertisement</p>'
        f'<div id="ads2-pos-{slot}" class="r9"><p>{escape(chrome.ad(slot))}</p></div></div>'
    )


def share_bar(slug, title, modern=False):
    attr = ' data-identity="c83"' if modern else ""
    url = f"/breast-cancer/{slug}"
    return (
        f'<div class="s9f k2"{attr}>'
        f'<a class="y1" href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a> '
        f'<a class="y2" href="https://twitter.com/intent/tweet?url={url}">Twitter</a> '
        f'<a class="y3" href="https://pinterest.com/pin/create/button/?url={url}">Pinterest</a> '
        f'<a class="y4" href="mailto:?subject={escape(title)}&amp;body={url}">Email</a> '
        f'<a class="y5" rel="nofollow" href="/breast-cancer/print/{slug}">Print</a></div>'
    )


FONT_SIZER = (
    '<div class="f3 rs0"><div class="f3t">Font Size</div>'
    + "".join(
        f'<div id="f0{i}" class="f3a"><a title="{t} font" href="javascript:'
        f"setClass('textArea', 'copy{t}');\">A</a></div>"
        for i, t in ((1, "Small"), (2, "Medium"), (3, "Large"))
    )
    + "</div>"
)


def cookie_banner(chrome):
    return (
        f'<div id="c0z" class="m3v q8" role="dialog"><p>{escape(chrome.cookie())} '
        '<a href="/about/privacy">Privacy Policy</a></p><button type="button">Accept Cookies</button></div>'
    )


def newsletter(chrome):
    return (
        f'<form class="n1w e8" action="/newsletters/subscribe" method="post"><p>{escape(chrome.newsletter())}</p>'
        '<input type="email" name="email" placeholder="Enter email address">'
        '<button type="submit">Subscribe</button></form>'
    )


def promos(chrome, modern=False):
    if modern:
        cards = "".join(
            f'<div data-identity="c86" class="c2"><h5><a href="/features/p{i}">{escape(t)}'
            f'</a></h5><p data-identity="c87">{escape(b)}</p></div>'
            for i, (t, b) in enumerate(chrome.promos())
        )
        return (
            f'<section class="g44 h2"><h3>Related Articles</h3><section data-identity="c85">{cards}</section></section>'
        )
    items = "".join(
        f'<li><a href="/features/p{i}">{escape(t)}</a><p>{escape(b)}</p></li>'
        for i, (t, b) in enumerate(chrome.promos())
    )
    return f'<div class="g44 h2"><h3>Today on WebMD</h3><ul>{items}</ul></div>'


def popular(chrome):
    items = "".join(f'<li><a href="/slideshows/s{i}">{escape(t)}</a></li>' for i, t in enumerate(chrome.popular()))
    return f'<div class="n8 z3"><h3>Most Popular</h3><ol>{items}</ol></div>'


# --- pagers ------------------------------------------------------------------------------


def pager(art, page, urls):
    """Body links to the other pages; none for "link-next", which only has <link rel="next">."""
    n = len(urls)
    if n == 1 or art.pagination == "link-next":
        return ""
    if art.pagination == "a-next":
        prev = f'<a rel="prev" href="{urls[page - 2]}">&lsaquo; Previous</a> ' if page > 1 else ""
        nxt = f'<a rel="next" href="{urls[page]}">Continue Reading &rsaquo;</a>' if page < n else ""
        return f'<nav class="j5 p0">{prev}{nxt}</nav>'
    # page-param pagers use query-only links, as WebMD does; path pagers use full paths
    href = (lambda i: f"?page={i}" if i > 1 else urls[0]) if art.pagination == "page-param" else (lambda i: urls[i - 1])
    nums = ' <span class="i9">|</span> '.join(
        f'<span class="i8">{i}</span>' if i == page else f'<a href="{href(i)}" title="Page {i}">{i}</a>'
        for i in range(1, n + 1)
    )
    prev = f'<a href="{href(page - 1)}">&lt; Prev Page</a> ' if page > 1 else ""
    nxt = f' <a href="{href(page + 1)}">Next Page <span>&gt;</span></a>' if page < n else ""
    return f'<div class="pg2 u7"><div class="pg2r">{prev}{nums}{nxt}</div></div>'


def head_links(art, page, urls, origin):
    out = []
    if art.canonical:
        out.append(f'<link rel="canonical" href="{origin}{urls[0]}">')
    if art.pagination == "link-next":
        if page > 1:
            out.append(f'<link rel="prev" href="{urls[page - 2]}">')
        if page < len(urls):
            out.append(f'<link rel="next" href="{urls[page]}">')
    return "\n".join(out)


def body_with_clutter(art, page, chrome, modern):
    """The page's blocks with the in-body clutter real sites put between paragraphs."""
    blocks = [block_html(b, modern) for b in art.pages[page - 1]]
    rec_at = min(2, len(blocks))
    if len(blocks) >= 4:
        blocks.insert(len(blocks) - 1, ad_box(chrome, "body2", modern))
    blocks.insert(rec_at, recommended_box(chrome, art.slug, page))
    if modern:
        blocks.insert(1, ad_box(chrome, "body", modern))
    return "\n".join(blocks)


# --- pages -------------------------------------------------------------------------------


def classic_page(title, head, main, chrome, description=""):
    return f"""<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" class="no-js">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<meta name="description" content="{escape(description)}">
{head}
<link rel="stylesheet" type="text/css" href="/static/css/hc-layout.css">
<script>var s_sponsor_program = "", s_round = "{chrome.round}";</script>
</head>
<body>
<div id="centering_area"><div id="page_area">
<div id="bannerAd_ctr" class="b7q0">{ad_box(chrome, "top")}</div>
<header id="masthead"><a href="#mainContentContainer_area" class="j0">Skip to content</a>
<div id="logo"><a href="/"><img src="/img/logo.png" alt="HealthCenter: Better information. Better health."></a></div>
<form action="/search/results" method="get" role="search"><label class="j0" for="q">Enter Search Keywords</label>
<input type="text" id="q" name="query"><input type="submit" value="Search"></form>
<nav id="nav"><ul><li><a href="/a-to-z-guides/default.htm">Health A-Z</a></li>
<li><a href="/drugs/index-drugs.aspx">Drugs &amp; Supplements</a></li><li><a href="/living-healthy/">Living Healthy</a></li>
<li><a href="/diabetes/default.htm">Diabetes</a></li><li><a href="{HUB}">Breast Cancer</a></li></ul></nav>
</header>
{cookie_banner(chrome)}
<div id="mainContentContainer_area">
<div id="b3x" class="k0"><a href="/">Home</a> &gt; <a href="{HUB}">{CENTER}</a></div>
<div class="titlebar" id="hdr"><h1>{CENTER}</h1></div>
<div id="mainContent_area">
{main}
</div>
<div id="d9r" class="k1">{promos(chrome)}{popular(chrome)}{ad_box(chrome, "side")}</div>
</div>
<footer id="footer"><p>{FOOTER}</p></footer>
</div></div>
</body>
</html>
"""


def modern_page(title, head, main, chrome, description=""):
    return f"""<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{escape(title)}</title><meta name="description" content="{escape(description)}"/>
{head}
<script id="__NEXT_DATA__" type="application/json">{{"page":"/[slug]","buildId":"r{chrome.round}"}}</script>
</head><body>
<a href="#main" class="a0 z9">Skip to content</a>
<header data-identity="site-header"><section data-identity="single-line-nav" class="h7">
<div>Locations:</div><a href="https://www.example.org/locations/ohio">Ohio</a> | <a href="https://www.example.org/locations/florida">Florida</a></section>
<nav data-identity="utility-navigation"><ul><li><a href="/">Health Essentials</a></li>
<li><a href="/diabetes/default.htm">Diabetes</a></li><li><a href="{HUB}">Breast Cancer</a></li>
<li><a href="/about/contact">Contact Us</a></li></ul></nav></header>
{cookie_banner(chrome)}
<div data-identity="c84" class="b7q0">{ad_box(chrome, "top", True)}</div>
<main id="main" data-identity="post">
{main}
{promos(chrome, True)}
{popular(chrome)}
</main>
<footer data-identity="site-footer"><p>{FOOTER}</p></footer>
</body></html>
"""


def article_page(art, page, urls, chrome, origin):
    """One page of an article in its layout."""
    modern = art.layout == "modern"
    heading = escape(art.title) + (" (continued)" if page > 1 else "")
    body = body_with_clutter(art, page, chrome, modern)
    byline = (
        f'<div class="a4 m1">By {escape(art.author)}<br>HealthCenter Medical Reference</div>'
        f'<div class="a4 m2">Reviewed by {escape(art.reviewer)} on {escape(art.reviewed)}</div>'
        if page == 1
        else ""
    )
    updated = f'<div class="p4 x81"><span>{chrome.updated(art.slug)}</span></div>'
    head = head_links(art, page, urls, origin)
    title = f"{art.title} - page {page}" if page > 1 else art.title
    if modern:
        main = f"""<div data-identity="blog-article-page-header" class="w3">
<div data-identity="overline">{updated}<span data-identity="divider">/</span><a href="{HUB}">Breast Cancer</a></div>
<h1 data-identity="headline">{heading}</h1>
{byline}
{share_bar(art.slug, art.title, True)}
</div>
<div data-identity="article-content" class="w4"><div data-identity="rich-text">
{video_box(chrome, art.slug)}
{body}
{newsletter(chrome)}
</div>
{pager(art, page, urls)}
<p class="e0">Learn more about our editorial process.</p>
</div>"""
        return modern_page(title + " – Health Essentials", head, main, chrome, art.summary)
    main = f"""<div class="article_rdr">
{share_bar(art.slug, art.title)}
{FONT_SIZER}
<div id="textArea" class="copyNormal">
<h2>{heading}</h2>
{byline}
{updated}
{video_box(chrome, art.slug)}
{body}
</div>
</div>
<div class="a7 k3">{pager(art, page, urls)}</div>
{newsletter(chrome)}"""
    return classic_page(f"{title} | {CENTER}", head, main, chrome, art.summary)


def hub_page(arts, urls, chrome, title=CENTER, extra=""):
    """The center's front page: every article, some links with tracking parameters."""
    items = "\n".join(
        f'<li><a href="{urls[a.slug]}">{escape(a.title)}</a><p>{escape(a.summary)}</p></li>' for a in arts
    )
    tracked = [
        f'<li><a href="{urls[a.slug]}?utm_source=newsletter&amp;utm_medium=email">{escape(a.title)}</a></li>'
        for a in arts[1:3]
    ]
    tracked += [f'<li><a href="{urls[a.slug]}?ecd=wnl_bc_031526">{escape(a.title)}</a></li>' for a in arts[3:4]]
    main = f"""<div class="article_rdr"><div id="textArea">
<h2>Breast Cancer Guide</h2>
<ul class="k8 list">
{items}
</ul>
<div class="r5 t1"><h3>From Our Newsletter</h3><ul>{"".join(tracked)}</ul></div>
{extra}
<div class="r5 t2"><h3>Other Health Centers</h3><ul><li><a href="/diabetes/default.htm">Diabetes Health Center</a></li>
<li><a href="https://www.example.org/breast-cancer-support">Find a support group near you</a></li></ul></div>
</div></div>
{newsletter(chrome)}"""
    return classic_page(title, "", main, chrome, "Breast cancer information for patients and families.")


def tools_box(print_slug, print_title):
    return (
        f'<div class="r5 t3"><h3>Tools &amp; Resources</h3><ul>'
        f'<li><a href="/breast-cancer/treatment-guide.pdf">Download the Breast Cancer Treatment Guide (PDF)</a></li>'
        f'<li><a href="/breast-cancer/print/{print_slug}">Printer-friendly: {escape(print_title)}</a></li></ul></div>'
    )


def print_page(art):
    body = "\n".join(block_html(b) for page in art.pages for b in page)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(art.title)} (print)</title>'
        f'<meta name="robots" content="noindex"></head><body onload="window.print()">'
        f"<h1>{escape(art.title)}</h1>{body}<p>{FOOTER}</p></body></html>"
    )


def plain_page(title, links):
    """Small pages outside the breast-cancer center (site home, diabetes center)."""
    items = "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in links)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1><p>Information for patients and families.</p><ul>{items}</ul>"
        f"<footer><p>{FOOTER}</p></footer></body></html>"
    )
