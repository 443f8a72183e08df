"""Datasette plugin: clean CSV and JSON. The canned searches mark the words that matched with U+E000 and U+E001
(``snippet()``), which the ``cells`` plugin turns into ``<mark>`` in HTML; in CSV and JSON, meant for other
programs, the markers are removed (raw, or as JSON's ``\\ue000`` escapes), whatever the query."""

from __future__ import annotations

import re

from datasette import hookimpl

_MARKERS = re.compile(rb"\xee\x80[\x80\x81]|(?<!\\)((?:\\\\)*)\\u[eE]00[01]")
_PREFIXES = (b"\xee\x80\x80", b"\\ue000", b"\\uE000")  # a marker split across two chunks waits for the next


def strip_markers(data: bytes) -> bytes:
    return _MARKERS.sub(lambda m: m.group(1) or b"", data)


def _held(data: bytes) -> int:
    """How many bytes at the end of ``data`` may be the start of a marker."""
    for size in range(min(len(data), 5), 0, -1):
        tail = data[-size:]
        if any(p.startswith(tail) and len(tail) < len(p) for p in _PREFIXES):
            return size
    return 0


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def clean(scope, receive, send):
            if scope["type"] != "http" or not scope.get("path", "").endswith((".csv", ".json")):
                await app(scope, receive, send)
                return
            state = {"on": False, "carry": b""}

            async def cleaning_send(message):
                if message["type"] == "http.response.start":
                    kind = dict(message.get("headers", [])).get(b"content-type", b"")
                    state["on"] = kind.startswith((b"text/csv", b"text/plain", b"application/json"))
                    if state["on"]:  # the body shrinks: let the server frame it
                        message = {**message, "headers": [h for h in message["headers"] if h[0] != b"content-length"]}
                elif message["type"] == "http.response.body" and state["on"]:
                    data = state["carry"] + message.get("body", b"")
                    keep = _held(data) if message.get("more_body") else 0
                    state["carry"] = data[len(data) - keep :] if keep else b""
                    message = {**message, "body": strip_markers(data[: len(data) - keep])}
                await send(message)

            await app(scope, receive, cleaning_send)

        return clean

    return wrap
