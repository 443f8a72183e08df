"""How a crawl ended: its ``crawls.status`` and the exit status of ``scrapy crawl``, from the crawl's stats."""

from __future__ import annotations

from dataclasses import dataclass

# Exit statuses of `scrapy crawl` (crawler/commands/crawl.py); 2 is a usage error.
FAILED, STOPPED, BLOCKED = 1, 3, 4


@dataclass(frozen=True)
class Verdict:
    """How a crawl ended: its ``crawls.status``, the exit status of ``scrapy crawl`` and why, in one line."""

    status: str
    exit_code: int = 0
    message: str = ""


def verdict(stats: dict, reason: str | None = None) -> Verdict:
    """The verdict on a crawl from its stats and Scrapy's finish reason (``stats["finish_reason"]`` by default).

    Only a crawl that went through its whole frontier (reason ``finished``) and got what it was asked for is
    ``finished``; one stopped by a signal, a timeout or an archive error is ``stopped`` or ``failed``.
    """
    reason = reason or stats.get("finish_reason")
    if reason is None:  # stopped while it waited for another writer to finish
        return Verdict("stopped", STOPPED, "stopped before it started")
    if stats.get("healtharchive/archive_errors"):
        return Verdict("failed", FAILED, "the archive could not be written")
    if reason != "finished":
        return Verdict(
            "stopped",
            STOPPED,
            f"stopped before it finished ({reason}): what it did not reach is not counted as missed",
        )
    blocked = stats.get("healtharchive/start_urls_blocked", 0)
    if blocked:
        return Verdict("blocked", BLOCKED, f"{blocked} start URL(s) refused by the site (401, 403, 451 or robots.txt)")
    if stats.get("healtharchive/start_urls") and not stats.get("healtharchive/start_urls_ok"):
        return Verdict("failed", FAILED, "every start URL failed")
    bad = stats.get("healtharchive/start_urls_malformed", 0)
    if bad:
        return Verdict("failed", FAILED, f"{bad} malformed line(s) in the URL list skipped")
    return Verdict("finished")
