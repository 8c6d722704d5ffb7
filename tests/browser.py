"""Helpers for real-browser checks: a `streamlit run app.py` server and a headless Debian Chromium page."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_process(home: str, timeout: float = 60, env: dict | None = None, log=subprocess.DEVNULL):
    """Runs the app on 127.0.0.1 with `$RNNVIZ_HOME=home` (and `env`); yields `(url, Popen)`; stops it after."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "RNNVIZ_HOME": str(home), **(env or {})}, stdout=log,
        stderr=subprocess.STDOUT if log is not subprocess.DEVNULL else subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.time() + timeout
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.time() > end or proc.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def streamlit_server(home: str, timeout: float = 60):
    """Runs the app on 127.0.0.1 with `$RNNVIZ_HOME=home`; yields its URL; stops it afterwards."""
    with streamlit_process(home, timeout) as (url, _):
        yield url


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 2000):
    """A page in headless Debian Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_pages(n: int, width: int = 1400, height: int = 1000):
    """`n` pages in separate browser contexts (separate cookies and sessions: a teacher and students)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield [browser.new_context(viewport={"width": width, "height": height}).new_page() for _ in range(n)]
        finally:
            browser.close()


def rgb_hex(css: str) -> str:
    """A computed CSS colour "rgb(r, g, b)" (or "rgba(...)") as "#RRGGBB"."""
    r, g, b = (int(float(v)) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


TEXT_STYLES = """(selector) => Array.from(document.querySelectorAll(selector)).filter(e => e.getClientRects().length)
    .map(e => { const s = getComputedStyle(e); let alpha = 1;
                for (let x = e; x; x = x.parentElement) alpha *= parseFloat(getComputedStyle(x).opacity);
                return {text: (e.textContent || '').slice(0, 40), size: parseFloat(s.fontSize), color: s.color,
                        fill: s.fill, alpha: alpha}; })"""
"""JS for `page.evaluate(TEXT_STYLES, selector)`: font size (px), colour, SVG fill and the product of the
element's and its ancestors' opacity (Streamlit fades captions to 0.6) of every visible match."""


def seen_color(color: str, alpha: float, background: str) -> str:
    """The colour a viewer sees: `color` (CSS) drawn at opacity `alpha` over `background` ("#RRGGBB")."""
    fg, bg = rgb_hex(color), background
    mix = [round(alpha * int(fg[i:i + 2], 16) + (1 - alpha) * int(bg[i:i + 2], 16)) for i in (1, 3, 5)]
    return "#" + "".join(f"{v:02X}" for v in mix)
