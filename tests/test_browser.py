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
import re
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


# --- an analyst's walk: home -> search -> article -> version -> diff -> feed -----------------------------------

SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots" / "analyst-walk"  # git-ignored (/build/)

# Every id on a page is a link: id columns of Datasette's tables, the project's .ha-id elements, and no bare
# "#12", "v3", "crawl 4" or "id 5" in the page's own text (archived text, diffs, the chart and form options aside).
IDS_ARE_LINKS = r"""(() => {
  const bad = [];
  const idColumns = /^(id|\w+_id|version|\w+_version|matching_versions|revisit_of|capture_ids)$/;
  document.querySelectorAll('td').forEach(td => {
    const col = [...td.classList].find(c => c.startsWith('col-'));
    if (col && idColumns.test(col.slice(4)) && td.innerText.trim() && !td.querySelector('a')) {
      bad.push(col + ': ' + td.innerText.trim());
    }
  });
  document.querySelectorAll('.ha-id').forEach(e => { if (!e.closest('a')) bad.push('ha-id: ' + e.textContent); });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const skip = 'a, script, style, select, option, code, .ha-text, .ha-diff, .ha-snippet, .ha-url';
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest(skip)) continue;
    const m = node.textContent.match(/(#\d+|\bv\d+\b|\bcrawl \d+\b|\bid \d+\b)/);
    if (m) bad.push('text "' + m[0] + '" in <' + node.parentElement.tagName.toLowerCase() + '>');
  }
  return {bad, ids: document.querySelectorAll('a.ha-id, td[class^="col-"] a').length,
          url: location.href, title: document.title};
})()"""


async def _walk(ws_url, start, shots):
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        page = Page(ws)
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        steps, taken = {}, []

        async def shot(name, check=True):
            data = await page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            taken.append(name)
            (shots / f"{len(taken):02d}-{name}.png").write_bytes(base64.b64decode(data["data"]))
            if check:
                steps[name] = await page.evaluate(IDS_ARE_LINKS)
                steps[name]["dialogs"] = list(page.dialogs)

        async def click(selector, settle=0.5):
            seen = len(page.events)
            href = await page.evaluate(
                f"(() => {{ const a = document.querySelector({json.dumps(selector)}); "
                "a.scrollIntoView(); a.click(); return a.href; })()"
            )
            deadline = time.monotonic() + 30
            while not any(e.get("method") == "Page.loadEventFired" for e in page.events[seen:]):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"clicking {selector} ({href}) loaded nothing")
                await asyncio.sleep(0.05)
            await asyncio.sleep(settle)
            return href

        await page.goto(start + "/", settle=0.3)
        await shot("home")
        # Type a search into the home page's box and submit it, as a person would.
        seen = len(page.events)
        await page.evaluate(
            "(() => { const f = document.querySelector('form.ha-search'); "
            "f.querySelector('input[name=q]').value = 'pathology report'; f.submit(); })()"
        )
        while not any(e.get("method") == "Page.loadEventFired" for e in page.events[seen:]):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        steps["search_marks"] = await page.evaluate("document.querySelectorAll('td.col-best_match mark').length")
        await shot("search")
        await click("td.col-article_id a")
        await shot("article")
        await click("table.ha-versions tr:last-child a.ha-id")
        steps["text"] = await page.evaluate("document.querySelector('.ha-text').innerText")
        await shot("version")
        await click("a.ha-diff-before")
        steps["ins"] = await page.evaluate("document.querySelector('.ha-diff ins').textContent")
        await shot("diff")
        feed_url = await click("a.ha-feedlink")
        steps["feed_xml"] = await page.evaluate(  # as an XML tree, or as text (Chromium shows atom+xml as text)
            "document.contentType.includes('xml') ? new XMLSerializer().serializeToString(document) "
            ": document.body.innerText"
        )
        await shot("feed", check=False)  # XML: Chromium shows its tree
        page.reader.cancel()
        return steps, feed_url


def test_analyst_walk_in_chromium(chromium, server, two_round_archive):  # chromium first: skip early
    import feedparser

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    steps, feed_url = asyncio.run(_walk(chromium, server, SHOTS))
    pages = ("home", "search", "article", "version", "diff")
    for name in pages:
        assert steps[name]["bad"] == [], f"{name} ({steps[name]['url']}): ids that are not links: {steps[name]['bad']}"
        assert steps[name]["dialogs"] == [], name
    assert "/search_articles?q=pathology+report" in steps["search"]["url"] and steps["search_marks"] > 0
    assert "/-/article/archive/" in steps["article"]["url"] and steps["article"]["ids"] >= 3
    assert re.search(r"/-/article/archive/\d+/v\d+$", steps["version"]["url"])
    assert "Page 1" in steps["text"] and "<img src=x onerror=alert(1)>" in steps["text"]  # text, not markup
    assert "/-/diff/archive/" in steps["diff"]["url"] and steps["ins"].strip()
    assert "/archive/changes_feed.atom?center=" in feed_url
    feed = feedparser.parse(steps["feed_xml"])
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries and all(e.link.startswith(server + "/-/diff/archive/") for e in feed.entries)
    shots = sorted(p.name for p in SHOTS.glob("*.png"))
    assert shots == ["01-home.png", "02-search.png", "03-article.png", "04-version.png", "05-diff.png", "06-feed.png"]
    assert all((SHOTS / s).stat().st_size > 5_000 for s in shots)
