"""Datasette on the archive: the project's metadata, plugin, templates and safe settings.

``make_datasette(path)`` is what ``healtharchive serve`` runs. The archive is opened in Datasette's normal
(mutable) mode, which reads through ``mode=ro`` connections: a crawl that adds versions while the server
runs shows up on the next request. Datasette refuses any SQL that writes, and the plugin
(``healtharchive.datasette_plugin``) adds a SQLite authorizer that denies writes on every archive connection.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from datasette.app import Datasette

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
METADATA = HERE / "metadata.yml"

# Datasette's defaults, kept or tightened: a query gets at most a second, a page at most 1,000 rows.
SETTINGS = {
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "truncate_cells_html": 300,
    "allow_download": False,  # the raw .db file is not handed out over HTTP
    "allow_csv_stream": True,
    "suggest_facets": False,
}


def load_metadata(database_name: str = "archive") -> dict:
    """The metadata file, with its database section under ``database_name`` (the served file's stem)."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if "archive" in databases and database_name != "archive":
        databases[database_name] = databases.pop("archive")
        metadata["description_html"] = (
            metadata.get("description_html", "")
            .replace('href="/archive/', f'href="/{database_name}/')
            .replace('action="/archive/', f'action="/{database_name}/')
        )
    return metadata


def make_datasette(path, *, settings: dict | None = None, metadata: dict | None = None, **kw) -> Datasette:
    """A Datasette serving the archive at ``path`` read-only, with the project's metadata and plugin.

    ``settings`` are merged over the project's (``sql_time_limit_ms`` included); other keyword arguments go
    to ``Datasette`` unchanged.
    """
    path = str(path)
    name = Path(path).stem
    ds_metadata = copy.deepcopy(metadata) if metadata is not None else load_metadata(name)
    kw.setdefault("template_dir", str(TEMPLATES))
    return Datasette(files=[path], metadata=ds_metadata, settings={**SETTINGS, **(settings or {})}, **kw)
