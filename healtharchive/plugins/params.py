"""Datasette plugin: the canned queries' parameters are checked before the query runs.

A date that cannot be read (``changes_since?since=yesterday``, ``since=12/01/2026``: which day?) or a feed ``center``
that is not a URL would otherwise make SQL quietly compare strings and return nothing, or everything. Such a
request gets a 400 with one clear line instead: an error page in HTML, ``{"ok": false, "error": ...}`` in JSON,
the line itself in CSV or Atom. Parameters left empty keep their documented meaning (all).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from datasette import hookimpl

from archive.clock import parse_when


def _date(value: str) -> None:
    parse_when(value)


def _url_prefix(value: str) -> None:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(
            f"{value!r} is not a URL: give the start of the articles' URLs (https://www.example.org/breast-cancer/)"
        )


CHECKS = {
    "changes_since": {"since": _date},
    "search_as_of": {"date": _date},
    "changes_feed": {"center": _url_prefix},
}
_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<query>[\w-]+)(?:\.(?P<format>\w+))?$")


def problem(path: str, query_string: str) -> tuple[str | None, str | None]:
    """(the request's format, a one-line message) when a checked parameter of the canned query at ``path`` is
    wrong; (None, None) when all is well."""
    match = _PATH.match(path)
    if not match or match["query"] not in CHECKS:
        return None, None
    args = parse_qs(query_string, keep_blank_values=True)
    for name, check in CHECKS[match["query"]].items():
        for value in args.get(name, []):
            if value.strip():
                try:
                    check(value.strip())
                except ValueError as exc:
                    return match["format"], f"{name}={value}: {exc}"
    return None, None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def checked(scope, receive, send):
            if scope["type"] == "http":
                fmt, message = problem(scope.get("path", ""), scope.get("query_string", b"").decode("latin-1"))
                if message:
                    await _refuse(datasette, scope, receive, send, fmt, message)
                    return
            await app(scope, receive, send)

        return checked

    return wrap


async def _refuse(datasette, scope, receive, send, fmt, message):
    if fmt == "json":
        body = json.dumps({"ok": False, "error": message, "status": 400, "title": "Invalid parameter"})
        kind = "application/json; charset=utf-8"
    elif fmt is None:
        await datasette.invoke_startup()  # templates need it (the test client may not have called it yet)
        body = await datasette.render_template(
            "error.html",
            {"ok": False, "error": message, "status": 400, "title": "Invalid parameter"},
        )
        kind = "text/html; charset=utf-8"
    else:
        body, kind = message + "\n", "text/plain; charset=utf-8"
    data = body.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", kind.encode()), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
