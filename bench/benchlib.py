"""Helpers shared by the bench/ scripts: serve a generated center, run a real Scrapy process, measure it.

Not a benchmark itself (running it does nothing).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The crawl as a user runs it on a local center: delays off, everything else as shipped.
CRAWL_SETTINGS = {
    "ALLOW_PRIVATE_ADDRESSES": "True",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Run:
    """One finished Scrapy process."""

    command: list[str]
    returncode: int
    wall: float  # seconds from spawn to exit
    log: str
    main_peak: int = 0  # bytes, VmHWM of the scrapy process
    workers_peak: dict[int, int] = field(default_factory=dict)  # pid -> VmHWM of each cleaning worker (ha-clean)
    others_peak: dict[int, int] = field(default_factory=dict)  # e.g. multiprocessing's resource tracker
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> user+system CPU seconds (last sample)
    main_pid: int = 0
    rss: list[tuple[float, int, int]] = field(default_factory=list)  # (epoch time, VmRSS, VmHWM) of the scrapy process
    waited: dict[int, float] = field(default_factory=dict)  # pid -> seconds its threads were ready but not running
    writers_peak: dict[int, int] = field(default_factory=dict)  # pid -> VmHWM of each writer process
    kinds: dict[int, str] = field(default_factory=dict)  # child pid -> its kind (``KINDS``, or "other")

    def progress(self) -> list[tuple[float, int, int, int, int]]:
        """(seconds since the start, pages fetched, articles archived, VmRSS, VmHWM) at each progress line of the
        log (``crawler.extensions.Progress``), with the crawl process's memory sampled nearest to it."""
        if not self.rss:
            return []
        out = []
        for m in PROGRESS.finditer(self.log):
            at = time.mktime(time.strptime(m["at"], "%Y-%m-%d %H:%M:%S"))
            _, rss, hwm = min(self.rss, key=lambda sample: abs(sample[0] - at))
            out.append((at - self.rss[0][0], int(m["pages"]), int(m["articles"]), rss, hwm))
        return out

    @property
    def main_cpu(self) -> float:
        return self.cpu.get(self.main_pid, 0.0)

    @property
    def workers_cpu(self) -> float:
        return sum(v for pid, v in self.cpu.items() if pid in self.workers_peak)

    def kind_cpu(self, kind: str) -> float:
        """CPU seconds of the child processes of one kind (``KINDS``' values)."""
        return sum(v for pid, v in self.cpu.items() if self.kinds.get(pid) == kind)

    def kind_waited(self, kind: str) -> float:
        return sum(v for pid, v in self.waited.items() if self.kinds.get(pid) == kind)

    @property
    def writers_cpu(self) -> float:
        return sum(v for pid, v in self.cpu.items() if pid in self.writers_peak)

    @property
    def total_cpu(self) -> float:
        """The whole pipeline's CPU: the crawl process and every process it started."""
        return sum(self.cpu.values())

    def kind_peak(self, kind: str) -> int:
        """The largest peak RSS among the child processes of one kind."""
        peaks = {**self.workers_peak, **self.writers_peak, **self.others_peak}
        return max((v for pid, v in peaks.items() if self.kinds.get(pid) == kind), default=0)

    @property
    def main_waited(self) -> float:
        return self.waited.get(self.main_pid, 0.0)

    @property
    def workers_waited(self) -> float:
        return sum(v for pid, v in self.waited.items() if pid in self.workers_peak)

    def stat(self, name: str, default=0):
        """A value from Scrapy's end-of-crawl stats dump."""
        m = re.search(rf"'{re.escape(name)}': ([^,\n}}]+)", self.log)
        if not m:
            return default
        value = m.group(1).strip()
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value

    @property
    def pages(self) -> int:
        return self.stat("response_received_count")

    @property
    def workers_sum(self) -> int:
        return sum(self.workers_peak.values())

    @property
    def workers_max(self) -> int:
        return max(self.workers_peak.values(), default=0)


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


PROGRESS = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[crawler\.extensions\] INFO: progress: (?P<pages>\d+) pages fetched, "
    r"(?P<articles>\d+) articles archived",
    re.M,
)


def _status(pid: int, *names: str) -> list[int]:
    """The ``/proc/PID/status`` fields ``names`` (kB values), in bytes; 0 for each when the process is gone."""
    found = dict.fromkeys(names, 0)
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name = line.split(":", 1)[0]
                if name in found:
                    found[name] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return list(found.values())


def _hwm(pid: int) -> int:
    return _status(pid, "VmHWM")[0]


TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _waited(pid: int) -> float:
    """Seconds the threads of ``pid`` spent ready to run but waiting for a core (the kernel's run-queue delay,
    ``/proc/PID/task/TID/schedstat``): time a loaded machine takes from a process that has work to do."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass  # a thread that just ended
    except OSError:
        return 0.0
    return total / 1e9


# The crawl's child processes by the name they give themselves (pipelines/workers.py, /proc/PID/comm).
KINDS = {"ha-clean": "cleaning", "ha-archive": "archive writer", "ha-warc": "WARC writer"}
WRITERS = ("archive writer", "WARC writer")


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _kind(pid: int) -> tuple[str, bool]:
    """What a child process of the crawl is: a cleaning worker, a writer, or another (a resource tracker); and
    whether that is settled (a process starts as a copy of its parent and names itself in its first instant)."""
    comm = _comm(pid)
    if comm in KINDS:
        return KINDS[comm], True
    if "resource_tracker" in _cmdline(pid):
        return "other", True
    # unnamed: a worker still starting, or one of a release before the names
    return ("cleaning" if "spawn_main" in _cmdline(pid) else "other"), False


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def run_scrapy(
    args: list[str], settings: dict | None = None, cwd: Path = ROOT, timeout: float = 1800, poll: float = 0.1
) -> Run:
    """Run ``scrapy ARGS -s K=V ...`` as a real subprocess; record wall time and peak RSS of it and its children.

    Peak RSS is the kernel's high-water mark (VmHWM) of each process, sampled every ``poll`` seconds until
    the process exits, so a short spike between samples is still counted. The scrapy process's current RSS is also
    kept once a second (``Run.rss``, ``Run.progress()``). Child processes are told apart by the name they give
    themselves (``/proc/PID/comm``, ``KINDS``): cleaning workers, the archive and WARC writers, others.
    """
    command = [SCRAPY, *args]
    for key, value in {**CRAWL_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        main_peak, peaks, cpu, rss, waited, kinds, settled = 0, {}, {}, [], {}, {}, set()
        deadline = start + timeout
        while proc.poll() is None:
            now, hwm = _status(proc.pid, "VmRSS", "VmHWM")
            main_peak = max(main_peak, hwm)
            if now and (not rss or time.time() - rss[-1][0] >= 1.0):
                rss.append((time.time(), now, hwm))
            cpu[proc.pid] = _cpu(proc.pid) or cpu.get(proc.pid, 0.0)
            waited[proc.pid] = max(_waited(proc.pid), waited.get(proc.pid, 0.0))
            stack = _children(proc.pid)
            while stack:
                pid = stack.pop()
                stack += _children(pid)
                if pid not in settled:
                    kinds[pid], known = _kind(pid)
                    if known:
                        settled.add(pid)
                peaks[pid] = max(peaks.get(pid, 0), _hwm(pid))
                cpu[pid] = _cpu(pid) or cpu.get(pid, 0.0)
                waited[pid] = max(_waited(pid), waited.get(pid, 0.0))
            if time.perf_counter() > deadline:
                proc.kill()
            time.sleep(poll)
        wall = time.perf_counter() - start
        log.seek(0)
        text = log.read()
    workers = {pid: v for pid, v in peaks.items() if kinds[pid] == "cleaning"}
    writers = {pid: v for pid, v in peaks.items() if kinds[pid] in WRITERS}
    others = {pid: v for pid, v in peaks.items() if kinds[pid] == "other"}
    return Run(
        command, proc.returncode, wall, text, main_peak, workers, others, cpu, proc.pid, rss, waited, writers, kinds
    )


def crawl_center(hub_url: str, db: Path, settings: dict | None = None, **kw) -> Run:
    """``scrapy crawl healthcenter`` into ``db`` (the real command, from the repository root)."""
    run = run_scrapy(
        ["crawl", "healthcenter", "-a", f"start_url={hub_url}"], {"ARCHIVE_DB": str(db), **(settings or {})}, **kw
    )
    if run.returncode != 0:
        raise SystemExit(f"crawl failed ({run.returncode}):\n{run.log[-3000:]}")
    return run


def bare_crawl(hub_url: str, settings: dict | None = None, **kw) -> Run:
    """``scrapy runspider bench/bare_spider.py``: the same pages, nothing kept."""
    run = run_scrapy(
        ["runspider", str(ROOT / "bench" / "bare_spider.py"), "-a", f"start_url={hub_url}"], settings, **kw
    )
    if run.returncode != 0:
        raise SystemExit(f"bare crawl failed ({run.returncode}):\n{run.log[-3000:]}")
    return run


class Site:
    """A generated sample center served from a background thread of this process (``SampleSite``)."""

    def __init__(self, articles: int, pages: int = 3, **kw):
        from samplesite import SampleSite

        self.site = SampleSite(generated=articles, pages_per_article=pages, **kw)

    def __enter__(self):
        self.site.start()
        return self.site

    def __exit__(self, *exc):
        self.site.stop()


def mb(n: int | float) -> str:
    return f"{n / 1e6:.0f} MB"


def table(headers: list[str], rows: list[list]) -> str:
    """A plain-text (Markdown-compatible) table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def machine() -> str:
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores {model}, Python {platform.python_version()}, load average {load:.1f} at start"


if __name__ == "__main__":
    print("helpers for the bench/ scripts; run one of them instead (see docs/performance.md)")
