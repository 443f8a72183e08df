"""Time as the archive writes it: UTC, ISO-8601 to the second (``2026-12-01T14:47:00Z``), or epoch seconds."""

import time
from datetime import UTC, datetime

ISO = "%Y-%m-%dT%H:%M:%SZ"


def now() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def utcnow() -> str:
    """Now, as an ISO-8601 UTC string."""
    return now().strftime(ISO)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime(ISO)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def epoch(text: str | None) -> int:
    """Epoch seconds of an ISO-8601 string (now when None or empty)."""
    return int(parse_iso(text).timestamp()) if text else int(time.time())
