"""pywb for the tests: a web archive serving folders of WARC files on 127.0.0.1, from its own virtual environment.

pywb cannot share the project's environment: every pywb release depends on brotlipy, whose ``brotli/`` package
shadows Google's ``brotli`` (pinned by requirements.lock; Scrapy decodes ``Content-Encoding: br`` with it, and fails
once brotlipy replaces it), and pywb 2.10.0 needs pyOpenSSL<26.2 where the lock pins 26.4.0. So ``.pywb-venv/`` is
built from ``tests/pywb-requirements.txt`` (pywb and everything it pulls in, pinned, installed with ``--no-deps``) by
``make pywb``, or here by the first test that needs it; its marker holds the requirements it was built from, so a
changed list rebuilds it.

``run_pywb(warc_dirs, root)`` indexes the folders with pywb's ``cdx-indexer``, writes a ``config.yaml`` naming the
index and the folders (no copy), starts ``wayback -b 127.0.0.1 -p PORT`` on a free port and yields a ``Pywb`` with
the ``--cdx`` and ``--replay`` a backfill is given.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".pywb-venv"
REQUIREMENTS = ROOT / "tests" / "pywb-requirements.txt"
COLLECTION = "hc"


def pywb_bin() -> Path:
    """The ``bin/`` of pywb's environment, built first when it is missing or was built from other requirements."""
    marker = VENV / ".installed"
    wanted = REQUIREMENTS.read_text()
    with open(ROOT / ".pywb-venv.lock", "w") as lock:  # two test processes build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.exists() and marker.read_text() == wanted):
            shutil.rmtree(VENV, ignore_errors=True)
            # The base interpreter makes the environment (a venv's own python would nest it).
            python = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([python, "-m", "venv", str(VENV)], check=True)
            subprocess.run(
                [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
                + ["--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                check=True,
            )
            marker.write_text(wanted)  # last: an interrupted build is redone
    return VENV / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Pywb:
    port: int
    root: Path
    warc_dirs: list[Path]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/{COLLECTION}/"

    @property
    def cdx(self) -> str:
        return self.base + "cdx"

    @property
    def replay(self) -> str:
        return self.base

    def reindex(self):
        """Index the folders again (pywb reads the index on every query: new WARC files show without a restart)."""
        index(self.root, self.warc_dirs)


def index(root: Path, warc_dirs: list[Path]) -> Path:
    target, partial = root / "index.cdxj", root / "index.cdxj.partial"
    subprocess.run(
        [str(pywb_bin() / "cdx-indexer"), "--sort", "--cdxj", "-o", str(partial), *map(str, warc_dirs)],
        check=True,
        capture_output=True,
    )
    partial.replace(target)
    return target


@contextlib.contextmanager
def run_pywb(warc_dirs, root: Path, timeout: float = 60.0):
    """pywb serving the WARC files of ``warc_dirs`` (see the module doc); stopped on exit."""
    bin_dir = pywb_bin()
    root.mkdir(parents=True, exist_ok=True)
    warc_dirs = [Path(d).resolve() for d in warc_dirs]
    paths = "".join(f"      - {d}/\n" for d in warc_dirs)
    (root / "config.yaml").write_text(
        f"collections:\n  {COLLECTION}:\n    index_paths: {index(root, warc_dirs)}\n    archive_paths:\n{paths}"
    )
    for _ in range(3):  # the free port may be taken before pywb binds it
        server = Pywb(free_port(), root, warc_dirs)
        log = open(root / "wayback.log", "wb")  # noqa: SIM115 (open while pywb runs)
        process = subprocess.Popen(
            [str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(server.port)],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        if _ready(server, process, timeout):
            break
        process.kill()
        process.wait()
        log.close()
        if "Address already in use" not in (root / "wayback.log").read_text(errors="replace"):
            raise RuntimeError("pywb did not start:\n" + (root / "wayback.log").read_text(errors="replace")[-3000:])
    else:
        raise RuntimeError("pywb found no free port in 3 tries")
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _ready(server: Pywb, process, timeout: float) -> bool:
    """True once pywb answers a CDX query; False if it exits first or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{server.cdx}?url=example.invalid/&limit=1", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    return False
