"""Headless Chromium on the diff page of the changed hostile article, through `healtharchive serve`.

Drives Debian's ``chromium`` over the DevTools protocol (``--remote-debugging-port``, websocket via aiohttp,
which Scrapy already brings): the highlighted change must be visible, the hostile text shown as characters,
and no JavaScript dialog may open (``Page.javascriptDialogOpening``). A control page that does call
``alert()`` proves the dialog check itself works. Skips without chromium, except under CI=true.
"""

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
HOSTILE = "<img src=x onerror=alert(1)>"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,1600",
]


def _need_chromium():
    if CHROMIUM:
        return
    reason = "Debian's chromium is not installed (`make browser` installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + ", and CI=true requires the browser test to run")
    pytest.skip(reason)


LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, whatever the proxy env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url: str, timeout: float, proc) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with LOCAL.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout}s")


def _stop(proc) -> None:
    """Stop a process this test started, with the children in its own session (chromium's renderers)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def server(two_round_archive):
    """`healtharchive serve` on a free 127.0.0.1 port, on the real two-round archive."""
    port = _free_port()
    cli = Path(sys.executable).with_name("healtharchive")
    proc = subprocess.Popen(
        [str(cli), "serve", str(two_round_archive), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/-/versions.json", 30, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture
def chromium(tmp_path):
    """A headless chromium with DevTools on a free loopback port; yields the page target's websocket URL."""
    _need_chromium()
    profile = tmp_path / "profile"
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "--remote-allow-origins=*",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (active.exists() and active.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(active.read_text().split()[0])
        with LOCAL.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        yield page["webSocketDebuggerUrl"]
    finally:
        _stop(proc)


class Page:
    """A tiny DevTools client: commands with ids, events collected, JavaScript dialogs recorded and dismissed."""

    def __init__(self, ws):
        self.ws, self.next_id, self.pending, self.events, self.dialogs = ws, 0, {}, [], []
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
                continue
            self.events.append(data)
            if data.get("method") == "Page.javascriptDialogOpening":
                self.dialogs.append(data["params"])
                asyncio.get_running_loop().create_task(self.send("Page.handleJavaScriptDialog", accept=True))

    async def send(self, method, **params):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send_str(json.dumps({"id": self.next_id, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def goto(self, url, settle=1.0):
        seen = len(self.events)
        await self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events[seen:]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load")
            await asyncio.sleep(0.05)
        await asyncio.sleep(settle)  # time for any onerror handler or timer to fire

    async def evaluate(self, expression):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")


CHECK = """(() => {
  const ins = document.querySelector('.ha-diff ins');
  const del = document.querySelector('.ha-diff del');
  ins.scrollIntoView({block: 'center'});
  const box = ins.getBoundingClientRect();
  const style = getComputedStyle(ins);
  return {
    ins: ins.textContent, del: del ? del.textContent : null,
    width: box.width, height: box.height,
    inViewport: box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth,
    visible: style.visibility === 'visible' && style.display !== 'none' && parseFloat(style.opacity) > 0,
    background: style.backgroundColor,
    legend: !!document.querySelector('.ha-legend'),
    images: document.images.length,
    bodyText: document.body.innerText,
    scripts: [...document.scripts].map(s => s.src || 'inline'),
  };
})()"""


async def _drive(ws_url, urls, screenshot):
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        page = Page(ws)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        # Control: a page that does alert() must be seen as opening a dialog.
        await page.goto("data:text/html,<p>control</p><script>alert('control')</script>", settle=0.3)
        control = list(page.dialogs)
        page.dialogs.clear()
        results = {}
        for name, url in urls.items():
            await page.goto(url)
            results[name] = {"check": await page.evaluate(CHECK), "dialogs": list(page.dialogs)}
            page.dialogs.clear()
        shot = await page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        page.reader.cancel()
        return control, results


def test_diff_page_in_chromium(chromium, server, two_round_archive, tmp_path):  # chromium first: skip early
    conn = sqlite3.connect(f"file:{two_round_archive}?mode=ro", uri=True)
    article_id, versions = conn.execute(
        "select article_id, max(version) from versions where article_id in "
        "(select article_id from versions where text like '%onerror=alert(1)%') group by article_id"
    ).fetchone()
    conn.close()
    assert versions >= 2, "the hostile article did not change in round 2"
    urls = {
        "inline": f"{server}/-/diff/{article_id}?view=inline",
        "side_by_side": f"{server}/-/diff/{article_id}",
    }  # the last page stays for the screenshot
    screenshot = tmp_path / "diff.png"
    control, results = asyncio.run(_drive(chromium, urls, screenshot))

    assert [d["message"] for d in control] == ["control"], "the dialog check did not see a real alert()"
    for name, result in results.items():
        check = result["check"]
        assert result["dialogs"] == [], f"{name}: a dialog opened: {result['dialogs']}"
        assert check["ins"].strip() and check["width"] > 0 and check["height"] > 0, (name, check)
        assert check["inViewport"] and check["visible"], (name, check)
        assert check["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), (name, check["background"])
        assert check["legend"], name
        assert check["images"] == 0, name
        assert HOSTILE in check["bodyText"], name  # shown as characters, not markup
    assert screenshot.stat().st_size > 10_000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
