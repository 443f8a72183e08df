"""The schedule file: named crawls, each on an interval or a cron expression (see the package doc)."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ScheduleError(click.ClickException):
    pass


def parse_interval(text: str) -> timedelta:
    """'7d', '12h', '1d12h', '90s', '2w' -> timedelta."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhdw])", text.strip().lower())
    if not parts or re.sub(r"[\d.\s]+[smhdw]", "", text.strip().lower()):
        raise ValueError(f"bad interval {text!r}: use a number and a unit (s, m, h, d, w), e.g. '7d' or '1d12h'")
    seconds = sum(float(n) * UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"bad interval {text!r}: must be positive")
    return timedelta(seconds=seconds)


@dataclass
class Crawl:
    name: str
    spider: str
    db: Path
    args: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    every: timedelta | None = None
    cron: str | None = None
    timeout: timedelta | None = None
    notify: list[str] = field(default_factory=list)
    base_url: str | None = None
    notify_when: str = "changes"

    def next_due(self, last_started: datetime | None) -> datetime:
        """When this crawl is next due, given when its last run started (None: never ran: due now)."""
        if last_started is None:
            return datetime.min.replace(tzinfo=UTC)
        if self.every is not None:
            return last_started + self.every
        from croniter import croniter

        return croniter(self.cron, last_started).get_next(datetime)

    def command(self) -> list[str]:
        scrapy = str(Path(sys.executable).with_name("scrapy"))
        command = [scrapy, "crawl", self.spider, "-s", f"ARCHIVE_DB={self.db}"]
        for key, value in self.settings.items():
            command += ["-s", f"{key}={_setting(value)}"]
        for key, value in self.args.items():
            command += ["-a", f"{key}={value}"]
        return command


def _setting(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def load_config(path: Path, db_override: str | None = None) -> list[Crawl]:
    """The crawls of a schedule file, checked: a clear one-line error for every mistake."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"no schedule file {path} (see docs/scheduling.md)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path}: {exc}") from None
    base = path.resolve().parent
    # --db is relative to the current folder; paths in the file are relative to the file's folder.
    default_db = Path(db_override).resolve() if db_override else base / data.get("db", "archive.db")
    unknown = set(data) - {"db", "crawl", "notify", "base_url", "notify_when"}
    if unknown:
        raise ScheduleError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    crawls = []
    table = data.get("crawl", {})
    if not isinstance(table, dict) or not table:
        raise ScheduleError(f"{path}: no [crawl.NAME] table")
    for name, spec in table.items():
        where = f"{path}: [crawl.{name}]"
        unknown = set(spec) - {"spider", "args", "settings", "every", "cron", "db", "timeout", *NOTIFY_KEYS}
        if unknown:
            raise ScheduleError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        if not spec.get("spider"):
            raise ScheduleError(f'{where}: needs spider = "..."')
        if ("every" in spec) == ("cron" in spec):
            raise ScheduleError(f'{where}: needs exactly one of every = "7d" or cron = "0 3 * * 1"')
        every = cron = None
        try:
            if "every" in spec:
                every = parse_interval(str(spec["every"]))
            else:
                from croniter import croniter

                cron = str(spec["cron"])
                if not croniter.is_valid(cron):
                    raise ValueError(f"bad cron expression {cron!r}")
            timeout = parse_interval(str(spec["timeout"])) if "timeout" in spec else None
        except ValueError as exc:
            raise ScheduleError(f"{where}: {exc}") from None
        notify, base_url, notify_when = _notify_settings(
            where, {**{k: data[k] for k in NOTIFY_KEYS if k in data}, **spec}
        )
        db = Path(spec["db"]) if spec.get("db") and not db_override else default_db
        if not db.is_absolute():
            db = base / db
        crawls.append(
            Crawl(
                name=name,
                spider=str(spec["spider"]),
                db=db.resolve(),
                args=dict(spec.get("args", {})),
                settings=dict(spec.get("settings", {})),
                every=every,
                cron=cron,
                timeout=timeout,
                notify=notify,
                base_url=base_url,
                notify_when=notify_when,
            )
        )
    return crawls


NOTIFY_KEYS = ("notify", "base_url", "notify_when")


def _notify_settings(where: str, spec: dict) -> tuple[list[str], str | None, str]:
    """A crawl's notification settings (its own, else the file's): apprise URLs, base URL, when to send."""
    urls = spec.get("notify", [])
    urls = [urls] if isinstance(urls, str) else urls
    if not isinstance(urls, list) or not all(isinstance(u, str) and "://" in u for u in urls):
        raise ScheduleError(f'{where}: notify must be apprise URLs, e.g. notify = ["mailto://user:pw@example.org"]')
    base_url = spec.get("base_url")
    if urls and not (isinstance(base_url, str) and base_url.startswith(("http://", "https://"))):
        raise ScheduleError(f'{where}: notify needs base_url = "https://..." (where the archive is published)')
    when = spec.get("notify_when", "changes")
    if when not in ("changes", "always"):
        raise ScheduleError(f'{where}: notify_when must be "changes" or "always", not {when!r}')
    return urls, base_url, when
