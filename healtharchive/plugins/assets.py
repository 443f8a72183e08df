"""Datasette plugin: the project's stylesheet (served at ``/-/healtharchive/healtharchive.css``, its URL
changing with its content) and templates, also under plain ``datasette archive.db``."""

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
