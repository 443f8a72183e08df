"""What a page's body really is, before the spider reads it: text in the right encoding, or not a page at all.

- ``readable(response)``: the response with its text decoded as a browser would read it. A page declared
  UTF-8 whose bytes are not UTF-8 and hold no UTF-8 sequence at all (a CMS that writes windows-1252 under a
  UTF-8 header) is read as windows-1252 instead of with replacement characters, which would otherwise make a
  false new version. A UTF-16 or UTF-32 page is re-encoded as UTF-8, so its links are URLs and not
  percent-encoded UTF-16 bytes (browsers encode a UTF-16 page's URLs as UTF-8; Scrapy's link extractor used
  the page's encoding, which made phantom articles).
- ``problem(response)``: why a 200 response cannot be an article page: an empty body, or binary content
  served as text. Judged by structure, not by the site's wording, on the first few KB only.
"""

from __future__ import annotations

import re

UTF8 = ("utf-8", "utf8")
WIDE = ("utf-16", "utf-32")
SAMPLE = 2048  # characters looked at to tell text from binary
MAX_ODD = 0.05  # share of control or undecodable characters above which a body is binary
ODD = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffd]")
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def readable(response):
    """``response``, or a copy decoded as a browser would read it (see the module doc)."""
    encoding = (response.encoding or "").lower()
    if encoding.startswith(WIDE):
        return response.replace(body=response.text.encode("utf-8"), encoding="utf-8")
    if encoding in UTF8 and "\ufffd" in response.text and not UTF8_SEQUENCE.search(response.body):
        # Not one UTF-8 sequence in it (a page that mixes some would be garbled the other way): windows-1252.
        try:
            response.body.decode("cp1252")
        except UnicodeDecodeError:
            return response  # not windows-1252 either: replacement characters it is
        return response.replace(encoding="cp1252")
    return response


def problem(response) -> str | None:
    """Why this 200 response is not an article page, in a few words, or None."""
    if not response.body.strip():
        return "answered 200 with an empty body"
    sample = response.text[:SAMPLE]
    if len(ODD.findall(sample)) > MAX_ODD * len(sample):
        return "answered 200 with binary content, not text"
    return None
