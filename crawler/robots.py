"""robots.txt, obeyed for every request, including those that wait while a host's robots.txt is fetched.

Scrapy 2.19's ``RobotsTxtMiddleware`` awaits one shared Deferred for every request that arrives while a host's
robots.txt is being fetched; ``Deferred.asFuture`` hands the parser to the first of them only and ``None`` ("no
robots.txt": allowed) to the others, so a crawl that starts with many requests for one host fetches pages that
robots.txt disallows (a ``pages`` crawl of 10 disallowed URLs fetched 8). ``RobotsTxt`` gives each waiting
request the parser, refuses a disallowed one with ``Disallowed`` (so the spider can record the article as
``blocked``), and logs a robots.txt that cannot be fetched in one line.

Settings: ``ROBOTSTXT_OBEY`` (False switches it off), ``ROBOTSTXT_USER_AGENT``, ``ROBOTSTXT_PARSER``, ``USER_AGENT``.
Stats: Scrapy's ``robotstxt/*``.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class Disallowed(IgnoreRequest):
    """robots.txt disallows this URL for the crawler."""


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with every waiting request answered; see the module doc."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._waiting: dict[str, list[Deferred]] = {}

    def process_request_2(self, rp, request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            raise Disallowed(f"disallowed by robots.txt: {request.url}") from None

    async def robot_parser(self, request):
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc in self._parsers:
            return self._parsers[netloc]
        if netloc in self._waiting:  # being fetched: wait for it on a Deferred of this request's own
            mine: Deferred = Deferred()
            self._waiting[netloc].append(mine)
            return await maybe_deferred_to_future(mine)
        self._waiting[netloc] = []
        robots = Request(
            f"{url.scheme}://{netloc}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        parser = None
        try:
            response = await self.crawler.engine.download_async(robots)
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            parser = build_from_crawler(self._parserimpl, self.crawler, response.body)
            await self.crawler.signals.send_catch_log_async(
                signal=signals.robots_parsed, robotparser=parser, request=request
            )
        except IgnoreRequest:
            pass  # refused before it was sent (the address guard): the request itself is refused too
        except Exception as exc:  # no robots.txt to obey: the site is crawled as if it had none
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
            logger.warning("cannot fetch %s: %s: %s", robots.url, type(exc).__name__, exc)
        finally:
            self._stats.inc_value("robotstxt/request_count")
            self._parsers[netloc] = parser
            for waiter in self._waiting.pop(netloc):
                waiter.callback(parser)
        return parser
