"""Time as the archive writes it: UTC, ISO-8601 to the second (``2026-12-01T14:47:00Z``), or epoch seconds."""

import re
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


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_when(text: str, end_of_day: bool = False) -> str:
    """A date (``2026-03-01``) or UTC time (``2026-03-01T08:00:00Z``) as the archive's ISO string; a bare date
    is its first second, or its last with ``end_of_day``. ValueError with a one-line message for anything else
    (``yesterday``, ``12/01/2026``: ambiguous, ``2026-02-30``)."""
    value = (text or "").strip()
    try:
        if _DATE.match(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day.strftime("%Y-%m-%dT23:59:59Z" if end_of_day else ISO)
        if "T" in value:
            return iso(parse_iso(value if value[-1] in "Zz" or "+" in value[10:] else value + "Z"))
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD (2026-03-01) or a UTC time (2026-03-01T08:00:00Z)")
