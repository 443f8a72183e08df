"""Datasette plugin: the project's stylesheet (served at ``/-/healtharchive/healtharchive.css``, its URL
changing with its content) and templates, also under plain ``datasette archive.db``; on row pages, links to the
rows that refer to this one through the public views instead of the hidden storage tables."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response

CSS = "healtharchive.css"
CSS_PATH = "/-/healtharchive/" + CSS
STATIC = Path(__file__).resolve().parents[1] / "static"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@lru_cache(maxsize=1)
def _css_version() -> str:
    return hashlib.sha256((STATIC / CSS).read_bytes()).hexdigest()[:10]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(CSS_PATH) + "?v=" + _css_version()]  # a new stylesheet, a new URL


async def stylesheet():
    return Response(
        (STATIC / CSS).read_text(encoding="utf-8"),
        content_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=300"},
    )


@hookimpl
def register_routes():
    return [(r"^" + CSS_PATH.replace(".", r"\.") + "$", stylesheet)]


@hookimpl
def startup(datasette):
    """Make the project's templates available under plain ``datasette archive.db`` too."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    loader = datasette.jinja_env.loader
    templates = str(TEMPLATES)
    if isinstance(loader, ChoiceLoader) and not any(
        isinstance(each, FileSystemLoader) and templates in each.searchpath for each in loader.loaders
    ):
        loader.loaders.insert(0, FileSystemLoader([templates]))


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    if view_name != "row" or database is None or request is None:
        return {}
    pk = request.url_vars.get("pks", "")

    async def inner():
        from .common import article_url

        hidden = await datasette.get_database(database).hidden_table_names()
        links = []
        if pk.isdigit() and table in ("articles", "crawls"):
            key = "article_id" if table == "articles" else "crawl_id"
            if table == "articles":
                links.append(("the article page: its versions, crawls and chart", article_url(datasette, database, pk)))
            for view in ("versions", "observations", "captures"):
                links.append((f"its {view}", datasette.urls.table(database, view) + f"?{key}={pk}"))
        return {"ha_hidden_tables": hidden, "ha_row_links": links}

    return inner
