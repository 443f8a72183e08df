"""The healtharchive Datasette plugins, one per job, each loaded by its own ``datasette`` entry point (so they
work under ``healtharchive serve`` and under plain ``datasette archive.db`` alike):

- ``readonly``: an authorizer that denies every write on the archive's connections;
- ``sqlfunctions``: ``ha_*`` SQL functions for the canned queries and the feed;
- ``cells``: links, badges, highlighted snippets and sanitised feed HTML in table cells;
- ``chart``: the SVG chart of an article over time on its row page and timeline;
- ``diffpage``: ``/-/diff/{article_id}``, what changed between two versions;
- ``assets``: the stylesheet and the templates.
"""
